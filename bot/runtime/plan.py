"""`bot plan`: what the bot would do for one delivery, decided offline by the same pipeline as
a delivery (every feature: commands, lifecycle, triage, names).

Offline means no GitHub and no PyPI: the issue is taken as the payload shows it, with no
earlier comments or events; a person's role is judged from the author association the payload
shows; searches and PyPI lookups give no answer (the recovery note says what it could not
check). With `accounts` (`plan --pypi`), the recovery note and triage ask the index about the
account; GitHub is still not asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.core.actions import describe
from bot.core.model import History, Issue, Snapshot
from bot.core.recognition import skip_reason
from bot.core.reconcile import difference
from bot.core.rules import Rules
from bot.core.trigger import Trigger
from bot.features.base import AccountFacts, Situation
from bot.features.triage.decide import missing_items
from bot.runtime.delivery import envelope_of, ignored_on_receipt
from bot.runtime.reconcile import OfflineLookups, decide, wanted_by


def _associations(data: Mapping[str, Any]) -> dict[str, str]:
    """Who the payload shows with which author association."""
    found = {}
    for key in ("issue", "comment"):
        item = data.get(key)
        if isinstance(item, Mapping) and isinstance(item.get("user"), Mapping):
            login = item["user"].get("login")
            if isinstance(login, str):
                found[login] = str(item.get("author_association") or "NONE")
    return found


async def plan(
    event: str,
    data: Mapping[str, Any],
    rules: Rules,
    now: datetime,
    accounts: AccountFacts | None = None,
) -> dict[str, Any]:
    """Raises `delivery.Refused` for a payload whose envelope the service would refuse."""
    envelope = envelope_of(data)
    repo = envelope.repository_name
    result: dict[str, Any] = {"event": event, "action": envelope.action, "repository": repo}
    if why := ignored_on_receipt(envelope, rules):
        return {**result, "outcome": "ignored", "why": why}
    repo_rules = rules.for_repo(repo)
    issue_data = data.get("issue")
    if repo is None or repo_rules is None or not isinstance(issue_data, Mapping):
        return {**result, "outcome": "ignored", "why": "no issue in this event"}
    trigger = Trigger.from_delivery(event, data)
    features = wanted_by(trigger, repo_rules)
    if not features:
        why = f"no feature acts on {event}.{trigger.action} here"
        return {**result, "outcome": "ignored", "why": why}
    issue = Issue.from_api(issue_data, repo)
    snapshot = Snapshot(issue, History(bot_login=rules.bot.login))
    situation = Situation(snapshot, trigger, repo_rules, now, repo)
    decided = await decide(situation, OfflineLookups(_associations(data), accounts))
    todo = difference(decided.plan, snapshot)
    verdict = situation.verdict
    category = verdict.category
    missing = (
        missing_items(category, issue, snapshot.parsed)
        if category is not None and not verdict.skip_verification
        else ()
    )
    skipped = skip_reason(issue, repo_rules)
    return {
        **result,
        "outcome": "skipped" if skipped else "planned",
        "why": skipped,
        "issue": issue.number,
        "features": features,
        "category": category.name if category else None,
        "scores": dict(verdict.scores),
        "misfilings": [m.name for m in verdict.misfilings],
        "missing": list(missing),
        "actions": [
            {"feature": step.feature, **action}
            for step in todo.steps
            for action in describe(list(step.actions))
        ],
        "overruled": [
            {"feature": o.feature, "by": o.by, **o.action.to_json()} for o in decided.plan.overruled
        ],
        "failed": decided.failed,
        "index": "asked" if accounts is not None else "not asked (offline; --pypi asks it)",
    }
