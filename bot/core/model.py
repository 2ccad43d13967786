"""Plain data the decisions work on, built from REST objects or webhook payloads alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from bot.core.forms import ParsedBody, parse_body
from bot.core.roles import MAINTAINER_ASSOCIATIONS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _count(value: Any) -> int:
    """A number GitHub gives (an id, a count); 0 for anything else a delivery may hold."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return 0


def parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return EPOCH
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return EPOCH


def iso(when: datetime) -> str:
    """A time as GitHub writes it, in UTC to the second; as the bot's markers keep times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_label(a: str | None, b: str | None) -> bool:
    """GitHub's label names are case-insensitive (`PEP 541` is `pep 541`)."""
    return a is not None and b is not None and a.lower() == b.lower()


def is_bot(login: object, user_type: object = None) -> bool:
    """A bot, by GitHub's account type or an App's login (values from deliveries are untrusted:
    anything that is not a string is no login)."""
    return user_type == "Bot" or (isinstance(login, str) and login.endswith("[bot]"))


def _user(data: Any) -> tuple[str, str]:
    if not isinstance(data, Mapping):
        return "", "User"
    return str(data.get("login") or ""), str(data.get("type") or "User")


def _names(items: Any, key: str) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    names = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get(key), str):
            names.append(item[key])
        elif isinstance(item, str):
            names.append(item)
    return tuple(names)


@dataclass(frozen=True)
class Issue:
    repo: str
    number: int
    title: str = ""
    body: str = ""
    author: str = ""
    author_type: str = "User"
    association: str = "NONE"
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    state: str = "open"
    state_reason: str | None = None  # completed | not_planned | reopened | None
    locked: bool = False
    is_pull_request: bool = False
    created_at: datetime = EPOCH
    updated_at: datetime = EPOCH
    closed_at: datetime | None = None
    comment_count: int = 0
    html_url: str = ""  # the issue's page on GitHub (or GitHub Enterprise Server)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], repo: str) -> Issue:
        author, author_type = _user(data.get("user"))
        return cls(
            repo=repo,
            number=_count(data.get("number")),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            author=author,
            author_type=author_type,
            association=str(data.get("author_association") or "NONE"),
            labels=_names(data.get("labels"), "name"),
            assignees=_names(data.get("assignees"), "login"),
            state=str(data.get("state") or "open"),
            state_reason=(
                data["state_reason"] if isinstance(data.get("state_reason"), str) else None
            ),
            locked=bool(data.get("locked")),
            is_pull_request=bool(data.get("pull_request")),
            created_at=parse_time(data.get("created_at")),
            updated_at=parse_time(data.get("updated_at")),
            closed_at=parse_time(data["closed_at"]) if data.get("closed_at") else None,
            comment_count=_count(data.get("comments")),
            html_url=str(data.get("html_url") or ""),
        )

    def has_label(self, name: str | None) -> bool:
        return any(same_label(label, name) for label in self.labels)

    @property
    def by_maintainer(self) -> bool:
        return self.association in MAINTAINER_ASSOCIATIONS

    @property
    def by_bot(self) -> bool:
        return is_bot(self.author, self.author_type)


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    author_type: str = "User"
    association: str = "NONE"
    body: str = ""
    created_at: datetime = EPOCH
    updated_at: datetime = EPOCH

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Comment:
        author, author_type = _user(data.get("user"))
        return cls(
            id=_count(data.get("id")),
            author=author,
            author_type=author_type,
            association=str(data.get("author_association") or "NONE"),
            body=str(data.get("body") or ""),
            created_at=parse_time(data.get("created_at")),
            updated_at=parse_time(data.get("updated_at")),
        )

    @property
    def by_bot(self) -> bool:
        return is_bot(self.author, self.author_type)


@dataclass(frozen=True)
class IssueEvent:
    """An entry of the issue's event list: labeled, unlabeled, closed, reopened, ..."""

    kind: str
    actor: str
    actor_type: str = "User"
    at: datetime = EPOCH
    label: str | None = None
    state_reason: str | None = None  # of a closed event: completed, not_planned, duplicate

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> IssueEvent:
        actor, actor_type = _user(data.get("actor"))
        label = data.get("label")
        return cls(
            kind=str(data.get("event") or ""),
            actor=actor,
            actor_type=actor_type,
            at=parse_time(data.get("created_at")),
            label=label.get("name") if isinstance(label, Mapping) else None,
            state_reason=(
                data["state_reason"] if isinstance(data.get("state_reason"), str) else None
            ),
        )


# Timeline entries that are neither comments nor issue events the bot reads.
_COMMENTED = "commented"


@dataclass(frozen=True)
class History:
    """What happened on an issue before now: its comments and its events."""

    comments: tuple[Comment, ...] = ()
    events: tuple[IssueEvent, ...] = ()
    bot_login: str | None = None

    @classmethod
    def from_timeline(cls, items: Iterable[Mapping[str, Any]], bot_login: str | None) -> History:
        """From the issue's timeline, which holds its comments and its events in one list."""
        comments, events = [], []
        for item in items:
            if not isinstance(item, Mapping):
                continue
            if item.get("event") == _COMMENTED:
                comments.append(Comment.from_api(item))
            else:
                events.append(IssueEvent.from_api(item))
        return cls(tuple(comments), tuple(events), bot_login)

    def is_ours(self, login: str) -> bool:
        if self.bot_login:
            return login.lower() == self.bot_login.lower()
        return False

    def is_automated(self, login: str, user_type: str | None = None) -> bool:
        """A bot, this one included: never a maintainer's response, never a requester's
        activity, never a person's act."""
        return is_bot(login, user_type) or self.is_ours(login)

    def by_person(self, comment: Comment) -> bool:
        return not self.is_automated(comment.author, comment.author_type)

    def last_label_event(self, label: str) -> IssueEvent | None:
        found = None
        for e in self.events:
            if same_label(e.label, label) and e.kind in ("labeled", "unlabeled"):
                found = e
        return found

    def removed_by_human(self, label: str) -> bool:
        """A human took this label off: the bot must never put it back."""
        return any(
            e.kind == "unlabeled"
            and same_label(e.label, label)
            and not self.is_automated(e.actor, e.actor_type)
            for e in self.events
        )

    def ever_removed(self, label: str) -> bool:
        """The label was taken off once, by anyone: a person directly, or the bot on a
        person's command. Labels the bot adds on its own are never put back after that."""
        return any(e.kind == "unlabeled" and same_label(e.label, label) for e in self.events)

    def added_by_us(self, label: str) -> bool:
        last = self.last_label_event(label)
        return last is not None and last.kind == "labeled" and self.is_ours(last.actor)

    def latest(self) -> datetime:
        """When anything last happened in it (a comment written or edited, an event)."""
        times = [c.updated_at for c in self.comments] + [e.at for e in self.events]
        return max(times, default=EPOCH)

    def our_comments(self) -> list[Comment]:
        return [c for c in self.comments if self.is_ours(c.author)]


@dataclass(frozen=True)
class Snapshot:
    """An issue as it is now, with its history: what every decision is made from."""

    issue: Issue
    history: History = field(default_factory=History)

    @cached_property
    def parsed(self) -> ParsedBody:
        """The issue's body, parsed once for every feature that reads it."""
        return parse_body(self.issue.body)
