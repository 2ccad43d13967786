"""The thin acting layer: carries out a plan (already reduced to what is not yet true)
through the GitHub `Api`.

Steps run in the plan's order, one feature's actions after another's. The first failure in a
step stops the rest of that step (later actions may depend on it) and is logged; the other
features' steps still run. A feature may say what to do instead (a command's reply saying
what could not be done). One exception: on an issue without any comment, once a comment
was not posted (it failed, or something before it in its step did) no other is: the sweep's
catch-up knows a new issue the bot never answered by its having no comment, and posts them
all then (a maintainers' note alone would hide a triage comment that is missing).

Creating a comment is the one write that is not idempotent. A create whose outcome is unknown
(a timeout, a dropped connection, a 5xx after sending) is confirmed by looking for the
comment's marker for longer than the client's timeout before it is ever tried again: GitHub
may still be writing it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from bot.adapters.github import GITHUB_ERRORS, AmbiguousWrite, Api
from bot.core import markers
from bot.core.actions import (
    Action,
    AddAssignees,
    AddLabels,
    Close,
    React,
    RemoveAssignees,
    RemoveLabel,
    Reopen,
    SetComment,
)
from bot.core.model import Comment, Snapshot
from bot.core.reconcile import Plan, still_needed
from bot.runtime.logs import error_text, event
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

# How often a comment is created, at most, when GitHub's answers leave it unknown whether it
# was (each try after the first only once the marker was looked for and not found).
COMMENT_TRIES = 3


@dataclass
class Budget:
    """Writes one run may still make (the sweep's `write_budget`)."""

    left: int
    exhausted: bool = False

    def take(self, writes: int = 1) -> bool:
        """Spend `writes` at once, or none: a step's writes (a closing comment and its close)
        are made together or left together for the next run."""
        if self.left < writes:
            self.exhausted = True
            return False
        self.left -= writes
        return True


@dataclass
class Applied:
    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    deferred: list[Action] = field(default_factory=list)  # left for lack of budget


def why(exc: BaseException) -> str:
    """What GitHub answered, in a few words (for logs and a command's reply)."""
    status = getattr(exc, "status_code", None)
    return f"GitHub answered {int(status)}" if status is not None else type(exc).__name__


async def apply(
    api: Api,
    repo: str,
    snapshot: Snapshot,
    plan: Plan,
    *,
    metrics: Metrics | None = None,
    budget: Budget | None = None,
) -> Applied:
    applied = Applied()
    unanswered = not snapshot.history.comments  # a new issue's first answer is all or nothing
    comment_lost = False  # a comment of an earlier step was not posted
    for step in plan.steps:
        actions = list(step.actions)
        if budget is not None and not budget.take(len(actions)):
            applied.deferred += actions
            continue
        while actions:
            action = actions.pop(0)
            if unanswered and comment_lost and isinstance(action, SetComment):
                applied.failed.append((action, "not posted: an earlier comment was not"))
                break
            try:
                await _do(api, repo, snapshot, action, metrics)
            except GITHUB_ERRORS as exc:
                applied.failed.append((action, why(exc)))
                if step.on_failure is None:
                    comment_lost = comment_lost or any(
                        isinstance(a, SetComment) for a in (action, *actions)
                    )
                    break
                # The feature's word on the failure replaces what it still had to do.
                instead = [still_needed(a, snapshot) for a in step.on_failure(action, why(exc))]
                actions = [a for a in instead if a is not None]
                step = type(step)(step.feature, tuple(actions))  # no second on_failure
                continue
            applied.done.append(action)
    return applied


async def _do(
    api: Api, repo: str, snapshot: Snapshot, action: Action, metrics: Metrics | None
) -> None:
    outcome = "dry_run" if api.dry_run else "done"
    try:
        await _call(api, repo, snapshot, action)
    except GITHUB_ERRORS as exc:
        outcome = "failed"
        event(
            log,
            "action failed",
            level=logging.ERROR,
            action_kind=action.kind,
            reason=action.reason,
            error=error_text(exc),
        )
        raise
    finally:
        if metrics is not None:
            metrics.actions.labels(action.kind, outcome).inc()
    event(log, "action", action_kind=action.kind, outcome=outcome, reason=action.reason)


async def _call(api: Api, repo: str, snapshot: Snapshot, action: Action) -> None:
    number = snapshot.issue.number
    match action:
        case AddLabels(labels=labels):
            await api.add_labels(repo, number, labels)
        case RemoveLabel(label=label):
            await api.remove_label(repo, number, label)
        case AddAssignees(users=users):
            await api.add_assignees(repo, number, users)
        case RemoveAssignees(users=users):
            await api.remove_assignees(repo, number, users)
        case SetComment():
            existing = markers.find(snapshot.history, *action.identity)
            if existing is not None:
                await api.edit_comment(repo, existing.id, action.body)
            else:
                await create_comment_once(api, repo, number, action, snapshot.history.bot_login)
        case Close(state_reason=reason):
            await api.update_issue(repo, number, state="closed", state_reason=reason)
        case Reopen():
            await api.update_issue(repo, number, state="open")
        case React(comment_id=comment_id, content=content):
            await api.react(repo, comment_id, content, issue=number)
        case _:
            raise TypeError(f"unknown action {action!r}")


async def create_comment_once(
    api: Api, repo: str, number: int, action: SetComment, bot_login: str | None
) -> None:
    """Post a comment, never twice: after a failure that may have reached GitHub, look for
    the comment's marker over a window longer than the client's timeout (a slow write may
    land late) before trying again."""
    for attempt in range(1, COMMENT_TRIES + 1):
        try:
            await api.create_comment(repo, number, action.body)
            return
        except AmbiguousWrite:
            posted = await _posted(api, repo, number, action, bot_login)
            if posted:
                event(log, "comment found after an unclear answer", marker=action.marker)
                return
            if posted is None or attempt == COMMENT_TRIES:
                # Not known to be absent (the comments could not be read): never post again
                # blind; the action fails, for a redelivery or the sweep to finish.
                raise


async def _posted(
    api: Api, repo: str, number: int, action: SetComment, bot_login: str | None
) -> bool | None:
    """Whether the comment is there: True, False, or None when its comments could never be
    read in the window (unknown)."""
    window, interval = api.confirm_window
    deadline = time.monotonic() + window
    read = False
    while True:
        try:
            comments = [Comment.from_api(c) for c in await api.comments(repo, number)]
            read = True
        except GITHUB_ERRORS:
            comments = []
        for comment in comments:
            by_us = bot_login is None or comment.author.lower() == bot_login.lower()
            state = markers.read(comment.body, action.marker)
            if (
                by_us
                and state is not None
                and markers.identity(action.marker, state) == (action.identity)
            ):
                return True
        if time.monotonic() >= deadline:
            return False if read else None
        await api.pause(interval)
