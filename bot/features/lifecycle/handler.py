"""Lifecycle on deliveries: a maintainer's comment takes the overdue flag off at once, rather
than at the next sweep (which would take it off too). Everything else is the sweep's."""

from __future__ import annotations

import logging

from gidgethub import routing, sansio

import bot.features.lifecycle.decide as lifecycle
from bot.core.model import Comment, Issue, Snapshot
from bot.runtime import executor
from bot.runtime.dispatch import Context
from bot.runtime.logs import event as log_event

log = logging.getLogger(__name__)
router = routing.Router()


@router.register("issue_comment", action="created")
async def maintainer_responded(event: sansio.Event, ctx: Context) -> None:
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    comment = Comment.from_api(event.data["comment"])
    label = ctx.repo_rules.lifecycle.maintainer_response.label
    if comment.by_bot or comment.association not in ("OWNER", "MEMBER", "COLLABORATOR"):
        return
    if label not in issue.labels or issue.state != "open":
        return
    history = await ctx.history(issue)
    actions = [
        a
        for a in lifecycle.decide(Snapshot(issue, history), ctx.repo_rules, ctx.now)
        if getattr(a, "label", None) == label
    ]
    if actions:
        log_event(log, "lifecycle: maintainer responded", actions=[a.kind for a in actions])
        await executor.apply(ctx.api, ctx.repo, issue.number, actions, metrics=ctx.metrics)
