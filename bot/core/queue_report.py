"""The queue report's figures (README, "Queue report"): pure, issues with their timelines in,
figures out. `python -m bot report`, the dashboard issue and `GET /report` all show these.

The definitions are the README's and SPEC's, word for word in the docstrings below; who a
maintainer is and who an issue waits on come from `bot.core.waiting`, the one definition the
lifecycle clocks share.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.core import markers
from bot.core.model import Comment, History, Issue, IssueEvent, Snapshot, iso, same_label
from bot.core.recognition import labelled_category
from bot.core.rules import RepoRules
from bot.core.waiting import first_response, has_label_at, is_maintainer_response, unanswered_since

UNCATEGORISED = "uncategorised"
WAITING_LISTED = 20  # the most issues listed as waiting on maintainers, per category
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
# The bot's comments that mark its own acts (bot/features/lifecycle, bot/features/triage).
NUDGE, CLOSE_NO_RESPONSE, TRIAGE = "nudge", "close-no-response", "triage"
# A close follows the bot's closing comment within the same piece of work (or, if that
# close failed, the next sweep's).
CLOSE_AFTER_COMMENT = timedelta(hours=2)


def hours(delta: timedelta) -> float:
    return delta / HOUR


def week_start(when: datetime) -> datetime:
    """Midnight (UTC) of the Monday on or before `when`."""
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Responses:
    """First response times in hours: count, mean, median and 90th percentile."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> Responses:
        if not values:
            return cls()
        p90 = (
            statistics.quantiles(values, n=10, method="inclusive")[8]
            if len(values) > 1
            else values[0]
        )
        return cls(
            len(values),
            round(statistics.mean(values), 2),
            round(statistics.median(values), 2),
            round(p90, 2),
        )

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median, "p90": self.p90}


@dataclass(frozen=True)
class Waiter:
    """An open issue waiting on the maintainers at the end of the window."""

    number: int
    hours: float
    title: str = ""  # outside text: the views escape it
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "waiting_hours": self.hours}


@dataclass(frozen=True)
class CategoryFigures:
    name: str
    label: str | None
    opened: int = 0
    closed: int = 0
    closed_completed: int = 0
    closed_not_planned: int = 0
    open_at_end: int = 0
    unanswered: int = 0
    first_response: Responses = field(default_factory=Responses)
    target_hours: float | None = None
    within_target_pct: float | None = None
    waiting_on_requester: int = 0
    waiting_on_maintainers: tuple[Waiter, ...] = ()
    waiting_on_maintainers_total: int = 0  # before the list was cut to WAITING_LISTED

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "opened": self.opened,
            "closed": self.closed,
            "closed_completed": self.closed_completed,
            "closed_not_planned": self.closed_not_planned,
            "open_at_end": self.open_at_end,
            "unanswered": self.unanswered,
            "first_response_hours": self.first_response.to_json(),
            "target_hours": self.target_hours,
            "within_target_pct": self.within_target_pct,
            "waiting_on_requester": self.waiting_on_requester,
            "waiting_on_maintainers": [w.to_json() for w in self.waiting_on_maintainers],
        }


@dataclass(frozen=True)
class Week:
    start: date
    open: dict[str, int]
    opened: dict[str, int]
    closed: dict[str, int]
    median_first_response_hours: dict[str, float | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "week_start": self.start.isoformat(),
            "open": self.open,
            "opened": self.opened,
            "closed": self.closed,
            "median_first_response_hours": self.median_first_response_hours,
        }


@dataclass(frozen=True)
class BotEffect:
    verification_completed: int = 0
    nudges: int = 0
    closed_no_response: int = 0
    reopened_after_bot_close: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class QueueReport:
    repository: str
    since: datetime
    until: datetime
    categories: tuple[CategoryFigures, ...]
    weekly: tuple[Week, ...]
    bot: BotEffect
    issues: int = 0  # issues the figures were computed from

    def to_json(self) -> dict[str, Any]:
        """The JSON contract (README, "Queue report"; SPEC.md)."""
        return {
            "repository": self.repository,
            "since": iso(self.since),
            "until": iso(self.until),
            "categories": {c.name: c.to_json() for c in self.categories},
            "weekly": [w.to_json() for w in self.weekly],
            "bot": self.bot.to_json(),
        }

    def category(self, name: str) -> CategoryFigures:
        return next(c for c in self.categories if c.name == name)


# --- one issue's facts ------------------------------------------------------------------------


def category_of(issue: Issue, rules: RepoRules) -> str:
    """The first of the rules' categories whose label the issue carries now."""
    labelled = labelled_category(issue, rules)
    return labelled.name if labelled is not None else UNCATEGORISED


def _changes(history: History) -> tuple[IssueEvent, ...]:
    """The issue's closes and reopens, oldest first."""
    return tuple(
        sorted((e for e in history.events if e.kind in ("closed", "reopened")), key=lambda e: e.at)
    )


