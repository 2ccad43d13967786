"""`bot backtest`: run the triage rules over exported issues, blind to the labels they carry,
and compare what the bot would add with what the staff left.

An issue is scored against the category labels staff left on it and, when the record says what
the request really is (`kind`, as in the real-issue corpus), the label that kind maps to:
**restored** when the bot adds one of those labels (or, when there is none, adds no category
label), **wrong** when it adds a category label that is neither, **missed** when it adds none
although one was expected. Per category: precision (of the bot's labels, how many were right)
and recall (of the issues that should have it, how many got a right label), a confusion matrix,
the issues behind each wrong label, and, with `compare`, which issues another rules file
decides differently.

Account recovery: with an index to ask (`--pypi`), each recovery request's account is looked
up as the bot would (`recovery_evidence`): triage then says what it would about the username
or the e-mail-only path, and each row carries the maintainers' note (GitHub is not asked; the
note says so). Without it, the rows say the index was not asked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.actions import SetComment
from bot.core.model import History, Issue, Snapshot
from bot.core.recovery import EMAIL_ONLY, FOUND, UNKNOWN
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUES, Trigger
from bot.features import recovery
from bot.features.base import AccountFacts, Situation
from bot.features.triage.decide import AccountCheck, decide

# Each issue is sorted as if it had just been filed.
_OPENED = Trigger(ISSUES, "opened")
# The corpus's `kind` (what a request really is, an annotator's judgment) -> the category label
# staff use for it. Security reports and everything else get no category label.
KIND_LABELS: Mapping[str, str | None] = {
    "account-recovery": "account-recovery",
    "pep541": "PEP 541",
    "limit-request": "limit request",
    "organization": "org support/request",
    "mass-name-squat": "mass name squat",
    "network": "network",
    "security-report": None,
    "other": None,
}

NONE = "(none)"
RESTORED, WRONG, MISSED = "restored", "wrong", "missed"


def to_issue_object(record: Mapping[str, Any]) -> dict[str, Any]:
    """A GitHub REST issue object from a simplified record (labels as plain names, the author
    as a login, dates as YYYY-MM-DD); a REST object is returned as it is."""
    data = dict(record)
    if "user" not in data and isinstance(data.get("author"), str):
        data["user"] = {"login": data["author"], "type": "User"}
        data.setdefault("author_association", "NONE")
        data.setdefault("comments", 0)
    labels = data.get("labels")
    if isinstance(labels, list):
        data["labels"] = [{"name": x} if isinstance(x, str) else x for x in labels]
    for key in ("created_at", "updated_at", "closed_at"):
        value = data.get(key)
        if isinstance(value, str) and len(value) == 10:
            data[key] = value + "T00:00:00Z"
    if "html_url" not in data and isinstance(data.get("url"), str):
        data["html_url"] = data["url"]
    return data


@dataclass(frozen=True)
class Row:
    number: int
    title: str
    category: str | None  # the category label the bot would add (None: no category)
    labels: tuple[str, ...]  # every label it would add
    replies: tuple[str, ...]
    actual: tuple[str, ...]  # category labels the issue carries (the staff's)
    skipped: str | None
    expected: tuple[str, ...] = ()  # the labels that count as restored (staff's, then kind's)
    kind: str | None = None
    missing: tuple[str, ...] = ()  # what the bot would ask for
    awaiting: bool = False  # the bot would add the awaiting label
    staff_awaiting: bool = False  # the issue carries the awaiting label
    misfilings: tuple[str, ...] = ()
    truncated: bool = False
    recovery: Evidence | None = None  # a recovery request's account, when the index was asked

    @property
    def outcome(self) -> str:
        if self.category is None:
            return RESTORED if not self.expected else MISSED
        return RESTORED if self.category in self.expected else WRONG

    @property
    def reference(self) -> str:
        """The row of the confusion matrix: what the issue should have been labelled."""
        if self.outcome == RESTORED:
            return self.category or NONE
        return self.expected[0] if self.expected else NONE


@dataclass(frozen=True)
class Evidence:
    """What the index said of a recovery request's account: what triage is told, and the
    maintainers' note."""

    account: AccountCheck
    note: str

    @property
    def last_line(self) -> str:
        """The note's conclusion: the suggested project, or why there is none."""
        lines = self.note.split("</details>")[0].rstrip().splitlines()
        return lines[-1] if lines else ""


