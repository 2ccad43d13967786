"""Slash commands in comments (and in issues opened by maintainers): the thin acting layer.

It finds the commands, looks up what the pure core (bot/slash.py) needs — the caller's role
and teams, the issue as it is now, its history, the repository's labels — and applies what
the core decides: first the changes, then the reaction and the one reply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from gidgethub import routing, sansio

import bot.features.commands.decide as slash
from bot.adapters.permissions import Permissions
from bot.core.command_parser import Command, new_commands, parse_commands
from bot.core.model import EPOCH, MAINTAINER_ASSOCIATIONS, Comment, History, Issue, is_bot
from bot.runtime import executor
from bot.runtime.dispatch import Context
from bot.runtime.logs import event as log_event

log = logging.getLogger(__name__)
router = routing.Router()


@router.register("issue_comment", action="created")
async def comment_created(event: sansio.Event, ctx: Context) -> None:
    comment = Comment.from_api(event.data["comment"])
    await _run(
        ctx,
        event.data,
        comment.body,
        None,
        comment.author,
        comment.author_type,
        slash.Source(comment.id, _when(comment.created_at, ctx)),
    )


@router.register("issue_comment", action="edited")
async def comment_edited(event: sansio.Event, ctx: Context) -> None:
    changes = event.data.get("changes") or {}
    old = (changes.get("body") or {}).get("from") if isinstance(changes, dict) else None
    if not isinstance(old, str):
        return  # the body did not change
    comment = Comment.from_api(event.data["comment"])
    sender = event.data.get("sender") or {}
    # The commands are the editor's (a maintainer may edit someone else's comment).
    login = str(sender.get("login") or comment.author)
    user_type = str(sender.get("type") or comment.author_type)
    await _run(
        ctx,
        event.data,
        comment.body,
        old,
        login,
        user_type,
        slash.Source(comment.id, _when(comment.updated_at, ctx)),
    )


@router.register("issues", action="opened")
async def issue_opened(event: sansio.Event, ctx: Context) -> None:
    issue = Issue.from_api(event.data["issue"], ctx.repo)
    if issue.association not in MAINTAINER_ASSOCIATIONS:
        return  # a requester's form is not read for commands
    await _run(
        ctx,
        event.data,
        issue.body,
        None,
        issue.author,
        issue.author_type,
        slash.Source(None, _when(issue.created_at, ctx)),
    )


def _when(at: Any, ctx: Context) -> Any:
    return ctx.now if at == EPOCH else at


async def _run(
    ctx: Context,
    data: dict[str, Any],
    text: str,
    old_text: str | None,
    login: str,
    user_type: str,
    source: slash.Source,
) -> None:
    if not login or is_bot(login, user_type):
        return  # bots never run commands
    if ctx.bot_login and login.lower() == ctx.bot_login.lower():
        return
    payload_issue = Issue.from_api(data["issue"], ctx.repo)
    if payload_issue.is_pull_request:
        return  # the support tracker's commands are for issues
    rules = ctx.repo_rules
    known = slash.known_words(rules.commands)
    commands: Sequence[Command] = (
        parse_commands(text, known) if old_text is None else new_commands(old_text, text, known)
    )
    if not commands:
        return
    caller = await _caller(ctx, login, payload_issue)
    # The issue as it is now, not as delivered: a replayed event must not redo anything.
    fresh = await ctx.api.get_issue(ctx.repo, payload_issue.number)
    issue = Issue.from_api(fresh, ctx.repo) if fresh else payload_issue
    history = await _history(ctx, issue.number, events=slash.needs_events(commands))
    # The repository's labels, once per delivery, only when a command names labels.
    repo_labels = await ctx.api.label_names(ctx.repo) if slash.needs_labels(commands) else None
    result = slash.plan(
        commands,
        issue=issue,
        history=history,
        caller=caller,
        rules=rules,
        source=source,
        now=ctx.now,
        repo_labels=repo_labels,
        state_reason=(fresh or {}).get("state_reason"),
    )
    log_event(
        log,
        "commands planned",
        commands=[getattr(c, "name", getattr(c, "word", "?")) for c in commands],
        caller=login,
        role=caller.role,
        changes=[a.kind for a in result.changes],
        problems=len(result.problems),
        denied=list(result.denied),
    )
    failure = None
    try:
        await executor.apply(ctx.api, ctx.repo, issue.number, result.changes, metrics=ctx.metrics)
    except executor.ActionFailed as exc:
        failure = slash.describe_failure(exc.action, exc.error)
    await executor.apply(
        ctx.api,
        ctx.repo,
        issue.number,
        slash.feedback(result, history, rules, failure),
        metrics=ctx.metrics,
    )


async def _caller(ctx: Context, login: str, issue: Issue) -> slash.Caller:
    cmds = ctx.repo_rules.commands
    permissions: Permissions = ctx.services.setdefault("permissions", Permissions())
    role = await permissions.role(ctx.api, ctx.repo, login)
    caller = slash.Caller(login, role, frozenset(), login.lower() == issue.author.lower())
    if slash.is_maintainer(caller, cmds):
        return caller
    for team in cmds.teams:  # only asked when the role does not suffice
        org, _, slug = team.partition("/")
        if await ctx.api.team_member(org, slug, login):
            return slash.Caller(login, role, frozenset({team.lower()}), caller.is_author)
    return caller


async def _history(ctx: Context, number: int, *, events: bool) -> History:
    comments = await ctx.api.comments(ctx.repo, number)
    found = await ctx.api.events(ctx.repo, number) if events else []
    return History.from_api(comments, found, ctx.bot_login)
