"""The stale and lifecycle clocks, as plain functions of an issue, its history, the rules and
the time. No network: `bot.sweep` fetches, calls `decide`, and acts.

Three clocks, each stateless (all it needs is on GitHub: labels, events, and hidden markers in
the bot's own comments):

- **requester** (the awaiting label is on): starts when that label was last added; the
  author's comment, or an edit of the issue after it, stops it. Bots' activity never counts.
  One nudge per waiting period (marker `nudge`, state {"since": start}), then a close as not
  planned once `close_after_days` have passed and `days_after_nudge` since the nudge.
- **maintainer** (per category's `maintainer_response_days`): waiting on maintainers
  (`bot.core.waiting.unanswered_since`: the requester spoke last, or nobody did) since the
  issue was opened, or since the requester's first comment after the last maintainer
  comment. Past the limit the flag label goes on; a maintainer's response takes it off (only
  when the bot put it there). Never while the issue waits on the requester or on a PEP 541
  owner.
- **reachability** (PEP 541): started by `/pep541 contacted` (marker `pep541-clock`) or the
  start label; reminds maintainers when the next contact attempt is due (marker
  `pep541-reminder`, {"attempt": n}) and marks the issue ready for decision once
  (`pep541-ready`, {"since": start}); `owner-replied` (state "stopped") ends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cachetools

from bot.core import markers
from bot.core.actions import Action, AddLabels, Close, RemoveLabel, SetComment
from bot.core.model import History, Issue, Snapshot, iso, parse_time
from bot.core.recognition import labelled_category, recognise
from bot.core.rules import Category, RepoRules
from bot.core.text import render
from bot.core.waiting import (
    is_maintainer_response,
    labelled_since,
    last_added,
    requester_edit,
    requester_wait,
    unanswered_since,
)

NUDGE = "nudge"
CLOSE = "close-no-response"
CLOCK = "pep541-clock"
REMINDER = "pep541-reminder"
READY = "pep541-ready"
SNOOZE = "snooze"

# The clocks, by who feels them: the requester's come first when a run's writes are few.
REQUESTER, REACHABILITY, MAINTAINER = "requester", "reachability", "maintainer"
CLOCKS = (REQUESTER, REACHABILITY, MAINTAINER)


def days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _fmt(value: float) -> str:
    return f"{value:.1f}"


# Recognising a category runs every rule pattern over the body: remember it per issue text.
_categories: cachetools.LRUCache[tuple[int, int], tuple[RepoRules, Category | None]] = (
    cachetools.LRUCache(maxsize=20_000)
)


def category_of(issue: Issue, rules: RepoRules) -> Category | None:
    """The issue's category, whose response target its maintainers' clock keeps: the one
    whose label it carries (`labelled_category`), else the one its text is recognised as."""
    labelled = labelled_category(issue, rules)
    if labelled is not None:
        return labelled
    key = (id(rules), hash((issue.title, issue.body, issue.labels)))
    cached = _categories.get(key)
    if cached is not None and cached[0] is rules:
        return cached[1]
    category = recognise(issue, rules).category
    _categories[key] = (rules, category)
    return category


# --- what the listing alone tells ---------------------------------------------------------


def exempt_reason(issue: Issue, rules: RepoRules) -> str | None:
    """Exemptions visible without the issue's history (snoozes need its comments)."""
    if issue.is_pull_request:
        return "pull request"
    if issue.state != "open":
        return "closed"
    if issue.locked:
        return "locked"
    held = [lab for lab in rules.lifecycle.exempt.labels if issue.has_label(lab)]
    if held:
        return f"exempt label {held[0]!r}"
    return None


def reachability_label(rules: RepoRules) -> str | None:
    """The label every issue under a PEP 541 reachability clock carries: the start label, or
    (when none is set) the PEP 541 category's own."""
    clock = rules.lifecycle.reachability
    if not clock.enabled:
        return None
    if clock.start_label:
        return clock.start_label
    category = rules.category(rules.name_intelligence.category)
    return category.label if category is not None else None


