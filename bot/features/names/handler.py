"""The PEP 541 name report: made when a request arrives, made again when it is edited or when
a maintainer labels an issue as PEP 541 that had no report, and retried on the requester's
next reply when PyPI could not be reached. Runs after triage (see `dispatch.FEATURES`), and
its failures never touch triage's work."""

from __future__ import annotations

import logging

import gidgethub
from gidgethub import routing, sansio

import bot.features.names.decide as name_report
import bot.features.triage.decide as triage
from bot.adapters.github import AmbiguousWrite
from bot.adapters.name_lookup import NameLookup
from bot.core.model import Comment, Issue, is_bot
from bot.core.names import normalize
from bot.features.triage.handler import counts_as_requester_or_maintainer
from bot.runtime import executor
from bot.runtime.dispatch import Context
from bot.runtime.logs import event as log_event

log = logging.getLogger(__name__)
router = routing.Router()

# Other requests are looked for among this many search results; a name asked for more often
# than that is rare, and the comment still links the ones found.
SEARCH_LIMIT = 30


def _lookup(ctx: Context) -> NameLookup | None:
    if not ctx.repo_rules.name_intelligence.enabled:
        return None
    return ctx.services.get("names")


def _is_request(ctx: Context, issue: Issue) -> bool:
    rules = ctx.repo_rules
    if triage.skip_reason(issue, rules):
        return False
    category = ctx.verdict(issue).category
    return category is not None and category.name == rules.name_intelligence.category


async def _other_requests(
    ctx: Context, issue: Issue, name: str
) -> tuple[tuple[int, ...], str | None]:
    intel = ctx.repo_rules.name_intelligence
    category = ctx.repo_rules.category(intel.category)
    # GitHub's search splits words at punctuation, so the phrase "flask plus" finds
    # flask-plus, flask_plus and flask.plus; each hit is then checked by its requested name.
    phrase = normalize(name).replace("-", " ")
    label = f' label:"{category.label}"' if category is not None else ""
    query = f'repo:{ctx.repo} is:issue is:open{label} "{phrase}"'
    try:
        items = await ctx.api.search_issues(query, SEARCH_LIMIT)
    except (gidgethub.GitHubException, AmbiguousWrite, OSError, TimeoutError) as exc:
        log_event(log, "name report: search failed", error=f"{type(exc).__name__}: {exc}")
        return (), "GitHub's search did not answer"
    found = [Issue.from_api(item, ctx.repo) for item in items if not item.get("pull_request")]
    others = [other for other in found if other.number != issue.number]
    return name_report.same_name(others, name, intel), None


async def report(ctx: Context, lookup: NameLookup, issue: Issue, *, fresh: bool = False) -> None:
    asked = name_report.requested(issue, ctx.repo_rules.name_intelligence)
    if asked.name is None:
        log_event(log, "name report: no project name in the request")
        return  # triage asks for the missing field
    facts, facts_error = await lookup.facts(asked.name)
    index = lookup.index
    loaded = len(index) > 0
    others, others_error = await _other_requests(ctx, issue, asked.name)
    findings = name_report.Findings(
        name=asked.name,
        username=asked.username,
        facts=facts,
        facts_error=facts_error,
        index_loaded=loaded,
        listed_as=index.canonical(asked.name) if loaded else None,
        similar=tuple(index.similar(asked.name)) if loaded else (),
        others=others,
        others_error=others_error,
    )
    history = await ctx.history(issue, fresh=fresh)
    actions = name_report.decide(
        issue, history, ctx.repo_rules, findings, now=ctx.now, index_url=lookup.index_url
    )
    log_event(
        log,
        "name report decided",
        name=normalize(asked.name),
        incomplete=findings.incomplete,
        actions=[a.kind for a in actions],
    )
    await executor.apply(ctx.api, ctx.repo, issue.number, actions, metrics=ctx.metrics)


@router.register("issues", action="opened")
async def request_opened(event: sansio.Event, ctx: Context) -> None:
    lookup = _lookup(ctx)
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    if lookup is not None and _is_request(ctx, issue):
        await report(ctx, lookup, issue, fresh=True)


@router.register("issues", action="edited")
async def request_edited(event: sansio.Event, ctx: Context) -> None:
    lookup = _lookup(ctx)
    changes = event.data.get("changes")
    sender = event.data.get("sender") or {}
    # GitHub lists what changed (body, title); some deliveries carry an empty "changes",
    # so only a list that names neither is taken to mean the request itself is unchanged.
    if lookup is None or (changes and not {"body", "title"} & set(changes)):
        return
    if is_bot(sender.get("login"), sender.get("type")):
        return
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    if not _is_request(ctx, issue):
        return
    if await counts_as_requester_or_maintainer(ctx, issue, str(sender.get("login") or ""), None):
        await report(ctx, lookup, issue)


@router.register("issues", action="labeled")
async def request_labeled(event: sansio.Event, ctx: Context) -> None:
    """A maintainer moved an issue into PEP 541: report once, if it has no report yet."""
    lookup = _lookup(ctx)
    intel = ctx.repo_rules.name_intelligence
    category = ctx.repo_rules.category(intel.category)
    label = (event.data.get("label") or {}).get("name")
    sender = event.data.get("sender") or {}
    if lookup is None or category is None or label != category.label:
        return
    if is_bot(sender.get("login"), sender.get("type")):
        return
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    if not _is_request(ctx, issue):
        return
    if name_report.report_state(await ctx.history(issue)) is None:
        await report(ctx, lookup, issue)


@router.register("issue_comment", action="created")
async def requester_replied(event: sansio.Event, ctx: Context) -> None:
    """A report that could not check everything is tried again on the requester's reply:
    a retry tied to a person's action, so an outage never turns into a storm of lookups."""
    lookup = _lookup(ctx)
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    comment = Comment.from_api(event.data["comment"])
    if lookup is None or comment.by_bot or comment.author.lower() != issue.author.lower():
        return
    if not _is_request(ctx, issue):
        return
    state = name_report.report_state(await ctx.history(issue))
    if state is not None and state.get("incomplete"):
        await report(ctx, lookup, issue)
