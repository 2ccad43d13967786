"""The lifecycle clocks: nudging and closing silent requests, flagging overdue ones, the PEP 541
reachability clock. The sweep runs them over every open issue; a delivery runs them only to
take the overdue flag off at once when a maintainer answers (the next sweep would too)."""

from __future__ import annotations

from bot.core.model import MAINTAINER_ASSOCIATIONS
from bot.core.reconcile import Proposal
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUE_COMMENT, SWEEP, Trigger
from bot.features.base import Feature, Situation
from bot.features.lifecycle.decide import CLOCKS, MAINTAINER
from bot.features.lifecycle.decide import decide as clocks

NAME = "lifecycle"


def wants(trigger: Trigger, rules: RepoRules) -> bool:
    if trigger.is_(SWEEP, *CLOCKS):
        return True  # one of the sweep's passes, named for its clock
    # A maintainer's answer takes the overdue flag off (if the delivery shows it on).
    comment = trigger.comment
    return (
        trigger.is_(ISSUE_COMMENT, "created")
        and comment is not None
        and not comment.by_bot
        and comment.association in MAINTAINER_ASSOCIATIONS
        and rules.lifecycle.maintainer_response.label in trigger.issue_labels
    )


def propose(situation: Situation, facts: object) -> Proposal:
    trigger = situation.trigger
    if trigger.is_(SWEEP):
        actions = clocks(situation.snapshot, situation.rules, situation.now, [trigger.action])
    else:  # a maintainer's comment: the overdue flag comes off now, not at the next sweep
        actions = clocks(situation.snapshot, situation.rules, situation.now, [MAINTAINER])
        flag = situation.rules.lifecycle.maintainer_response.label
        actions = [a for a in actions if getattr(a, "label", None) == flag]
    return Proposal(NAME, tuple(actions))


FEATURE = Feature(NAME, wants, propose)