def maintainer_window_days(rules: RepoRules) -> float | None:
    """How far back an issue's last update can be and still let it cross a response target
    within `flag_within_days` (None: no category has a target)."""
    limits = [c.maintainer_response_days for c in rules.categories if c.maintainer_response_days]
    if not limits:
        return None
    return max(limits) + rules.lifecycle.maintainer_response.flag_within_days


def could_act(issue: Issue, rules: RepoRules, now: datetime, clock: str) -> bool:
    """A cheap pre-filter on a listing: False means the clock cannot act on the issue now, so
    its timeline is not read."""
    if exempt_reason(issue, rules) is not None:
        return False
    life = rules.lifecycle
    age, quiet = days(now - issue.created_at), days(now - issue.updated_at)
    if clock == REQUESTER:
        cfg = life.awaiting_response
        if not issue.has_label(rules.triage.awaiting_label):
            return False
        if life.exempt.assigned and issue.assignees:
            return False
        # An issue that moved in the last few days has nothing due: the label, a maintainer's
        # question or the requester's answer is that recent, or the bot's nudge is (and the
        # close waits `days_after_nudge` after it).
        return age >= cfg.nudge_after_days and quiet >= min(
            cfg.nudge_after_days, cfg.days_after_nudge
        )
    if clock == REACHABILITY:
        label = reachability_label(rules)
        return (
            label is not None and issue.has_label(label) and age >= life.reachability.interval_days
        )
    if clock == MAINTAINER:
        category = category_of(issue, rules)
        limit = category.maintainer_response_days if category is not None else None
        if not limit or age < limit:
            return False
        # The wait starts at creation or at the requester's reply, both at most as late as
        # the last update: an issue quiet for longer crossed its target too long ago to flag.
        return quiet <= limit + life.maintainer_response.flag_within_days
    return False


# --- reading the history --------------------------------------------------------------------


def snoozed_until(history: History, now: datetime) -> datetime | None:
    comment = markers.find(history, SNOOZE)
    if comment is None:
        return None
    state = markers.read(comment.body, SNOOZE) or {}
    until = parse_time(state.get("until"))
    return until if until > now else None


def _fields(issue: Issue, **extra: Any) -> dict[str, Any]:
    return {"author": f"@{issue.author}", "author_name": issue.author, **extra}


def _reply(
    reason: str, rules: RepoRules, name: str, fields: dict[str, Any], kind: str, state: dict
) -> SetComment:
    return SetComment(reason, kind, render(rules.replies.get(name, ""), fields), state)


def _can_add(history: History, label: str, present: Iterable[str]) -> bool:
    return label.lower() not in {x.lower() for x in present} and not history.removed_by_human(label)


# --- the clocks -----------------------------------------------------------------------------


def requester_clock(
    issue: Issue, history: History, rules: RepoRules, now: datetime
) -> list[Action]:
    wait = requester_wait(
        issue, history, rules.triage.awaiting_label, requester_edit(issue, history)
    )
    if wait is None or wait.answered is not None:
        return []
    if rules.lifecycle.exempt.assigned and issue.assignees:
        return []
    cfg = rules.lifecycle.awaiting_response
    since = iso(wait.since)
    waited = days(now - wait.since)
    nudge = markers.find(history, NUDGE, markers.identity(NUDGE, {"since": since})[1])
    if nudge is None:
        if waited < cfg.nudge_after_days:
            return []
        reason = (
            f"requester clock: waiting {_fmt(waited)} days since {since} "
            f"(nudge after {_fmt(cfg.nudge_after_days)})"
        )
        fields = _fields(issue, days=int(waited))
        return [_reply(reason, rules, cfg.nudge_reply, fields, NUDGE, {"since": since})]
    after_nudge = days(now - nudge.created_at)
    if waited < cfg.close_after_days or after_nudge < cfg.days_after_nudge:
        return []
    reason = (
        f"requester clock: waiting {_fmt(waited)} days since {since}, nudged "
        f"{_fmt(after_nudge)} days ago (close after {_fmt(cfg.close_after_days)}, "
        f"at least {_fmt(cfg.days_after_nudge)} after the nudge)"
    )
    fields = _fields(issue, days=int(waited))
    return [
        _reply(reason, rules, cfg.close_reply, fields, CLOSE, {"since": since}),
        Close(reason, state_reason="not_planned"),
    ]


