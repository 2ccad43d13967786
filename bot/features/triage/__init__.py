"""Triage: recognise a new request, label and assign it, check its form, say in one comment
what is missing and what happens next; look again when the requester edits or answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.core import markers
from bot.core.model import iso
from bot.core.reconcile import Proposal
from bot.core.recovery import account_key, on_test_pypi, requested_username
from bot.core.roles import MAINTAINER_ASSOCIATIONS
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUE_COMMENT, ISSUES, Trigger
from bot.features.base import Feature, Lookups, Situation, edited_by_a_stranger
from bot.features.triage.decide import MARKER, AccountCheck, comment_state
from bot.features.triage.decide import decide as triage

NAME = "triage"


def wants(trigger: Trigger, rules: RepoRules) -> bool:
    if rules.triage.skip_maintainers and trigger.issue_association in MAINTAINER_ASSOCIATIONS:
        return False  # as delivered; the snapshot decides for the sweep
    if trigger.first_sort:
        return True
    if trigger.is_(ISSUES, "edited"):
        return trigger.text_changed and not trigger.by_bot
    return trigger.is_(ISSUE_COMMENT, "created") and trigger.by_requester


@dataclass(frozen=True)
class Facts:
    pool_load: Mapping[str, int] | None = None
    queue_count: int | None = None
    account: AccountCheck | None = None


async def gather(situation: Situation, lookups: Lookups) -> Facts | None:
    trigger, issue, rules = situation.trigger, situation.snapshot.issue, situation.rules
    if await edited_by_a_stranger(situation, lookups):
        return None
    account = await _account(situation, lookups)
    category = situation.verdict.category
    if category is None or not trigger.first_sort:
        return Facts(account=account)
    if markers.find(situation.snapshot.history, MARKER) is not None:
        return Facts(account=account)  # sorted already: the assignee and queue are chosen
    pool_load = None
    assign = category.assign
    if assign is not None and assign.pool and not issue.assignees:
        pool_load = {}
        for user in assign.pool:
            count = await lookups.search_count(
                f"repo:{situation.repo} is:issue is:open assignee:{user}"
            )
            pool_load[user] = count or 0
    queue_count = None
    if rules.triage.queue_position.enabled:
        created = iso(issue.created_at)
        queue_count = await lookups.search_count(
            f'repo:{situation.repo} is:issue is:open label:"{category.label}" created:<{created}'
        )
    return Facts(pool_load, queue_count, account)


async def _account(situation: Situation, lookups: Lookups) -> AccountCheck | None:
    """For a recovery request: the PyPI account it names and, unless the comment already
    says what the index said of that account, what the index says now. The index's facts
    come from the same cached service the recovery note asks; when it cannot be reached,
    the status is None and the comment says nothing about the account."""
    settings, snapshot = situation.rules.recovery_evidence, situation.snapshot
    if not settings.enabled or not situation.is_request_in(settings.category):
        return None
    username = requested_username(snapshot.issue, settings, snapshot.parsed)
    if username is None:
        return None
    test = on_test_pypi(snapshot.issue, snapshot.history, situation.rules, situation.verdict)
    check = AccountCheck(account_key(username, test), username, "TestPyPI" if test else "PyPI")
    old = comment_state(snapshot.history)
    accounts = lookups.accounts()
    if (old is not None and old.account_key == check.key) or accounts is None:
        return check  # told already (decide keeps it), or no index to ask
    found = await accounts.account(username, test=test, limit=settings.max_projects)
    return replace(check, status=found.status)


def propose(situation: Situation, facts: Facts) -> Proposal:
    plan = triage(
        situation.snapshot,
        situation.rules,
        trigger=situation.trigger,
        verdict=situation.verdict,
        pool_load=facts.pool_load,
        queue_count=facts.queue_count,
        account=facts.account,
    )
    return Proposal(NAME, plan.actions)


FEATURE = Feature(NAME, wants, propose, gather)