def open_at(issue: Issue, changes: Sequence[IssueEvent], when: datetime) -> bool:
    """Whether the issue was open at `when`, from its close and reopen events (`_changes`;
    the issue's own state and `closed_at` when it has none)."""
    if issue.created_at >= when:
        return False
    before = [e for e in changes if e.at < when]
    if before:
        return before[-1].kind == "reopened"
    if changes:
        return changes[0].kind == "closed"
    return issue.state == "open" or (issue.closed_at is not None and issue.closed_at >= when)


def last_close_in(issue: Issue, changes: Sequence[IssueEvent], since: datetime, until: datetime):
    """The issue's last close in [since, until), as (time, state_reason), or None."""
    closes = [e for e in changes if e.kind == "closed" and since <= e.at < until]
    if closes:
        return closes[-1].at, closes[-1].state_reason or issue.state_reason
    recorded = any(e.kind == "closed" for e in changes)
    if not recorded and issue.closed_at is not None and since <= issue.closed_at < until:
        return issue.closed_at, issue.state_reason  # a record without its events
    return None


@dataclass(frozen=True)
class _Facts:
    """What the figures need from one issue."""

    issue: Issue
    changes: tuple[IssueEvent, ...]  # its closes and reopens (`_changes`)
    category: str
    opened: bool  # created in the window
    response: float | None  # hours to the first response (before `until`), if any
    response_delta: timedelta | None
    close: tuple[datetime, str | None] | None  # its last close in the window
    open_at_end: bool
    awaiting_at_end: bool
    waiting_since: datetime | None  # on the maintainers, at `until`


def _facts(snapshot: Snapshot, rules: RepoRules, since: datetime, until: datetime) -> _Facts:
    issue, history = snapshot.issue, snapshot.history
    first = first_response(issue, history, until)
    delta = first - issue.created_at if first is not None else None
    changes = _changes(history)
    is_open = open_at(issue, changes, until)
    awaiting = is_open and has_label_at(issue, history, rules.triage.awaiting_label, until)
    return _Facts(
        issue=issue,
        changes=changes,
        category=category_of(issue, rules),
        opened=since <= issue.created_at < until,
        response=hours(delta) if delta is not None else None,
        response_delta=delta,
        close=last_close_in(issue, changes, since, until),
        open_at_end=is_open,
        awaiting_at_end=awaiting,
        # Open, without the awaiting label and unanswered: waiting on the maintainers.
        waiting_since=unanswered_since(issue, history, until) if is_open and not awaiting else None,
    )


def counted(snapshot: Snapshot, until: datetime) -> bool:
    """Pull requests, issues opened after the window and issues this bot opened (its
    dashboard) are not counted."""
    issue = snapshot.issue
    return (
        not issue.is_pull_request
        and issue.created_at < until
        and not snapshot.history.is_ours(issue.author)
    )


# --- the bot's own effect ---------------------------------------------------------------------


def _our_markers(history: History) -> list[tuple[Comment, str, dict[str, Any]]]:
    """The bot's comments with the kind and state of their markers, each read once."""
    found = []
    for comment in history.our_comments():
        marker = markers.trailing(comment.body)
        if marker is not None:
            found.append((comment, *marker))
    return found


def _verification_completed(
    issue: Issue, history: History, marked, awaiting: str, since: datetime, until: datetime
) -> bool:
    """Triage asked for missing fields (it put the awaiting label on) and took the label off
    in the window because the requester answered or completed the form, with no maintainer
    comment in between."""
    triage = [state for _, kind, state in marked if kind == TRIAGE]
    if not triage or triage[-1].get("awaiting") != "done":
        return False
    ours = sorted(
        (e for e in history.events if same_label(e.label, awaiting) and history.is_ours(e.actor)),
        key=lambda e: e.at,
    )
    start = next((e.at for e in ours if e.kind == "labeled"), None)
    if start is None:
        return False
    end = next((e.at for e in ours if e.kind == "unlabeled" and e.at >= start), None)
    if end is None or not since <= end < until:
        return False
    return not any(
        start <= c.created_at <= end and is_maintainer_response(c, issue, history)
        for c in history.comments
    )


def _reopened_after_bot_close(
    history: History, changes: Sequence[IssueEvent], marked, since: datetime, until: datetime
) -> bool:
    """Reopened in the window right after the bot closed it for lack of response."""
    closing = [c.created_at for c, kind, _ in marked if kind == CLOSE_NO_RESPONSE]
    for i, event in enumerate(changes):
        if event.kind != "reopened" or not since <= event.at < until or i == 0:
            continue
        close = changes[i - 1]
        by_us = close.kind == "closed" and history.is_ours(close.actor)
        if by_us and any(close.at - CLOSE_AFTER_COMMENT <= t <= close.at for t in closing):
            return True
    return False