@dataclass(frozen=True)
class Reachability:
    start: datetime
    attempts: tuple[datetime, ...]  # contact attempts recorded, the first one included
    stopped: datetime | None


def reachability(issue: Issue, history: History, rules: RepoRules) -> Reachability | None:
    if not rules.reachability_clock_on:
        return None  # turned off (its replies need not be defined): an old marker is history
    clock = markers.find(history, CLOCK)
    if clock is not None:
        state = markers.read(clock.body, CLOCK) or {}
        raw = state.get("attempts") if isinstance(state.get("attempts"), list) else []
        attempts = tuple(sorted(parse_time(a) for a in raw if parse_time(a).year > 1970))
        stopped = parse_time(state["stopped"]) if state.get("stopped") else None
        if attempts:
            return Reachability(attempts[0], attempts, stopped)
        if stopped is not None:
            return Reachability(clock.created_at, (clock.created_at,), stopped)
    start_label = rules.lifecycle.reachability.start_label
    if start_label and issue.has_label(start_label):
        start = labelled_since(issue, history, start_label)
        return Reachability(start, (start,), None)
    return None


def reachability_clock(
    issue: Issue, history: History, rules: RepoRules, now: datetime
) -> list[Action]:
    if not rules.lifecycle.reachability.enabled:
        return []
    clock = reachability(issue, history, rules)
    if clock is None or clock.stopped is not None:
        return []
    cfg = rules.lifecycle.reachability
    start = iso(clock.start)
    elapsed = days(now - clock.start)
    if elapsed >= cfg.decision_after_days:
        actions: list[Action] = []
        reason = (
            f"reachability clock: {_fmt(elapsed)} days since the first contact attempt "
            f"({start}) without a reply from the owner (decision after "
            f"{_fmt(cfg.decision_after_days)})"
        )
        if cfg.ready_label and _can_add(history, cfg.ready_label, issue.labels):
            actions.append(AddLabels(reason, (cfg.ready_label,)))
        fields = _fields(issue, days=int(elapsed), attempts=cfg.attempts)
        actions.append(_reply(reason, rules, cfg.ready_reply, fields, READY, {"since": start}))
        return actions
    # The latest attempt now due that was neither recorded nor reminded of (earlier missed
    # ones are skipped: one reminder, not a burst).
    due_at = clock.attempts[0]
    latest: tuple[int, datetime] | None = None
    for n in range(2, cfg.attempts + 1):
        previous = clock.attempts[n - 2] if len(clock.attempts) >= n - 1 else due_at
        due_at = previous + timedelta(days=cfg.interval_days)
        if len(clock.attempts) >= n:
            continue
        if now >= due_at:
            latest = (n, due_at)
    if latest is None:
        return []
    n, due_at = latest
    reason = (
        f"reachability clock: contact attempt {n} of {cfg.attempts} due since {iso(due_at)} "
        f"({_fmt(elapsed)} days since the first attempt, every {_fmt(cfg.interval_days)})"
    )
    fields = _fields(issue, attempt=n, attempts=cfg.attempts, days=int(elapsed))
    state = {"attempt": n, "since": start}
    return [_reply(reason, rules, cfg.reminder_reply, fields, REMINDER, state)]


def _human_act_since(history: History, issue: Issue, when: datetime) -> bool:
    """A person acted on the issue's clock after `when`: a maintainer's answer, or a label a
    person changed (the requester's own comments keep it waiting on maintainers)."""
    answered = any(
        c.created_at > when and is_maintainer_response(c, issue, history) for c in history.comments
    )
    relabelled = any(
        e.at > when
        and e.kind in ("labeled", "unlabeled")
        and not history.is_automated(e.actor, e.actor_type)
        for e in history.events
    )
    return answered or relabelled


