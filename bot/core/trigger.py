"""What happened, as a delivery (or the sweep) tells it: only a hint that an issue may need
work. Decisions read what *is* from the snapshot; the trigger says what the change was and
who made it (a comment's text as written, the old text of an edit, the label added)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.model import Comment, is_bot

ISSUES = "issues"
ISSUE_COMMENT = "issue_comment"
SWEEP = "sweep"
# The sweep's catch-up of a new issue no delivery was worked for (the bot was down, or GitHub
# kept failing); its other passes are named for the lifecycle clock they run.
CATCH_UP = "catch_up"


@dataclass(frozen=True)
class Trigger:
    event: str  # issues | issue_comment | sweep
    action: str  # opened, edited, labeled, created, ... ; for the sweep: clocks | catch_up
    sender: str = ""
    sender_type: str = "User"
    comment: Comment | None = None  # the comment a comment event is about, as delivered
    old_body: str | None = None  # an edit's previous text (changes.body.from)
    changed: frozenset[str] = frozenset()  # what an edit changed: body, title
    label: str | None = None  # the label of a labeled/unlabeled event
    # Hints from the delivery, to skip reading an issue no feature can have work on (an
    # issue's author never changes; its labels may have by the time the work is done).
    issue_author: str = ""
    issue_association: str = "NONE"
    issue_labels: frozenset[str] = frozenset()
    issue_body: str = ""

    @classmethod
    def sweep(cls, action: str) -> Trigger:
        return cls(SWEEP, action)

    @classmethod
    def from_delivery(cls, event: str, data: Mapping[str, Any]) -> Trigger:
        sender = _mapping(data.get("sender"))
        changes = _mapping(data.get("changes"))
        old = _mapping(changes.get("body")).get("from")
        comment = data.get("comment")
        label = _mapping(data.get("label")).get("name")
        issue = _mapping(data.get("issue"))
        labels = issue.get("labels") if isinstance(issue.get("labels"), list) else []
        return cls(
            event=event,
            action=str(data.get("action") or ""),
            sender=str(sender.get("login") or ""),
            sender_type=str(sender.get("type") or "User"),
            comment=Comment.from_api(comment) if isinstance(comment, Mapping) else None,
            old_body=old if isinstance(old, str) else None,
            changed=frozenset(str(k) for k in changes),
            label=label if isinstance(label, str) else None,
            issue_author=str(_mapping(issue.get("user")).get("login") or ""),
            issue_association=str(issue.get("author_association") or "NONE"),
            issue_labels=frozenset(
                str(x.get("name")) for x in labels if isinstance(x, Mapping) and x.get("name")
            ),
            issue_body=issue["body"] if isinstance(issue.get("body"), str) else "",
        )

    def is_(self, event: str, *actions: str) -> bool:
        return self.event == event and (not actions or self.action in actions)

    @property
    def first_sort(self) -> bool:
        """A new issue to sort: its opened delivery, or the sweep's catch-up of it."""
        return self.is_(ISSUES, "opened") or self.is_(SWEEP, CATCH_UP)

    @property
    def by_bot(self) -> bool:
        return is_bot(self.sender, self.sender_type)

    @property
    def by_requester(self) -> bool:
        """A comment by the issue's author (as delivered: the comment, the issue's author)."""
        comment = self.comment
        return (
            comment is not None
            and not comment.by_bot
            and bool(self.issue_author)
            and comment.author.lower() == self.issue_author.lower()
        )

    @property
    def text_changed(self) -> bool:
        """An issue edit that changed the request (GitHub lists what changed; a delivery
        with an empty list is taken to have changed it)."""
        return not self.changed or bool({"body", "title"} & self.changed)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
