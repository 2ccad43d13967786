"""The thin acting layer: carries out the core's actions through the GitHub `Api`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import gidgethub

from bot.adapters.github import AmbiguousWrite, Api
from bot.core import markers
from bot.core.actions import (
    Action,
    AddAssignees,
    AddLabels,
    Close,
    EditComment,
    PostComment,
    React,
    RemoveAssignees,
    RemoveLabel,
    Reopen,
)
from bot.core.model import Comment
from bot.runtime.logs import event
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

# How often an ambiguous comment post is checked and tried again.
COMMENT_TRIES = 3


class ActionFailed(Exception):
    def __init__(self, action: Action, error: Exception) -> None:
        self.action = action
        self.error = error
        super().__init__(f"{action.kind} failed: {error}")


async def post_comment_once(api: Api, repo: str, number: int, action: PostComment) -> None:
    """Post a comment, never twice: after a failure that may have reached GitHub, look for
    the comment's marker before trying again."""
    for attempt in range(1, COMMENT_TRIES + 1):
        try:
            await api.create_comment(repo, number, action.body)
            return
        except AmbiguousWrite:
            if attempt == COMMENT_TRIES:
                raise
            await asyncio.sleep(api.ambiguous_write_wait * attempt)
            for data in await api.comments(repo, number):
                comment = Comment.from_api(data)
                if (
                    markers.read(comment.body, action.marker) is not None
                    and comment.body.strip() == action.body.strip()
                ):
                    return


async def apply(
    api: Api,
    repo: str,
    number: int,
    actions: Sequence[Action],
    *,
    metrics: Metrics | None = None,
    base_labels: Sequence[str] | None = None,
    base_assignees: Sequence[str] | None = None,
) -> None:
    """Do the actions in order. The first failure stops the rest (later actions may depend on
    it) and is raised as ActionFailed, after the failure is logged.

    With `base_labels`/`base_assignees` (the issue's state as just delivered), labels and
    assignees to add are set in one PATCH instead of two POSTs.
    """
    pending = list(actions)
    adds = [a for a in pending if isinstance(a, AddLabels)]
    assigns = [a for a in pending if isinstance(a, AddAssignees)]
    if (
        base_labels is not None
        and base_assignees is not None
        and len(adds) == 1
        and len(assigns) == 1
    ):
        labels = list(dict.fromkeys([*base_labels, *adds[0].labels]))
        users = list(dict.fromkeys([*base_assignees, *assigns[0].users]))
        await _run(
            api,
            metrics,
            adds[0],
            api.update_issue(repo, number, labels=labels, assignees=users),
            "labels_and_assignees",
        )
        pending = [a for a in pending if a is not adds[0] and a is not assigns[0]]
    for action in pending:
        await _run(api, metrics, action, _call(api, repo, number, action), action.kind)


def _call(api: Api, repo: str, number: int, action: Action):
    match action:
        case AddLabels(labels=labels):
            return api.add_labels(repo, number, labels)
        case RemoveLabel(label=label):
            return api.remove_label(repo, number, label)
        case AddAssignees(users=users):
            return api.add_assignees(repo, number, users)
        case RemoveAssignees(users=users):
            return api.remove_assignees(repo, number, users)
        case PostComment():
            return post_comment_once(api, repo, number, action)
        case EditComment(comment_id=comment_id, body=body):
            return api.edit_comment(repo, comment_id, body)
        case Close(state_reason=reason):
            return api.update_issue(repo, number, state="closed", state_reason=reason)
        case Reopen():
            return api.update_issue(repo, number, state="open")
        case React(comment_id=comment_id, content=content):
            return api.react(repo, comment_id, content, issue=number)
    raise TypeError(f"unknown action {action!r}")


async def _run(api: Api, metrics: Metrics | None, action: Action, call, kind: str) -> None:
    outcome = "dry_run" if api.dry_run else "done"
    try:
        await call
    except (gidgethub.GitHubException, AmbiguousWrite, OSError, TimeoutError) as exc:
        outcome = "failed"
        event(
            log,
            "action failed",
            level=logging.ERROR,
            action_kind=kind,
            reason=action.reason,
            error=f"{type(exc).__name__}: {exc}",
        )
        raise ActionFailed(action, exc) from exc
    finally:
        if metrics is not None:
            metrics.actions.labels(kind, outcome).inc()
    event(log, "action", action_kind=kind, outcome=outcome, reason=action.reason)
