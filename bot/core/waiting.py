"""Who an issue waits on, read from its history: the requester (since the awaiting label
went on) or the maintainers (since the requester last spoke after a maintainer's answer).

The one definition the lifecycle clocks, triage and the queue report share. People only:
the bot's own comments and events, and other bots', never count as anyone's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.model import MAINTAINER_ASSOCIATIONS, Comment, History, Issue

# An issue update this much later than every comment and event we know of is taken for an
# edit of the issue (the REST API records no event for a body edit).
EDIT_SLACK = timedelta(seconds=60)


def last_added(history: History, label: str) -> datetime | None:
    found = None
    for e in history.events:
        if e.kind == "labeled" and e.label == label:
            found = e.at if found is None else max(found, e.at)
    return found


def last_edit(issue: Issue, history: History) -> datetime | None:
    """When the issue was last changed by something no comment or event explains: an edit
    of its text. None when every update is accounted for."""
    known = [issue.created_at]
    known += [c.updated_at for c in history.comments]
    known += [c.created_at for c in history.comments]
    known += [e.at for e in history.events]
    if issue.updated_at > max(known) + EDIT_SLACK:
        return issue.updated_at
    return None


def by_requester(comment: Comment, issue: Issue, history: History) -> bool:
    return history.by_person(comment) and comment.author.lower() == issue.author.lower()


def is_maintainer_response(comment: Comment, issue: Issue, history: History) -> bool:
    """A person with a maintainer's association answering someone else's issue."""
    return (
        history.by_person(comment)
        and comment.association in MAINTAINER_ASSOCIATIONS
        and comment.author.lower() != issue.author.lower()
    )


@dataclass(frozen=True)
class Waiting:
    since: datetime
    answered: datetime | None  # the requester's first answer after `since`


def requester_wait(issue: Issue, history: History, awaiting_label: str) -> Waiting | None:
    """The wait on the requester while the awaiting label is on: since it was last added, or
    since a maintainer last spoke after that (asking again starts the wait afresh), until the
    requester's first comment or edit after that."""
    if awaiting_label not in issue.labels:
        return None
    since = last_added(history, awaiting_label) or issue.created_at
    asked_again = [
        c.created_at
        for c in history.comments
        if is_maintainer_response(c, issue, history) and c.created_at > since
    ]
    answered_before = [
        c.created_at
        for c in history.comments
        if by_requester(c, issue, history) and since < c.created_at
    ]
    # Asked again, with no answer in between: the wait restarts from the latest question.
    for asked in sorted(asked_again):
        if not any(since < a < asked for a in answered_before):
            since = asked
    answers = [
        c.created_at
        for c in history.comments
        if by_requester(c, issue, history) and c.created_at > since
    ]
    edited = last_edit(issue, history)
    if edited is not None and edited > since:
        answers.append(edited)
    return Waiting(since, min(answers, default=None))


def maintainer_wait(issue: Issue, history: History, awaiting_label: str) -> datetime | None:
    """Since when the issue has waited on the maintainers, or None when it does not."""
    responses = [
        c.created_at for c in history.comments if is_maintainer_response(c, issue, history)
    ]
    # Staff putting the issue in the requester's court is a response too.
    responses += [
        e.at
        for e in history.events
        if e.kind == "labeled"
        and e.label == awaiting_label
        and not history.is_automated(e.actor, e.actor_type)
        and e.actor.lower() != issue.author.lower()
    ]
    if not responses:
        return issue.created_at
    last = max(responses)
    replies = [
        c.created_at
        for c in history.comments
        if by_requester(c, issue, history) and c.created_at > last
    ]
    return min(replies, default=None)
