"""PEP 541 name intelligence: a maintainers' report on the name a request asks for (PyPI's
facts, too-similar names, standard-library names, other open requests), made when a request
arrives, made again when it is edited or first labelled as PEP 541, and retried on the
requester's next reply when PyPI could not be reached (a retry tied to a person's action, so
an outage never turns into a storm of lookups)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import Issue
from bot.core.names import normalize
from bot.core.reconcile import Proposal
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUE_COMMENT, ISSUES, Trigger
from bot.features.base import Feature, Lookups, Situation, edited_by_a_stranger, on_request
from bot.features.names import decide as report

NAME = "names"

# Other requests are looked for among this many search results; a name asked for more often
# than that is rare, and the report still links the ones found.
SEARCH_LIMIT = 30


def wants(trigger: Trigger, rules: RepoRules) -> bool:
    intel = rules.name_intelligence
    if not intel.enabled:
        return False
    decided = on_request(trigger, rules)
    if decided is not None:
        return decided
    if trigger.is_(ISSUES, "labeled"):
        category = rules.category(intel.category)
        return category is not None and trigger.label == category.label
    return trigger.is_(ISSUE_COMMENT, "created") and trigger.by_requester


@dataclass(frozen=True)
class Found:
    findings: report.Findings
    index_url: str


async def gather(situation: Situation, lookups: Lookups) -> Found | None:
    names = lookups.names()
    trigger, snapshot = situation.trigger, situation.snapshot
    if names is None or not situation.is_request_in(situation.rules.name_intelligence.category):
        return None
    state = report.report_state(snapshot.history)
    if trigger.is_(ISSUES, "edited"):
        if await edited_by_a_stranger(situation, lookups):
            return None
    elif trigger.is_(ISSUES, "labeled") or trigger.first_sort:
        if state is not None and not state.get("incomplete"):
            return None  # reported already
    elif state is None or not state.get("incomplete"):
        return None  # a reply retries only a report that could not check everything
    asked = report.requested(snapshot.issue, situation.rules.name_intelligence, snapshot.parsed)
    if asked.name is None:
        return None  # triage asks for the missing field
    facts, facts_error = await names.facts(asked.name)
    index = names.index
    loaded = len(index) > 0
    others, others_error = await _other_requests(situation, lookups, asked.name)
    findings = report.Findings(
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
    return Found(findings, names.index_url)


async def _other_requests(
    situation: Situation, lookups: Lookups, name: str
) -> tuple[tuple[int, ...], str | None]:
    intel = situation.rules.name_intelligence
    category = situation.rules.category(intel.category)
    # GitHub's search splits words at punctuation, so the phrase "flask plus" finds
    # flask-plus, flask_plus and flask.plus; each hit is then checked by its requested name.
    phrase = normalize(name).replace("-", " ")
    label = f' label:"{category.label}"' if category is not None else ""
    query = f'repo:{situation.repo} is:issue is:open{label} "{phrase}"'
    items = await lookups.search_issues(query, SEARCH_LIMIT)
    if items is None:
        return (), "GitHub's search did not answer"
    number = situation.snapshot.issue.number
    found = [Issue.from_api(item, situation.repo) for item in items if not item.get("pull_request")]
    others = [other for other in found if other.number != number]
    return report.same_name(others, name, intel), None


def propose(situation: Situation, found: Found) -> Proposal:
    snapshot = situation.snapshot
    actions = report.decide(
        snapshot.issue,
        snapshot.history,
        situation.rules,
        found.findings,
        now=situation.now,
        index_url=found.index_url,
    )
    return Proposal(NAME, actions)


FEATURE = Feature(NAME, wants, propose, gather)
