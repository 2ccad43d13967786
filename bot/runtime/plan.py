"""`bot plan`: what the bot would do for one delivery, decided offline.

Offline means no GitHub: the issue is taken as the payload shows it, with no earlier comments
or events, and the sender's role is judged from the payload's author association.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import bot.features.triage.decide as triage
from bot.core.actions import describe
from bot.core.model import History, Issue, is_bot
from bot.core.rules import Rules
from bot.runtime.service import repository

TRIGGERS = {
    ("issues", "opened"): triage.OPENED,
    ("issues", "edited"): triage.EDITED,
}


def plan(event: str, data: Mapping[str, Any], rules: Rules, now: datetime) -> dict[str, Any]:
    repo = repository(data)
    repo_rules = rules.for_repo(repo)
    result: dict[str, Any] = {"event": event, "action": data.get("action"), "repository": repo}
    if repo_rules is None:
        return {**result, "outcome": "ignored", "why": "repository not in the rules"}
    sender = data.get("sender") if isinstance(data.get("sender"), Mapping) else {}
    if rules.bot.ignore_other_bots and is_bot(sender.get("login"), sender.get("type")):
        return {**result, "outcome": "ignored", "why": "sent by a bot"}
    issue_data = data.get("issue")
    if not isinstance(issue_data, Mapping):
        return {**result, "outcome": "ignored", "why": "no issue in this event"}
    issue = Issue.from_api(issue_data, repo or "")
    trigger = TRIGGERS.get((event, str(data.get("action"))))
    if event == "issue_comment" and data.get("action") == "created":
        comment = data.get("comment") if isinstance(data.get("comment"), Mapping) else {}
        author = (comment.get("user") or {}).get("login", "")
        if str(author).lower() == issue.author.lower():
            trigger = triage.AUTHOR_COMMENT
    if trigger is None:
        return {**result, "outcome": "ignored", "why": "no triage for this event"}
    decided = triage.decide(issue, History(), repo_rules, now=now, trigger=trigger)
    verdict = decided.verdict
    return {
        **result,
        "outcome": "skipped" if decided.skipped else "planned",
        "why": decided.skipped,
        "issue": issue.number,
        "category": verdict.category.name if verdict.category else None,
        "scores": dict(verdict.scores),
        "misfilings": [m.name for m in verdict.misfilings],
        "missing": list(decided.missing),
        "actions": describe(list(decided.actions)),
    }
