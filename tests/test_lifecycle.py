"""The lifecycle clocks as pure functions: an issue, its history, the rules and the time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import bot.features.lifecycle.decide as lifecycle
from bot.core import markers
from bot.core.actions import AddLabels, Close, RemoveLabel, SetComment
from bot.core.model import Comment, History, Issue, IssueEvent, Snapshot
from bot.core.reconcile import still_needed
from bot.core.rules import load_rules
from tests.conftest import ROOT

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BOT = "pypi-support-bot"
AWAITING = "status: awaiting response"
RULES = load_rules(ROOT / "rules.yaml").for_repo("pypi/support")
assert RULES is not None


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def issue(*, labels=("account-recovery",), created=60.0, updated=None, **kw) -> Issue:
    created_at = ago(created)
    return Issue(
        repo="pypi/support",
        number=7,
        title="Account recovery request",
        author="alice",
        labels=tuple(labels),
        created_at=created_at,
        updated_at=ago(updated) if updated is not None else created_at,
        **kw,
    )


_ids = iter(range(1, 10_000))


def comment(author: str, days: float, body: str = "hi", association: str = "NONE") -> Comment:
    kind = "Bot" if author.endswith("[bot]") else "User"
    at = ago(days)
    return Comment(next(_ids), author, kind, association, body, at, at)


def ours(days: float, kind: str, state: dict | None = None) -> Comment:
    return comment(BOT, days, markers.compose("text", kind, state))


def labeled(label: str, days: float, actor: str = "staff", kind: str = "labeled") -> IssueEvent:
    return IssueEvent(kind, actor, "User", ago(days), label)


def decide(i: Issue, comments=(), events=(), now: datetime = NOW):
    """What the clocks would write: their wishes less what is already true."""
    snapshot = Snapshot(i, History(tuple(comments), tuple(events), bot_login=BOT))
    wished = lifecycle.decide(snapshot, RULES, now)
    return [a for a in (still_needed(w, snapshot) for w in wished) if a is not None]


def awaiting(days: float, **kw) -> tuple[Issue, IssueEvent]:
    """An issue waiting on its requester for `days` days, already answered by staff."""
    return issue(labels=("account-recovery", AWAITING), **kw), labeled(AWAITING, days)


# --- requester clock ---------------------------------------------------------------------


def test_nudge_after_fourteen_days_mentions_the_author_once():
    i, ev = awaiting(15)
    staff = comment("staff", 15.1, association="MEMBER")
    [action] = decide(i, [staff], [ev])
    assert isinstance(action, SetComment) and action.marker == "nudge"
    assert "@alice" in action.body and "15 days" in action.body
    assert markers.read(action.body, "nudge") == {"since": lifecycle.iso(ev.at)}
    assert "requester clock" in action.reason and "15.0 days" in action.reason
    nudge = comment(BOT, 0, action.body)
    assert decide(i, [staff, nudge], [ev]) == []


def test_no_nudge_before_time():
    i, ev = awaiting(13.9)
    assert decide(i, [], [ev]) == []


def test_close_after_thirty_days_and_a_week_after_the_nudge():
    i, ev = awaiting(31)
    nudge = ours(8, "nudge", {"since": lifecycle.iso(ev.at)})
    post, close = decide(i, [nudge], [ev])
    assert isinstance(post, SetComment) and "Closing due to lack of response" in post.body
    assert isinstance(close, Close) and close.state_reason == "not_planned"
    assert "31.0 days" in close.reason and "nudged 8.0 days ago" in close.reason


def test_no_close_within_a_week_of_the_nudge_even_after_thirty_days():
    i, ev = awaiting(40)
    nudge = ours(3, "nudge", {"since": lifecycle.iso(ev.at)})
    assert decide(i, [nudge], [ev]) == []


def test_a_late_sweep_nudges_first_rather_than_closing():
    i, ev = awaiting(45)
    [action] = decide(i, [], [ev])
    assert isinstance(action, SetComment) and action.marker == "nudge"


def test_close_reply_already_posted_only_closes():
    i, ev = awaiting(31)
    since = lifecycle.iso(ev.at)
    done = [ours(8, "nudge", {"since": since}), ours(0.1, "close-no-response", {"since": since})]
    assert [a.kind for a in decide(i, done, [ev])] == ["close"]


def test_the_authors_reply_stops_the_clock():
    i, ev = awaiting(40, updated=5)
    asked = comment("staff", 40.1, association="MEMBER")
    nudge = ours(26, "nudge", {"since": lifecycle.iso(ev.at)})
    reply = comment("alice", 5)
    # Now it waits on the maintainers: flagged, never nudged or closed for their delay.
    assert [a.kind for a in decide(i, [asked, nudge, reply], [ev])] == ["add_labels"]
    # Answered 20 days ago: past its target 18 days ago, a wait for the report, not a flag.
    i, ev = awaiting(40, updated=20)
    assert decide(i, [asked, nudge, comment("alice", 20)], [ev]) == []


def test_a_maintainer_asking_again_restarts_the_wait():
    i, ev = awaiting(20)
    asked = comment("staff", 3, association="MEMBER")
    assert decide(i, [asked], [ev]) == []  # 3 days since the question, not 20
    later = NOW + timedelta(days=12)
    (nudge,) = decide(i, [asked], [ev], now=later)
    assert markers.read(nudge.body, "nudge") == {"since": lifecycle.iso(asked.created_at)}
    # A bystander's comment is no question from the maintainers.
    assert decide(i, [comment("bystander", 3)], [ev])[0].kind == "set_comment"


def test_a_reply_before_the_label_does_not_count():
    i, ev = awaiting(15)
    assert decide(i, [comment("alice", 16)], [ev])[0].kind == "set_comment"


def test_bots_never_move_the_clock():
    i, ev = awaiting(15)
    noise = [comment("dependabot[bot]", 2), comment(BOT, 1, "a note"), comment("Alice[bot]", 3)]
    [action] = decide(i, noise, [ev])
    assert action.kind == "set_comment"


def test_an_edit_of_the_issue_after_the_label_stops_the_clock():
    i, ev = awaiting(20, updated=5)  # updated with no comment or event to explain it
    # No nudge: the requester answered. Staff only labelled it (no comment), so it waits on
    # the maintainers since it was opened (README, "Queue report": waiting on maintainers),
    # 60 days: past its target long before the flag window, it is the report's to show.
    assert decide(i, [], [ev]) == []
    i, ev = awaiting(20, updated=20)  # the update was the label itself
    assert decide(i, [], [ev])[0].kind == "set_comment"


def test_a_new_waiting_period_gets_its_own_nudge():
    old = ours(40, "nudge", {"since": lifecycle.iso(ago(54))})
    i, ev = awaiting(15)
    [action] = decide(i, [old], [labeled(AWAITING, 54), ev])
    assert action.kind == "set_comment"
    assert markers.read(action.body, "nudge") == {"since": lifecycle.iso(ev.at)}


def test_label_without_event_counts_from_creation():
    i = issue(labels=(AWAITING,), created=15)
    assert decide(i)[0].kind == "set_comment"


# --- exemptions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"labels": ("account-recovery", AWAITING, "on hold")},
        {"locked": True},
        {"is_pull_request": True},
        {"state": "closed"},
    ],
)
def test_exempt_issues_are_left_alone(change):
    i, ev = awaiting(31)
    i = replace(i, **change)
    assert decide(i, [], [ev]) == []
    assert not any(lifecycle.could_act(i, RULES, NOW, clock) for clock in lifecycle.CLOCKS)


def test_snooze_exempts_until_its_time():
    i, ev = awaiting(31)
    snooze = ours(1, "snooze", {"until": lifecycle.iso(NOW + timedelta(days=3))})
    assert decide(i, [snooze], [ev]) == []
    assert decide(i, [snooze], [ev], now=NOW + timedelta(days=4)) != []


def test_a_snooze_marker_from_someone_else_is_not_trusted():
    i, ev = awaiting(31)
    fake = comment("mallory", 1, markers.marker("snooze", {"until": "2099-01-01T00:00:00Z"}))
    assert decide(i, [fake], [ev]) != []


def test_assigned_issues_exempt_from_the_requester_clock_when_configured():
    rules = replace(
        RULES,
        lifecycle=replace(RULES.lifecycle, exempt=replace(RULES.lifecycle.exempt, assigned=True)),
    )
    i, ev = awaiting(31)
    i = replace(i, assignees=("staff",))
    history = History((), (ev,), bot_login=BOT)
    assert lifecycle.decide(Snapshot(i, history), rules, NOW) == []
    assert decide(i, [], [ev])[0].kind == "set_comment"  # the shipped rules do not


# --- maintainer clock -------------------------------------------------------------------


def test_unanswered_recovery_is_flagged_after_two_days():
    [action] = decide(issue(created=3))
    assert action == AddLabels(action.reason, ("overdue",))
    assert "maintainer clock" in action.reason and "3.0 days" in action.reason
    assert "limit 2.0" in action.reason
    assert decide(issue(created=1.5)) == []


def test_a_maintainer_response_means_not_overdue():
    staff = comment("staff", 2, association="COLLABORATOR")
    assert decide(issue(created=10), [staff]) == []


def test_the_requesters_reply_after_a_response_restarts_the_wait():
    staff = comment("staff", 20, association="MEMBER")
    reply = comment("alice", 3)
    [action] = decide(issue(created=30), [staff, reply])
    assert action.kind == "add_labels" and "3.0 days" in action.reason


def test_the_flag_comes_off_when_a_maintainer_responds_only_if_ours():
    i = issue(created=10, labels=("account-recovery", "overdue"))
    staff = comment("staff", 1, association="OWNER")
    by_us = labeled("overdue", 5, actor=BOT)
    [action] = decide(i, [staff], [by_us])
    assert action == RemoveLabel(action.reason, "overdue")
    assert decide(i, [staff], [labeled("overdue", 5, actor="staff")]) == []


def test_a_flag_a_human_removed_is_never_put_back():
    removed = labeled("overdue", 1, actor="staff", kind="unlabeled")
    assert decide(issue(created=10), [], [labeled("overdue", 5, actor=BOT), removed]) == []


def test_no_overdue_while_waiting_on_the_requester():
    i, ev = awaiting(3, created=10)
    assert decide(i, [], [ev]) == []


def test_the_bots_own_awaiting_label_is_no_maintainer_response():
    # Triage asked for missing fields; the author answered; nobody human said a word since.
    i = issue(created=8, labels=("account-recovery", AWAITING))
    ev = labeled(AWAITING, 8, actor=BOT)
    [action] = decide(i, [comment("alice", 5)], [ev])
    assert action.kind == "add_labels" and "8.0 days" in action.reason


def test_categories_without_a_limit_are_never_overdue():
    assert decide(issue(labels=("network",), created=100)) == []


def test_pep541_has_a_week():
    assert decide(issue(labels=("PEP 541",), created=6)) == []
    assert decide(issue(labels=("PEP 541",), created=8))[0].kind == "add_labels"


# --- PEP 541 reachability clock ---------------------------------------------------------

START = "pep541: owner contacted"
READY = "pep541: ready for decision"


def pep541(**kw) -> Issue:
    staff = {"labels": ("PEP 541",), "created": 80}
    return issue(**{**staff, **kw})


def clock(days_ago: list[float], stopped: float | None = None) -> Comment:
    state = {"attempts": [lifecycle.iso(ago(d)) for d in days_ago]}
    if stopped is not None:
        state["stopped"] = lifecycle.iso(ago(stopped))
    return ours(days_ago[0], "pep541-clock", state)


STAFF = comment("staff", 79, association="MEMBER")


def test_reminder_when_the_second_attempt_is_due():
    assert decide(pep541(), [STAFF, clock([13])]) == []
    [action] = decide(pep541(), [STAFF, clock([15])])
    assert action.kind == "set_comment" and action.marker == "pep541-reminder"
    assert "attempt 2 of 3" in action.body
    state = {"attempt": 2, "since": lifecycle.iso(ago(15))}
    assert markers.read(action.body, "pep541-reminder") == state
    assert "reachability clock" in action.reason
    done = ours(0.5, "pep541-reminder", state)
    assert decide(pep541(), [STAFF, clock([15]), done]) == []


def test_recorded_attempts_move_the_next_due_date():
    # Attempt 2 was made on day 20 (late): attempt 3 is due on day 34, not 28.
    assert decide(pep541(), [STAFF, clock([30, 10])]) == []
    [action] = decide(pep541(), [STAFF, clock([36, 16])])
    assert "attempt 3 of 3" in action.body


def test_a_late_sweep_sends_one_reminder_not_a_burst():
    actions = decide(pep541(), [STAFF, clock([30])])
    assert len(actions) == 1 and "attempt 3 of 3" in actions[0].body


def test_ready_for_decision_after_six_weeks_once():
    actions = decide(pep541(), [STAFF, clock([43, 29, 15])])
    assert [a.kind for a in actions] == ["add_labels", "set_comment"]
    assert actions[0].labels == (READY,) and "43 days" in actions[1].body
    ready = ours(0.5, "pep541-ready", {"since": lifecycle.iso(ago(43))})
    i = pep541(labels=("PEP 541", READY))
    assert decide(i, [STAFF, clock([43, 29, 15]), ready], [labeled(READY, 0.5, BOT)]) == []


def test_owner_replied_stops_the_clock():
    assert decide(pep541(), [STAFF, clock([43], stopped=30)]) == []


def test_the_start_label_starts_the_clock():
    i = pep541(labels=("PEP 541", START))
    [action] = decide(i, [STAFF], [labeled(START, 15)])
    assert "attempt 2 of 3" in action.body
    actions = decide(i, [STAFF], [labeled(START, 50)])
    assert [a.kind for a in actions] == ["add_labels", "set_comment"]


def test_with_the_pep541_command_disabled_and_no_start_label_the_clock_is_off():
    clock_rules = replace(RULES.lifecycle.reachability, start_label=None)
    rules = replace(
        RULES,
        commands=replace(RULES.commands, disabled=("pep541",)),
        lifecycle=replace(RULES.lifecycle, reachability=clock_rules),
    )
    snapshot = Snapshot(pep541(), History((STAFF, clock([43, 29, 15])), (), bot_login=BOT))
    assert not rules.reachability_clock_on
    assert lifecycle.reachability_clock(snapshot.issue, snapshot.history, rules, NOW) == []
    assert lifecycle.reachability_clock(snapshot.issue, snapshot.history, RULES, NOW) != []


def test_no_overdue_while_the_owner_is_being_reached():
    assert decide(pep541(), [clock([5])]) == []


# --- the pre-filter -----------------------------------------------------------------------


def could(i: Issue, clock: str) -> bool:
    return lifecycle.could_act(i, RULES, NOW, clock)


def test_prefilter_of_the_requester_clock():
    assert could(issue(labels=("network", AWAITING), created=50), "requester")
    assert not could(issue(labels=("network",), created=50), "requester")  # no label
    assert not could(issue(labels=("network", AWAITING), created=10), "requester")  # too new
    # Moved in the last 7 days (a question, an answer, a nudge): nothing due yet.
    assert not could(issue(labels=("network", AWAITING), created=50, updated=3), "requester")


def test_prefilter_of_the_maintainer_clock():
    assert could(issue(created=3), "maintainer")  # recovery, 2-day target
    assert not could(issue(created=1), "maintainer")  # too young
    assert not could(issue(labels=("network",), created=50), "maintainer")  # no target
    # Quiet for 30 days: it crossed its target long before the 7-day flag window.
    assert not could(issue(created=50, updated=30), "maintainer")
    assert could(issue(created=50, updated=5), "maintainer")
    assert lifecycle.maintainer_window_days(RULES) == 14 + 7


def test_prefilter_of_the_reachability_clock():
    start = "pep541: owner contacted"
    assert could(issue(labels=("PEP 541", start), created=20), "reachability")
    assert not could(issue(labels=("PEP 541",), created=20), "reachability")
    assert lifecycle.reachability_label(RULES) == start


def test_explain_names_the_clock_and_days():
    i, ev = awaiting(15)
    [line] = lifecycle.explain(7, decide(i, [], [ev]))
    assert line.startswith("#7: set_comment (nudge)") and "15.0 days" in line


def test_a_flag_comes_off_only_for_a_persons_act():
    # Flagged by the bot 2 days ago; then the bot itself put the issue in the requester's
    # court (triage's awaiting label): the flag stays, or it would come and go.
    i = issue(created=6, labels=("account-recovery", "overdue", AWAITING))
    flagged = labeled("overdue", 2, actor=BOT)
    by_bot = labeled(AWAITING, 1, actor=BOT)
    assert decide(i, [], [flagged, by_bot]) == []
    # A maintainer's answer after the flag takes it off.
    answer = comment("staff", 0.5, association="MEMBER")
    i = issue(created=6, labels=("account-recovery", "overdue"))
    [action] = decide(i, [answer], [flagged])
    assert action == RemoveLabel(
        "maintainer clock: no longer overdue (a maintainer responded)", "overdue"
    )
    # The requester writing again keeps it waiting on the maintainers: still flagged.
    assert decide(i, [comment("alice", 0.5)], [flagged]) == []


def test_clocks_can_be_asked_for_one_by_one():
    i, ev = awaiting(15)
    snapshot = Snapshot(i, History((), (ev,), bot_login=BOT))
    assert [a.kind for a in lifecycle.decide(snapshot, RULES, NOW, ["requester"])] == [
        "set_comment"
    ]
    assert lifecycle.decide(snapshot, RULES, NOW, ["maintainer", "reachability"]) == []


def test_the_maintainer_clock_follows_the_reports_definition_of_waiting():
    # README, "Queue report": the latest human activity must be the author's. A stranger's
    # "+1" after the author's question means the issue no longer waits on the maintainers;
    # staff putting the awaiting label on without a word is no maintainer comment.
    i = issue(created=8)
    assert decide(i, [comment("alice", 7), comment("stranger", 6)]) == []
    [action] = decide(i, [comment("alice", 7)])
    assert action.kind == "add_labels" and "8.0 days" in action.reason
    staff = comment("staff", 8, association="MEMBER")
    [action] = decide(i, [staff, comment("alice", 5)])
    assert action.kind == "add_labels" and "5.0 days" in action.reason
