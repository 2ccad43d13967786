"""What the core decides and the executor does. Each action says why, for logs and `plan`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Action:
    reason: str

    @property
    def kind(self) -> str:
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "kind": self.kind,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in data.items()},
        }


@dataclass(frozen=True)
class AddLabels(Action):
    labels: tuple[str, ...]


@dataclass(frozen=True)
class RemoveLabel(Action):
    label: str


@dataclass(frozen=True)
class AddAssignees(Action):
    users: tuple[str, ...]


@dataclass(frozen=True)
class RemoveAssignees(Action):
    users: tuple[str, ...]


@dataclass(frozen=True)
class PostComment(Action):
    body: str
    marker: str  # the marker kind, looked for before any retry so it is never posted twice


@dataclass(frozen=True)
class EditComment(Action):
    comment_id: int
    body: str


@dataclass(frozen=True)
class Close(Action):
    state_reason: str = "completed"  # completed | not_planned | duplicate


@dataclass(frozen=True)
class Reopen(Action):
    pass


@dataclass(frozen=True)
class React(Action):
    comment_id: int | None  # None: react to the issue itself
    content: str


def describe(actions: list[Action]) -> list[dict[str, Any]]:
    return [a.to_json() for a in actions]