def bot_effect(
    snapshots: Sequence[Snapshot], facts: Sequence[_Facts], rules: RepoRules, since, until
) -> BotEffect:
    awaiting = rules.triage.awaiting_label
    completed = nudges = closes = reopened = 0
    for snapshot, f in zip(snapshots, facts, strict=True):
        issue, history = snapshot.issue, snapshot.history
        marked = _our_markers(history)
        completed += _verification_completed(issue, history, marked, awaiting, since, until)
        in_window = [kind for c, kind, _ in marked if since <= c.created_at < until]
        nudges += in_window.count(NUDGE)
        closes += in_window.count(CLOSE_NO_RESPONSE)
        reopened += _reopened_after_bot_close(history, f.changes, marked, since, until)
    return BotEffect(completed, nudges, closes, reopened)


# --- the figures ------------------------------------------------------------------------------


def _within_target(facts: list[_Facts], target: timedelta, until: datetime) -> float | None:
    """100 × (opened with a first response ≤ target) / (opened with a first response, or
    older than the target at `until`), rounded to 0.1."""
    opened = [f for f in facts if f.opened]
    eligible = [
        f for f in opened if f.response_delta is not None or until - f.issue.created_at > target
    ]
    if not eligible:
        return None
    within = [f for f in eligible if f.response_delta is not None and f.response_delta <= target]
    return round(100 * len(within) / len(eligible), 1)


def _category(
    name: str,
    label: str | None,
    days: float | None,
    facts: list[_Facts],
    until: datetime,
) -> CategoryFigures:
    opened = [f for f in facts if f.opened]
    closed = [f for f in facts if f.close is not None]
    target = timedelta(days=days) if days is not None else None
    waiting = sorted(
        (f for f in facts if f.waiting_since is not None),
        key=lambda f: (f.waiting_since, f.issue.number),
    )
    return CategoryFigures(
        name=name,
        label=label,
        opened=len(opened),
        closed=len(closed),
        closed_completed=sum(1 for f in closed if f.close and f.close[1] == "completed"),
        closed_not_planned=sum(1 for f in closed if f.close and f.close[1] == "not_planned"),
        open_at_end=sum(1 for f in facts if f.open_at_end),
        unanswered=sum(1 for f in opened if f.response is None),
        first_response=Responses.of([f.response for f in opened if f.response is not None]),
        target_hours=round(hours(target), 2) if target is not None else None,
        within_target_pct=_within_target(facts, target, until) if target is not None else None,
        waiting_on_requester=sum(1 for f in facts if f.awaiting_at_end),
        waiting_on_maintainers=tuple(
            Waiter(
                f.issue.number,
                round(hours(until - f.waiting_since), 2),
                f.issue.title,
                f.issue.html_url,
            )
            for f in waiting[:WAITING_LISTED]
            if f.waiting_since is not None
        ),
        waiting_on_maintainers_total=len(waiting),
    )


def _weeks(facts: list[_Facts], names: list[str], since, until) -> tuple[Week, ...]:
    """Each week (Monday to Monday) that overlaps the window, cut to the window: the open
    backlog at its end, what was opened and closed in it, and the median first response of
    the issues opened in it."""
    weeks = []
    start = week_start(since)
    while start < until:
        lo, hi = max(start, since), min(start + WEEK, until)
        opened = {n: 0 for n in names}
        closed = {n: 0 for n in names}
        backlog = {n: 0 for n in names}
        responses: dict[str, list[float]] = {n: [] for n in names}
        for f in facts:
            if f.issue.created_at >= hi:
                continue
            if lo <= f.issue.created_at:
                opened[f.category] += 1
                if f.response is not None:
                    responses[f.category].append(f.response)
            if last_close_in(f.issue, f.changes, lo, hi) is not None:
                closed[f.category] += 1
            if open_at(f.issue, f.changes, hi):
                backlog[f.category] += 1
        medians = {n: round(statistics.median(v), 2) if v else None for n, v in responses.items()}
        weeks.append(Week(start.date(), backlog, opened, closed, medians))
        start += WEEK
    return tuple(weeks)


def compute(
    repository: str,
    snapshots: Iterable[Snapshot],
    rules: RepoRules,
    since: datetime,
    until: datetime,
) -> QueueReport:
    """The figures over the window [since, until) from the issues and their timelines: every
    issue open at `until` or updated in the window must be among `snapshots` (more do no
    harm)."""
    kept = [s for s in snapshots if counted(s, until)]
    facts = [_facts(s, rules, since, until) for s in kept]
    names = [c.name for c in rules.categories] + [UNCATEGORISED]
    by_name: dict[str, list[_Facts]] = {n: [] for n in names}
    for f in facts:
        by_name[f.category].append(f)
    categories = (
        *(
            _category(c.name, c.label, c.maintainer_response_days, by_name[c.name], until)
            for c in rules.categories
        ),
        _category(UNCATEGORISED, None, None, by_name[UNCATEGORISED], until),
    )
    return QueueReport(
        repository=repository,
        since=since,
        until=until,
        categories=categories,
        weekly=_weeks(facts, names, since, until),
        bot=bot_effect(kept, facts, rules, since, until),
        issues=len(kept),
    )
