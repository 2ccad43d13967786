"""The thin acting layer: carries out a plan (already reduced to what is not yet true)
through the GitHub `Api`.

Steps run in the plan's order, one feature's actions after another's. The first failure in a
step stops the rest of that step (later actions may depend on it) and is logged; the other
features' steps still run. A feature may say what to do instead (a command's reply saying
what could not be done). One exception: on an issue without any comment, once a comment
was not posted (it failed, or something before it in its step did) no other is: the sweep's
catch-up knows a new issue the bot never answered by its having no comment, and posts them
all then (a maintainers' note alone would hide a triage comment that is missing).

Creating a comment is the one write here that is not idempotent. A create whose outcome is
unknown (a timeout, a dropped connection, a 5xx after sending) is confirmed by looking for the
comment's marker for longer than the client's timeout before it is ever tried again: GitHub
may still be writing it (`write_once`, which the queue dashboard's creation uses too).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

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

T = TypeVar("T")

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


async def write_once(
    api: Api,
    write: Callable[[], Awaitable[T]],
    look: Callable[[], Awaitable[T | None]],
    found_after: str,
    **fields: Any,
) -> T:
    """Make a write that GitHub would make twice if asked twice (create a comment, open an
    issue) once: after a failure that may have reached GitHub, `look` for what it makes over
    a window longer than the client's timeout (a slow write may land late) before trying
    again. Logs `found_after` (with `fields`) when it was made after all."""
    for attempt in range(1, COMMENT_TRIES + 1):
        try:
            return await write()
        except AmbiguousWrite:
            found, looked = await _look_until_found(api, look)
            if found is not None:
                event(log, found_after, **fields)
                return found
            if not looked or attempt == COMMENT_TRIES:
                # GitHub could not be asked (never write again blind), or the tries are
                # spent: the write fails, for a redelivery or the sweep to finish.
                raise
    raise AssertionError("unreachable: the last try returns or raises")


async def _look_until_found(
    api: Api, look: Callable[[], Awaitable[T | None]]
) -> tuple[T | None, bool]:
    """What `look` found within the confirmation window, and whether it could ever ask."""
    window, interval = api.confirm_window
    deadline = time.monotonic() + window
    looked = False
    while True:
        try:
            found = await look()
            looked = True
        except GITHUB_ERRORS as exc:
            event(
                log,
                "lookup after an unclear answer failed",
                level=logging.WARNING,
                error=error_text(exc),
            )
            found = None
        if found is not None:
            return found, True
        if time.monotonic() >= deadline:
            return None, looked
        await api.pause(interval)


async def create_comment_once(
    api: Api, repo: str, number: int, action: SetComment, bot_login: str | None
) -> None:
    """Post a comment, never twice (`write_once`): it is known by its marker."""

    async def posted() -> bool | None:
        for data in await api.comments(repo, number):
            comment = Comment.from_api(data)
            by_us = bot_login is None or comment.author.lower() == bot_login.lower()
            state = markers.read(comment.body, action.marker)
            if (
                by_us
                and state is not None
                and markers.identity(action.marker, state) == action.identity
            ):
                return True
        return None

    async def post() -> bool:
        await api.create_comment(repo, number, action.body)
        return True

    await write_once(
        api, post, posted, "comment found after an unclear answer", marker=action.marker
    )