def maintainer_clock(
    issue: Issue, history: History, rules: RepoRules, now: datetime, *, paused: str | None
) -> list[Action]:
    """Flag an issue that crossed its category's response target recently (within
    `flag_within_days`: a months-long backlog is the queue report's to show, not thousands of
    labels'); take the flag off only when a person's act stopped the wait, so that the bot's
    own doings (a triage comment, its awaiting label) never make a flag come and go."""
    cfg = rules.lifecycle.maintainer_response
    label = cfg.label
    category = category_of(issue, rules)
    limit = category.maintainer_response_days if category is not None else None
    # Not paused means the issue does not wait on its requester: the awaiting label is off,
    # or the requester answered after it went on (a label staff put on by hand stays until
    # they take it off; the wait it marked is over all the same).
    since = None if paused or limit is None else unanswered_since(issue, history)
    waited = days(now - since) if since is not None else 0.0
    overdue = since is not None and limit is not None and waited >= limit
    if overdue and _can_add(history, label, issue.labels):
        assert category is not None and since is not None and limit is not None
        crossed = since + timedelta(days=limit)
        if days(now - crossed) > cfg.flag_within_days:
            return []  # overdue long before: in the report's longest waits, not flagged now
        reason = (
            f"maintainer clock: {category.name} waiting on maintainers {_fmt(waited)} days "
            f"since {iso(since)} (limit {_fmt(limit)})"
        )
        return [AddLabels(reason, (label,))]
    if not overdue and issue.has_label(label) and history.added_by_us(label):
        flagged = last_added(history, label)
        if flagged is None or not _human_act_since(history, issue, flagged):
            return []
        why = paused or (
            "a maintainer responded" if category is not None and limit else "no response limit"
        )
        return [RemoveLabel(f"maintainer clock: no longer overdue ({why})", label)]
    return []


def decide(
    snapshot: Snapshot, rules: RepoRules, now: datetime, clocks: Iterable[str] = CLOCKS
) -> list[Action]:
    """What the lifecycle clocks (all, or the ones named) want done to this issue now."""
    issue, history = snapshot.issue, snapshot.history
    clocks = set(clocks)
    if exempt_reason(issue, rules) is not None:
        return []
    if snoozed_until(history, now) is not None:
        return []
    actions: list[Action] = []
    if REQUESTER in clocks:
        actions += requester_clock(issue, history, rules, now)
        if any(isinstance(a, Close) for a in actions):
            return actions
    if REACHABILITY in clocks:
        actions += reachability_clock(issue, history, rules, now)
    if MAINTAINER in clocks:
        clock = reachability(issue, history, rules)
        wait = requester_wait(
            issue, history, rules.triage.awaiting_label, requester_edit(issue, history)
        )
        paused = None
        if wait is not None and wait.answered is None:
            paused = "waiting on the requester"
        elif (
            clock is not None
            and clock.stopped is None
            and days(now - clock.start) < rules.lifecycle.reachability.decision_after_days
        ):
            # Ready for a decision, the request waits on the maintainers again.
            paused = "PEP 541 reachability clock running"
        actions += maintainer_clock(issue, history, rules, now, paused=paused)
    return actions


def waiting_since(snapshot: Snapshot, rules: RepoRules, clock: str) -> datetime:
    """How long the issue has waited on what this clock watches (the longest waits are the
    most urgent when a run's writes are few); its creation when the clock sees no wait."""
    issue, history = snapshot.issue, snapshot.history
    since = None
    if clock == REQUESTER:
        edited = requester_edit(issue, history)
        wait = requester_wait(issue, history, rules.triage.awaiting_label, edited)
        since = wait.since if wait is not None else None
    elif clock == REACHABILITY:
        started = reachability(issue, history, rules)
        since = started.start if started is not None else None
    elif clock == MAINTAINER:
        since = unanswered_since(issue, history)
    return since or issue.created_at


def explain(number: int, actions: Iterable[Action]) -> list[str]:
    """One line per planned action, for `sweep --dry-run`."""
    lines = []
    for a in actions:
        what = a.kind
        if isinstance(a, AddLabels):
            what += " " + ", ".join(repr(x) for x in a.labels)
        elif isinstance(a, RemoveLabel):
            what += f" {a.label!r}"
        elif isinstance(a, SetComment):
            what += f" ({a.marker})"
        elif isinstance(a, Close):
            what += f" ({a.state_reason})"
        lines.append(f"#{number}: {what} — {a.reason}")
    return lines
