"""One plan from every feature's wishes, and what of it is not yet true.

Pure. The runtime reads a snapshot, asks each feature what it wants (`Proposal`), merges the
proposals into one `Plan`, and applies `difference(plan, snapshot)`: nothing that is already
true is written again, so working the same delivery twice, or a delivery and the sweep one
after the other, converges to the same issue.

The merge rule: each thing on the issue (a label, an assignee, its state, one of the bot's
comments, a reaction) is decided by the first feature in `bot.features.FEATURES` that wants
something for it. Commands come first, so a maintainer's word wins over what the bot would
do on its own; what people did by hand is in the snapshot, and every feature respects it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core import markers
from bot.core.actions import (
    Action,
    AddAssignees,
    AddLabels,
    Close,
    RemoveAssignees,
    RemoveLabel,
    Reopen,
    SetComment,
    Target,
)
from bot.core.model import Snapshot

# What a feature says instead, when one of its changes could not be made: given the action
# that failed and why, the actions that replace the feature's remaining ones.
OnFailure = Callable[[Action, str], tuple[Action, ...]]


@dataclass(frozen=True)
class Proposal:
    feature: str
    actions: tuple[Action, ...] = ()
    on_failure: OnFailure | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Overruled:
    feature: str
    action: Action
    by: str  # the feature whose wish for the same thing came first


@dataclass(frozen=True)
class Plan:
    steps: tuple[Proposal, ...] = ()
    overruled: tuple[Overruled, ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(a for step in self.steps for a in step.actions)


def merge(proposals: Iterable[Proposal]) -> Plan:
    """Proposals in the features' order; each thing goes to the first feature that wants it."""
    owner: dict[Target, str] = {}
    steps, overruled = [], []
    for proposal in proposals:
        kept: list[Action] = []
        for action in proposal.actions:
            free = {
                t for t in action.targets() if owner.get(t, proposal.feature) == proposal.feature
            }
            narrowed = action.keeping(free)
            if narrowed != action:
                taken = next(t for t in action.targets() if t not in free)
                overruled.append(Overruled(proposal.feature, action, owner[taken]))
            if narrowed is not None:
                kept.append(narrowed)
        for action in kept:
            for target in action.targets():
                owner.setdefault(target, proposal.feature)
        if kept:
            steps.append(Proposal(proposal.feature, tuple(kept), proposal.on_failure))
    return Plan(tuple(steps), tuple(overruled))


@dataclass
class _View:
    """The issue as the plan's earlier actions leave it."""

    labels: set[str]
    assignees: set[str]
    state: str
    state_reason: str | None

    @classmethod
    def of(cls, snapshot: Snapshot) -> _View:
        issue = snapshot.issue
        return cls(
            {label.lower() for label in issue.labels},
            {user.lower() for user in issue.assignees},
            issue.state,
            issue.state_reason,
        )

    def after(self, action: Action) -> None:
        match action:
            case AddLabels(labels=names):
                self.labels |= {name.lower() for name in names}
            case RemoveLabel(label=name):
                self.labels.discard(name.lower())
            case AddAssignees(users=users):
                self.assignees |= {user.lower() for user in users}
            case RemoveAssignees(users=users):
                self.assignees -= {user.lower() for user in users}
            case Close(state_reason=reason):
                self.state, self.state_reason = "closed", reason
            case Reopen():
                self.state, self.state_reason = "open", "reopened"


def still_needed(action: Action, snapshot: Snapshot, view: _View | None = None) -> Action | None:
    """The part of `action` that is not already true of the issue (as `view`, the plan's
    earlier actions, leaves it), or None."""
    view = view or _View.of(snapshot)
    match action:
        case AddLabels(labels=wanted):
            missing = tuple(name for name in wanted if name.lower() not in view.labels)
            return AddLabels(action.reason, missing) if missing else None
        case RemoveLabel(label=label):
            return action if label.lower() in view.labels else None
        case AddAssignees(users=users):
            new = tuple(user for user in users if user.lower() not in view.assignees)
            return AddAssignees(action.reason, new) if new else None
        case RemoveAssignees(users=users):
            gone = tuple(user for user in users if user.lower() in view.assignees)
            return RemoveAssignees(action.reason, gone) if gone else None
        case SetComment():
            existing = markers.find(snapshot.history, *action.identity)
            if existing is None:
                return action
            said_once = not markers.KINDS[action.marker].edited
            return None if said_once or existing.body.strip() == action.body.strip() else action
        case Close(state_reason=reason):
            return None if view.state == "closed" and view.state_reason == reason else action
        case Reopen():
            return None if view.state == "open" else action
    return action


def difference(plan: Plan, snapshot: Snapshot) -> Plan:
    """The plan without what is already true, each action judged on the issue as the
    actions before it leave it (`/label x` then `/unlabel x` adds, then removes)."""
    view = _View.of(snapshot)
    last_say = {
        a.identity: a for step in plan.steps for a in step.actions if isinstance(a, SetComment)
    }
    steps = []
    for step in plan.steps:
        needed = []
        for action in step.actions:
            if isinstance(action, SetComment) and last_say[action.identity] is not action:
                continue  # said again later in the plan: only the last text is posted
            kept = still_needed(action, snapshot, view)
            if kept is not None:
                needed.append(kept)
                view.after(kept)
        if needed:
            steps.append(Proposal(step.feature, tuple(needed), step.on_failure))
    return Plan(tuple(steps), plan.overruled)