def _as_filed(issue: Issue, rules: RepoRules, blind: bool) -> Issue:
    if not blind:
        return issue
    # Forget every label the rules know, as if the issue had just been filed without a form.
    rule_labels = set(rules.labels)
    return replace(
        issue,
        labels=tuple(x for x in issue.labels if x not in rule_labels),
        assignees=(),
        association="NONE",
        state="open",
    )


async def recovery_evidence(
    issues: Iterable[Mapping[str, Any]],
    rules: RepoRules,
    repo: str,
    accounts: AccountFacts,
    now: datetime,
    *,
    blind: bool = True,
) -> dict[int, Evidence]:
    """For each recovery request, its account as the index shows it, and the note: by the
    recovery feature itself, with the index but without GitHub."""
    from bot.runtime.reconcile import OfflineLookups

    lookups = OfflineLookups(accounts=accounts)
    found = {}
    for record in issues:
        issue = _as_filed(Issue.from_api(to_issue_object(record), repo), rules, blind)
        situation = Situation(Snapshot(issue, History()), _OPENED, rules, now, repo)
        findings = await recovery.FEATURE.gather(situation, lookups)
        if findings is None:
            continue
        notes = recovery.FEATURE.propose(situation, findings).actions
        text = next(a.text for a in notes if isinstance(a, SetComment))
        a = findings.account
        found[issue.number] = Evidence(
            AccountCheck(a.key, a.username, a.index_name, a.status), text
        )
    return found


def run(
    issues: Iterable[Mapping[str, Any]],
    rules: RepoRules,
    repo: str,
    *,
    blind: bool = True,
    evidence: Mapping[int, Evidence] | None = None,
) -> list[Row]:
    """`evidence`: from `recovery_evidence`, when the index may be asked."""
    category_labels = [c.label for c in rules.categories]
    awaiting = rules.triage.awaiting_label
    rows = []
    for record in issues:
        issue = Issue.from_api(to_issue_object(record), repo)
        actual = tuple(label for label in category_labels if label in issue.labels)
        kind = record.get("kind") if isinstance(record.get("kind"), str) else None
        kind_label = KIND_LABELS.get(kind) if kind else None
        expected = tuple(dict.fromkeys([*actual, *([kind_label] if kind_label else [])]))
        staff_awaiting = awaiting in issue.labels
        issue = _as_filed(issue, rules, blind)
        found = (evidence or {}).get(issue.number)
        plan = decide(
            Snapshot(issue, History()),
            rules,
            trigger=_OPENED,
            account=found.account if found is not None else None,
        )
        labels = tuple(label for a in plan.actions for label in getattr(a, "labels", ()))
        replies = tuple(a.body for a in plan.actions if hasattr(a, "body"))
        category = plan.verdict.category.label if plan.verdict.category else None
        rows.append(
            Row(
                number=issue.number,
                title=issue.title,
                category=category,
                labels=labels,
                replies=replies,
                actual=actual,
                skipped=plan.skipped,
                expected=expected,
                kind=kind,
                missing=plan.missing,
                awaiting=awaiting in labels,
                staff_awaiting=staff_awaiting,
                misfilings=tuple(m.name for m in plan.verdict.misfilings),
                truncated=bool(record.get("truncated")),
                recovery=found,
            )
        )
    return rows


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    outcomes = Counter(row.outcome for row in rows)
    labelled = [row for row in rows if row.actual]
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        confusion[row.reference][row.category or NONE] += 1
    categories = sorted({*confusion, *(c for r in confusion.values() for c in r)} - {NONE})
    per_category = {}
    for label in [*categories, NONE]:
        support = sum(confusion[label].values())
        predicted = sum(confusion[ref][label] for ref in confusion)
        correct = confusion[label][label]
        per_category[label] = {
            "issues": support,
            "labelled": predicted,
            "correct": correct,
            "precision_pct": _pct(correct, predicted),
            "recall_pct": _pct(correct, support),
        }
    wrong: dict[str, list[int]] = defaultdict(list)
    missed: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.outcome == WRONG:
            wrong[row.category or NONE].append(row.number)
        elif row.outcome == MISSED:
            missed[row.reference].append(row.number)
    asked = [row for row in rows if row.awaiting]
    return {
        "issues": len(rows),
        "restored": outcomes[RESTORED],
        "restored_pct": _pct(outcomes[RESTORED], len(rows)),
        "wrong_category": outcomes[WRONG],
        "wrong_pct": _pct(outcomes[WRONG], len(rows)),
        "no_category": outcomes[MISSED],
        "missed_pct": _pct(outcomes[MISSED], len(rows)),
        "with_category_label": len(labelled),
        "restored_of_labelled_pct": _pct(
            sum(1 for row in labelled if row.category in row.actual), len(labelled)
        ),
        "by_category": dict(sorted(Counter(row.category or NONE for row in rows).items())),
        "per_category": per_category,
        "confusion": {ref: dict(sorted(got.items())) for ref, got in sorted(confusion.items())},
        "wrong_issues": {label: numbers for label, numbers in sorted(wrong.items())},
        "missed_issues": {label: numbers for label, numbers in sorted(missed.items())},
        "verification_requests": len(asked),
        "verification_requests_staff_also_awaited": sum(1 for row in asked if row.staff_awaiting),
        "verification_issues": [row.number for row in asked],
        "recovery": _recovery_summary(rows),
    }


