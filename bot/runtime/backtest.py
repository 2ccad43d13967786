"""`bot backtest`: run the triage rules over exported issues, blind to the labels they carry,
and compare what the bot would add with what the staff left."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.model import History, Issue, Snapshot
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUES, Trigger
from bot.features.triage.decide import decide

# Each issue is sorted as if it had just been filed.
_OPENED = Trigger(ISSUES, "opened")


@dataclass(frozen=True)
class Row:
    number: int
    title: str
    category: str | None
    labels: tuple[str, ...]
    replies: tuple[str, ...]
    actual: tuple[str, ...]  # category labels the issue carries
    skipped: str | None


def run(
    issues: Iterable[Mapping[str, Any]],
    rules: RepoRules,
    repo: str,
    now: datetime,
    *,
    blind: bool = True,
) -> list[Row]:
    category_labels = {c.label for c in rules.categories}
    rule_labels = set(rules.labels)
    rows = []
    for data in issues:
        issue = Issue.from_api(data, repo)
        actual = tuple(label for label in issue.labels if label in category_labels)
        if blind:
            # Forget every label the rules know, as if the issue had just been filed without a form.
            issue = replace(
                issue,
                labels=tuple(x for x in issue.labels if x not in rule_labels),
                assignees=(),
                association="NONE",
                state="open",
            )
        plan = decide(Snapshot(issue, History()), rules, trigger=_OPENED)
        labels = tuple(label for a in plan.actions for label in getattr(a, "labels", ()))
        replies = tuple(a.body for a in plan.actions if hasattr(a, "body"))
        category = plan.verdict.category.label if plan.verdict.category else None
        rows.append(Row(issue.number, issue.title, category, labels, replies, actual, plan.skipped))
    return rows


def summary(rows: list[Row]) -> dict[str, Any]:
    by_category = Counter(row.category or "(none)" for row in rows)
    labelled = [row for row in rows if row.actual]
    restored = sum(1 for row in labelled if row.category in row.actual)
    wrong = sum(1 for row in rows if row.category is not None and row.category not in row.actual)
    missed = sum(1 for row in labelled if row.category is None)
    return {
        "issues": len(rows),
        "by_category": dict(sorted(by_category.items())),
        "with_category_label": len(labelled),
        "restored": restored,
        "restored_pct": round(100 * restored / len(labelled), 1) if labelled else None,
        "wrong_category": wrong,
        "wrong_pct": round(100 * wrong / len(rows), 1) if rows else None,
        "no_category": missed,
    }
