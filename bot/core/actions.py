"""What the features decide: each action is a wish about the issue's state, with its reason
(for logs, `plan` and the sweep's report). The runtime applies a plan of them as a
difference against the snapshot, so an action that is already true costs nothing.

Each action names the things it changes (`targets`): one label, one assignee, the issue's
open/closed state, one of the bot's comments (by its marker), one reaction. When two features
want something different for the same thing, the plan keeps the wish of the feature listed
first (`bot.features.FEATURES`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.core import markers

Target = tuple[str, ...]


@dataclass(frozen=True)
class Action:
    reason: str

    @property
    def kind(self) -> str:
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    def targets(self) -> tuple[Target, ...]:
        raise NotImplementedError

    def keeping(self, targets: set[Target]) -> Action | None:
        """This action narrowed to `targets` (None when nothing is left)."""
        return self if set(self.targets()) <= targets else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "kind": self.kind,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in data.items()},
        }


def _label(name: str) -> Target:
    return ("label", name.lower())


def _assignee(login: str) -> Target:
    return ("assignee", login.lower())


@dataclass(frozen=True)
class AddLabels(Action):
    labels: tuple[str, ...]

    def targets(self) -> tuple[Target, ...]:
        return tuple(_label(name) for name in self.labels)

    def keeping(self, targets: set[Target]) -> Action | None:
        kept = tuple(name for name in self.labels if _label(name) in targets)
        return replace(self, labels=kept) if kept else None


@dataclass(frozen=True)
class RemoveLabel(Action):
    label: str

    def targets(self) -> tuple[Target, ...]:
        return (_label(self.label),)


@dataclass(frozen=True)
class _Assignees(Action):
    users: tuple[str, ...]

    def targets(self) -> tuple[Target, ...]:
        return tuple(_assignee(user) for user in self.users)

    def keeping(self, targets: set[Target]) -> Action | None:
        kept = tuple(user for user in self.users if _assignee(user) in targets)
        return replace(self, users=kept) if kept else None


@dataclass(frozen=True)
class AddAssignees(_Assignees):
    pass


@dataclass(frozen=True)
class RemoveAssignees(_Assignees):
    pass


@dataclass(frozen=True)
class SetComment(Action):
    """The bot's comment of this marker kind (and key, see `markers.KINDS`) says `text`:
    posted when the issue has none, edited when it says something else."""

    marker: str
    text: str
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return markers.compose(self.text, self.marker, self.state)

    @property
    def identity(self) -> tuple[str, str | None]:
        return markers.identity(self.marker, self.state)

    def targets(self) -> tuple[Target, ...]:
        kind, key = self.identity
        return (("comment", kind, key or ""),)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, "marker": self.marker, "body": self.body}


@dataclass(frozen=True)
class Close(Action):
    state_reason: str = "completed"  # completed | not_planned | duplicate

    def targets(self) -> tuple[Target, ...]:
        return (("state",),)


@dataclass(frozen=True)
class Reopen(Action):
    def targets(self) -> tuple[Target, ...]:
        return (("state",),)


@dataclass(frozen=True)
class React(Action):
    comment_id: int | None  # None: react to the issue itself
    content: str

    def targets(self) -> tuple[Target, ...]:
        return (("reaction", str(self.comment_id), self.content),)


def describe(actions: list[Action]) -> list[dict[str, Any]]:
    return [a.to_json() for a in actions]