def _recovery_summary(rows: Sequence[Row]) -> dict[str, Any]:
    """What the index said of the recovery requests' accounts (none asked: `--pypi`)."""
    looked_up = [row.recovery for row in rows if row.recovery is not None]
    if not looked_up:
        return {"index": "not asked (run with --pypi to ask it)"}
    statuses = Counter(e.account.status for e in looked_up)
    return {
        "index": "asked",
        "requests": len(looked_up),
        "unknown_username": statuses[UNKNOWN],
        "email_only": statuses[EMAIL_ONLY],
        "found": statuses[FOUND],
        "not_checked": statuses[None],
        "suggested_project": sum(1 for e in looked_up if "Suggested" in e.last_line),
    }


@dataclass(frozen=True)
class Change:
    number: int
    title: str
    old: Row
    new: Row

    def to_json(self) -> dict[str, Any]:
        return {
            "issue": self.number,
            "title": self.title[:80],
            "category": [self.old.category, self.new.category],
            "outcome": [self.old.outcome, self.new.outcome],
            "missing": [list(self.old.missing), list(self.new.missing)],
            "labels": [list(self.old.labels), list(self.new.labels)],
        }


def compare(old: Sequence[Row], new: Sequence[Row]) -> list[Change]:
    """The issues that two runs over the same issues decide differently: another category,
    other labels, or other missing items."""
    before = {row.number: row for row in old}
    changes = []
    for row in new:
        was = before.get(row.number)
        if was is None:
            continue
        if (was.category, set(was.labels), was.missing) != (
            row.category,
            set(row.labels),
            row.missing,
        ):
            changes.append(Change(row.number, row.title, was, row))
    return changes


def row_json(row: Row) -> dict[str, Any]:
    return {
        "issue": row.number,
        "title": row.title[:80],
        "category": row.category,
        "add_labels": list(row.labels),
        "replies": list(row.replies),
        "labels_now": list(row.actual),
        "expected": list(row.expected),
        "outcome": row.outcome,
        "missing": list(row.missing),
        "misfilings": list(row.misfilings),
        "skipped": row.skipped,
        "recovery_note": row.recovery.note if row.recovery is not None else None,
    }


def _short(label: str) -> str:
    return label if len(label) <= 10 else label[:9] + "…"


