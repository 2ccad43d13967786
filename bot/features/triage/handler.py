"""Triage on new issues, and re-checks when the author (or a maintainer) edits or replies."""

from __future__ import annotations

import logging

from gidgethub import routing, sansio

import bot.features.triage.decide as triage
from bot.adapters.permissions import Permissions
from bot.core.model import Comment, Issue, is_bot
from bot.runtime import executor
from bot.runtime.dispatch import Context
from bot.runtime.logs import event as log_event

log = logging.getLogger(__name__)
router = routing.Router()


async def run_triage(ctx: Context, issue: Issue, trigger: str) -> triage.Plan:
    rules = ctx.repo_rules
    skipped = triage.skip_reason(issue, rules)
    if skipped:
        log_event(log, "triage skipped", reason=skipped)
        return triage.Plan(ctx.verdict(issue), skipped=skipped)
    opened = trigger == triage.OPENED
    history = await ctx.history(issue, fresh=opened)
    verdict = ctx.verdict(issue)
    category = verdict.category
    pool_load = None
    if opened and category and category.assign and category.assign.pool and not issue.assignees:
        pool_load = {
            user: await ctx.api.search_count(f"repo:{ctx.repo} is:issue is:open assignee:{user}")
            for user in category.assign.pool
        }
    queue_count = None
    if opened and category and rules.triage.queue_position.enabled:
        created = issue.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        queue_count = await ctx.api.search_count(
            f'repo:{ctx.repo} is:issue is:open label:"{category.label}" created:<{created}'
        )
    plan = triage.decide(
        issue,
        history,
        rules,
        now=ctx.now,
        trigger=trigger,
        pool_load=pool_load,
        queue_count=queue_count,
        verdict=verdict,
    )
    log_event(
        log,
        "triage decided",
        category=category.name if category else None,
        missing=list(plan.missing),
        actions=[a.kind for a in plan.actions],
    )
    await executor.apply(
        ctx.api,
        ctx.repo,
        issue.number,
        plan.actions,
        metrics=ctx.metrics,
        # A new issue's labels and assignees are as delivered: set both in one call.
        base_labels=issue.labels if opened else None,
        base_assignees=issue.assignees if opened else None,
    )
    return plan


async def counts_as_requester_or_maintainer(
    ctx: Context, issue: Issue, login: str, association: str | None
) -> bool:
    if login.lower() == issue.author.lower():
        return True
    if association in ("OWNER", "MEMBER", "COLLABORATOR"):
        return True
    permissions: Permissions = ctx.services.setdefault("permissions", Permissions())
    return await permissions.at_least(
        ctx.api, ctx.repo, login, ctx.repo_rules.commands.minimum_role
    )


@router.register("issues", action="opened")
async def issue_opened(event: sansio.Event, ctx: Context) -> None:
    await run_triage(ctx, Issue.from_api(event.data["issue"], ctx.repo), triage.OPENED)


@router.register("issues", action="edited")
async def issue_edited(event: sansio.Event, ctx: Context) -> None:
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    sender = event.data.get("sender") or {}
    login = str(sender.get("login") or "")
    if is_bot(login, sender.get("type")):
        return
    if not await counts_as_requester_or_maintainer(ctx, issue, login, None):
        log_event(log, "edit by someone else ignored", sender=login)
        return
    await run_triage(ctx, issue, triage.EDITED)


@router.register("issue_comment", action="created")
async def comment_created(event: sansio.Event, ctx: Context) -> None:
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    comment = Comment.from_api(event.data["comment"])
    if comment.by_bot or comment.author.lower() != issue.author.lower():
        return  # only the requester's own answer ends the wait
    await run_triage(ctx, issue, triage.AUTHOR_COMMENT)
