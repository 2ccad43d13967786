"""Who an issue waits on, read from its history: the requester (since the awaiting label
went on) or the maintainers (since the requester last spoke after a maintainer's answer).

The one definition the lifecycle clocks, triage and the queue report share (README, "Queue
report"): a maintainer's response, an issue's first response, and who it waits on. People
only: the bot's own comments and events, and other bots', never count as anyone's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import markers
from bot.core.model import (
    MAINTAINER_ASSOCIATIONS,
    Comment,
    History,
    Issue,
    IssueEvent,
    parse_time,
    same_label,
)

# An issue update this much later than every comment and event we know of is taken for an
# edit of the issue (the REST API records no event for a body edit).
EDIT_SLACK = timedelta(seconds=60)


def last_added(history: History, label: str) -> datetime | None:
    found = None
    for e in history.events:
        if e.kind == "labeled" and same_label(e.label, label):
            found = e.at if found is None else max(found, e.at)
    return found


def labelled_since(issue: Issue, history: History, label: str) -> datetime:
    """When an issue that carries `label` got it: its last `labeled` event, or the issue's
    creation when none is visible (given as it was opened, or older than the events read)."""
    return last_added(history, label) or issue.created_at


def requester_edit(issue: Issue, history: History) -> datetime | None:
    """When the requester last edited the issue, as far as the bot knows: what its triage
    comment recorded from the `issues.edited` deliveries (GitHub's REST API keeps no event
    for an edit of the text); for an issue without one, inferred from its update time."""
    state = markers.state_of(history, "triage")
    if state is not None:
        edited = state.get("edited")
        return parse_time(edited) if isinstance(edited, str) else None
    return last_edit(issue, history)


def last_edit(issue: Issue, history: History) -> datetime | None:
    """When the issue was last changed by something no comment or event explains, taken for
    an edit of its text (a deleted comment looks the same: `requester_edit` prefers what was
    recorded). None when every update is accounted for."""
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


def requester_wait(
    issue: Issue, history: History, awaiting_label: str, edited: datetime | None = None
) -> Waiting | None:
    """The wait on the requester while the awaiting label is on: since it was last added, or
    since a maintainer last spoke after that (asking again starts the wait afresh), until the
    requester's first comment, their edit (`edited`, see `requester_edit`) or a reopen after
    that."""
    if not issue.has_label(awaiting_label):
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
    answers = [a for a in answered_before if a > since]  # `since` only moved later
    # The requester's edit (`requester_edit`), and a reopen by a person after the bot closed
    # the issue for no response ("comment or reopen at any time to continue").
    answers += [
        e.at
        for e in history.events
        if e.kind == "reopened" and e.at > since and not history.is_automated(e.actor)
    ]
    if edited is not None and edited > since:
        answers.append(edited)
    return Waiting(since, min(answers, default=None))


def is_maintainer_close(event: IssueEvent, issue: Issue, history: History) -> bool:
    """A person other than the author closing the issue (only people with triage rights can
    close someone else's issue)."""
    return (
        event.kind == "closed"
        and not history.is_automated(event.actor, event.actor_type)
        and event.actor.lower() != issue.author.lower()
    )


def first_response(
    issue: Issue, history: History, until: datetime | None = None
) -> datetime | None:
    """The earliest maintainer action on the issue (before `until`): a comment by a person
    with a maintainer's association other than the author, or a close by a person other
    than the author. Bots, this one included, never count; nor do edits (only creation
    times are read)."""
    times = [c.created_at for c in history.comments if is_maintainer_response(c, issue, history)]
    times += [e.at for e in history.events if is_maintainer_close(e, issue, history)]
    return min((t for t in times if until is None or t < until), default=None)


def has_label_at(issue: Issue, history: History, label: str, at: datetime | None) -> bool:
    """Whether the issue carried `label` at `at` (now when None), from its label events;
    a label without any event is taken to have been there all along."""
    now = issue.has_label(label)
    if at is None:
        return now
    changes = sorted(
        (
            e
            for e in history.events
            if same_label(e.label, label) and e.kind in ("labeled", "unlabeled")
        ),
        key=lambda e: e.at,
    )
    before = [e for e in changes if e.at < at]
    if before:
        return before[-1].kind == "labeled"
    if changes:  # the first change came later: the label was there if it was taken off then
        return changes[0].kind == "unlabeled"
    return now


def unanswered_since(issue: Issue, history: History, at: datetime | None = None) -> datetime | None:
    """Since when the author has waited for a maintainer at `at` (now when None), or None:
    the issue's latest human activity (its creation, or a comment) is the author's, or there
    is none; it waits since the author's first comment after the latest maintainer comment,
    or since its creation when no maintainer has commented."""
    people = sorted(
        (c for c in history.comments if history.by_person(c) and (at is None or c.created_at < at)),
        key=lambda c: c.created_at,
    )
    if people and not by_requester(people[-1], issue, history):
        return None  # a maintainer, or someone else, spoke last
    answers = [i for i, c in enumerate(people) if is_maintainer_response(c, issue, history)]
    if not answers:
        return issue.created_at
    return next(c.created_at for c in people[answers[-1] + 1 :] if by_requester(c, issue, history))