def report(
    rows: Sequence[Row],
    source: str,
    changes: Sequence[Change] | None = None,
    compared_with: str | None = None,
) -> str:
    """The backtest as a staff member reads it before trusting a rules change."""
    s = summary(rows)
    by_number = {row.number: row for row in rows}
    n = s["issues"]
    out = [
        f"Backtest of {source} over {n} issues (blind: the labels the rules know are removed).",
        "",
        f"  restored  {s['restored']:>4}/{n}  {s['restored_pct']}%   the staff's category "
        "label, or the one the issue's kind maps to; no category label when neither exists",
        f"  wrong     {s['wrong_category']:>4}/{n}  {s['wrong_pct']}%   a category label that "
        "is neither",
        f"  missed    {s['no_category']:>4}/{n}  {s['missed_pct']}%   no category label where "
        "one was expected",
        "",
        "Per category (rows of the confusion matrix below):",
        f"  {'category':<22}{'issues':>7}{'labelled':>10}{'correct':>9}"
        f"{'precision':>11}{'recall':>8}",
    ]

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value}%"

    for label, stats in s["per_category"].items():
        out.append(
            f"  {label:<22}{stats['issues']:>7}{stats['labelled']:>10}{stats['correct']:>9}"
            f"{pct(stats['precision_pct']):>11}{pct(stats['recall_pct']):>8}"
        )
    columns = [c for c in s["per_category"] if c != NONE] + [NONE]
    out += ["", "Confusion matrix (rows: expected, columns: the bot's category label):"]
    out.append("  " + " " * 22 + "".join(f"{_short(c):>11}" for c in columns))
    for ref in columns:
        got = s["confusion"].get(ref, {})
        if not got:
            continue
        out.append(f"  {ref:<22}" + "".join(f"{(got.get(c) or '·')!s:>11}" for c in columns))

    def issue_line(number: int) -> str:
        row = by_number[number]
        staff = ", ".join(row.actual) or "none"
        kind = f", kind {row.kind}" if row.kind else ""
        cut = " (excerpt cut off)" if row.truncated else ""
        return f"    #{number} {row.title[:70]!r}: staff {staff}{kind}{cut}"

    def by_label(heading: str, issues: dict[str, list[int]]) -> list[str]:
        lines = ["", heading] + ([] if issues else ["  none"])
        for label, numbers in issues.items():
            lines.append(f"  {label} ({len(numbers)}):")
            lines += [issue_line(number) for number in numbers]
        return lines

    out += by_label("Wrong labels, by the label the bot would add:", s["wrong_issues"])
    out += by_label("Missed, by the label expected:", s["missed_issues"])
    out += [
        "",
        f"Verification requests (the awaiting label and a list of what is missing): "
        f"{s['verification_requests']} issues, {s['verification_requests_staff_also_awaited']} "
        "of them also awaited by staff.",
    ]
    for number in s["verification_issues"]:
        row = by_number[number]
        cut = " (excerpt cut off)" if row.truncated else ""
        out.append(f"    #{number} {row.title[:60]!r}{cut}: " + "; ".join(row.missing))
    recovery_rows = [row for row in rows if row.recovery is not None]
    if not recovery_rows:
        out += ["", "Account recovery: the index was not asked (--pypi asks it)."]
    else:
        out += ["", "Account recovery (what the index says of each request's account):"]
    for row in recovery_rows:
        assert row.recovery is not None
        check, last = row.recovery.account, row.recovery.last_line
        status = check.status or "not checked"
        out.append(f"    #{row.number} {check.username!r} on {check.index}: {status}; {last}")
    if changes is not None:
        out += ["", f"Changes against {compared_with or 'the other rules'}: {len(changes)} issues."]
        for change in changes:
            old, new = change.old, change.new
            line = f"    #{change.number} {change.title[:60]!r}: "
            parts = []
            if old.category != new.category:
                parts.append(f"{old.category or NONE} -> {new.category or NONE}")
            if old.outcome != new.outcome:
                parts.append(f"{old.outcome} -> {new.outcome}")
            if old.missing != new.missing:
                parts.append(
                    "missing [" + "; ".join(old.missing) + "] -> [" + "; ".join(new.missing) + "]"
                )
            if set(old.labels) != set(new.labels):
                parts.append(f"labels {sorted(old.labels)} -> {sorted(new.labels)}")
            out.append(line + ", ".join(parts))
        if changes:
            moved = Counter((c.old.outcome, c.new.outcome) for c in changes)
            out.append(
                "  outcomes: "
                + ", ".join(f"{a} -> {b}: {k}" for (a, b), k in sorted(moved.items()) if a != b)
            )
    return "\n".join(out) + "\n"
