"""The pure core of slash commands (bot/features/commands/decide.py): no I/O, time passed in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import bot.features.commands.decide as slash
from bot.core import markers
from bot.core.actions import (
    AddAssignees,
    AddLabels,
    Close,
    React,
    RemoveAssignees,
    RemoveLabel,
    Reopen,
    SetComment,
)
from bot.core.command_parser import parse_commands
from bot.core.model import Comment, History, Issue, IssueEvent, Snapshot
from bot.core.reconcile import Plan, Proposal, difference
from bot.core.roles import Caller
from bot.core.rules import COMMAND_NAMES, load_rules
from bot.features.lifecycle.decide import reachability, snoozed_until
from tests.conftest import ROOT

RULES = load_rules(ROOT / "rules.yaml").for_repo("pypi/support")
NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
BOT = "pypi-support-bot"
ISSUE = Issue("pypi/support", 7, author="alice", labels=("PEP 541",))
TRIAGER = Caller("tria", "triage")
AUTHOR = Caller("alice", "none", is_author=True)
STRANGER = Caller("mallory")
START = "pep541: owner contacted"


def run(text, caller=TRIAGER, *, issue=ISSUE, history=None, rules=RULES, at=NOW, **kw):
    commands = parse_commands(text, slash.known_words(rules.commands))
    return slash.plan(
        commands,
        issue=issue,
        history=history or History(bot_login=BOT),
        caller=caller,
        rules=rules,
        source=slash.Source(5, at),
        now=NOW,
        **kw,
    )


def ours(body, id_=100, at=NOW):
    return Comment(id_, BOT, body=body, created_at=at, updated_at=at)


def todo(actions, history=None, issue=ISSUE):
    """What would be written: the wishes less what is already true, in order."""
    snapshot = Snapshot(issue, history or History(bot_login=BOT))
    return difference(Plan((Proposal("commands", tuple(actions)),)), snapshot).actions


def test_every_command_is_registered_with_help():
    assert set(slash.REGISTRY) == set(COMMAND_NAMES)
    for info in slash.REGISTRY.values():
        assert info.syntax.startswith("/" + info.name) and info.summary


@pytest.mark.parametrize(
    ("caller", "name", "allowed"),
    [
        (TRIAGER, "label", True),
        (Caller("x", "admin"), "label", True),
        (Caller("x", "read"), "label", False),
        (AUTHOR, "close", True),
        (AUTHOR, "label", False),
        (STRANGER, "close", False),
        (STRANGER, "help", False),
    ],
)
def test_who_may_run_what(caller, name, allowed):
    assert slash.may_run(name, caller, RULES.commands) is allowed


def test_named_users_and_teams_and_disabled():
    cmds = replace(RULES.commands, users=("Helper",), teams=("pypi/Mods",), disabled=("snooze",))
    assert slash.may_run("label", Caller("helper"), cmds)
    assert slash.may_run("label", Caller("m", teams=frozenset({"pypi/mods"})), cmds)
    assert not slash.may_run("snooze", TRIAGER, cmds)
    result = run("/snooze 3", rules=replace(RULES, commands=cmds))
    assert "turned off" in result.problems[0]


def test_label_resolves_spelling_and_skips_present():
    result = run("/label pep 541, URGENT", repo_labels=RULES.labels)
    assert todo(result.changes) == (AddLabels("/label by a maintainer", ("urgent",)),)
    assert result.problems == ()


def test_label_whole_text_is_one_label():
    result = run("/label status: awaiting response", repo_labels=RULES.labels)
    assert result.changes[0].labels == ("status: awaiting response",)


def test_unknown_label_suggests_nearest_and_adds_the_rest():
    result = run("/label urgnt, on hold", repo_labels=RULES.labels)
    assert result.changes == (AddLabels("/label by a maintainer", ("on hold",)),)
    assert "`urgnt`" in result.problems[0] and "`urgent`" in result.problems[0]
    actions = slash.feedback(result, History(bot_login=BOT), RULES)
    assert actions[0] == React("commands failed", 5, "confused")
    assert isinstance(actions[1], SetComment)


def test_unlabel_of_absent_label_is_success_and_idempotent():
    result = run("/unlabel urgent\n/unlabel PEP 541", repo_labels=RULES.labels)
    assert todo(result.changes) == (RemoveLabel("/unlabel by a maintainer", "PEP 541"),)
    assert result.problems == ()


def test_assign_me_and_users_and_already_assigned():
    result = run("/assign me @bob", issue=replace(ISSUE, assignees=("bob",)))
    assert result.changes == (AddAssignees("/assign", ("tria",)),)
    assert run("/assign", issue=replace(ISSUE, assignees=("tria",))).changes == ()
    assert "not a GitHub username" in run("/assign @@x").problems[0]


def test_unassign():
    issue = replace(ISSUE, assignees=("tria", "bob"))
    assert run("/unassign", issue=issue).changes == (RemoveAssignees("/unassign", ("tria",)),)
    assert run("/unassign @carol", issue=issue).changes == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/close", "completed"),
        ("/close completed", "completed"),
        ("/close not planned", "not_planned"),
        ("/close not_planned", "not_planned"),
        ("/close duplicate of #12", "duplicate"),
    ],
)
def test_close_reasons(text, reason):
    (action,) = run(text).changes
    assert isinstance(action, Close) and action.state_reason == reason


def test_close_refusals_and_no_op():
    assert "which issue" in run("/close duplicate").problems[0]
    assert "itself" in run("/close duplicate of #7").problems[0]
    assert "understand" in run("/close because").problems[0]
    closed = replace(ISSUE, state="closed")
    assert run("/close", issue=closed, state_reason="completed").changes == ()


def test_reopen_only_when_closed():
    assert run("/reopen").changes == ()
    assert run("/reopen", issue=replace(ISSUE, state="closed")).changes == (Reopen("/reopen"),)


def test_commands_apply_in_order_against_the_evolving_state():
    result = run("/label urgent\n/unlabel urgent", repo_labels=RULES.labels)
    assert [a.kind for a in result.changes] == ["add_labels", "remove_label"]


def test_awaiting_adds_the_triage_label_once():
    result = run("/awaiting\n/waiting")
    assert todo(result.changes) == (
        AddLabels("/awaiting: waiting on the requester", ("status: awaiting response",)),
    )


def test_snooze_marker_and_reader():
    result = run("/snooze 10 days")
    (post,) = result.changes
    assert isinstance(post, SetComment) and post.marker == "snooze"
    state = markers.read(post.body, "snooze")
    assert state == {"until": "2024-05-11T12:00:00Z", "at": "2024-05-01T12:00:00Z"}
    history = History(comments=(ours(post.body),), bot_login=BOT)
    assert snoozed_until(history, NOW) == NOW + timedelta(days=10)
    # The same command again (a replayed delivery) changes nothing.
    assert todo(run("/snooze 10", history=history).changes, history) == ()
    # A longer snooze edits the same comment.
    (edit,) = todo(run("/snooze 20", history=history).changes, history)
    assert isinstance(edit, SetComment) and "2024-05-21" in edit.body
    # Lifting it.
    (lift,) = run("/unsnooze", history=history).changes
    lifted = History(comments=(ours(lift.body),), bot_login=BOT)
    assert snoozed_until(lifted, NOW) is None
    assert todo(run("/unsnooze", history=lifted).changes, lifted) == ()


def test_snooze_needs_days():
    for text in ("/snooze", "/snooze soon", "/snooze 0", "/snooze 9999"):
        assert "how many days" in run(text).problems[0]


def test_snooze_written_by_someone_else_is_not_trusted():
    body = markers.compose("", "snooze", {"until": "2099-01-01T00:00:00Z"})
    fake = Comment(1, "mallory", body=body)
    assert snoozed_until(History(comments=(fake,), bot_login=BOT), NOW) is None


def test_pep541_contacted_records_attempts_and_the_start_label():
    result = run("/pep541 contacted")
    add, post = result.changes
    assert add == AddLabels("/pep541 contacted: the reachability clock runs", (START,))
    assert markers.read(post.body, "pep541-clock") == {"attempts": ["2024-05-01T12:00:00Z"]}
    history = History(comments=(ours(post.body),), bot_login=BOT)
    issue = replace(ISSUE, labels=(*ISSUE.labels, START))
    replay = run("/pep541 contacted", issue=issue, history=history).changes
    assert todo(replay, history, issue) == ()
    later = NOW + timedelta(days=14)
    (edit,) = todo(
        run("/pep541 contacted", issue=issue, history=history, at=later).changes, history, issue
    )
    state = markers.read(edit.body, "pep541-clock")
    assert state["attempts"] == ["2024-05-01T12:00:00Z", "2024-05-15T12:00:00Z"]
    edited = History(comments=(ours(edit.body),), bot_login=BOT)
    clock = reachability(issue, edited, RULES)
    assert clock is not None and clock.attempts == (NOW, later) and clock.stopped is None


def test_pep541_owner_replied_stops_the_clock_and_removes_our_label():
    body = markers.compose("", "pep541-clock", {"attempts": ["2024-04-01T00:00:00Z"]})
    labeled = IssueEvent("labeled", BOT, at=NOW - timedelta(days=30), label=START)
    history = History(comments=(ours(body),), events=(labeled,), bot_login=BOT)
    issue = replace(ISSUE, labels=(*ISSUE.labels, START))
    remove, edit = run("/pep541 owner-replied", issue=issue, history=history).changes
    assert remove == RemoveLabel("/pep541 owner-replied: the clock stops", START)
    assert markers.read(edit.body, "pep541-clock")["stopped"] == "2024-05-01T12:00:00Z"
    # A human's label stays.
    by_human = replace(history, events=(replace(labeled, actor="tria"),))
    (edit,) = run("/pep541 owner-replied", issue=issue, history=by_human).changes
    assert isinstance(edit, SetComment)


def test_pep541_status_and_refusals():
    assert "not started" in run("/pep541 status").notes[0]
    assert "no contact attempt" in run("/pep541 owner-replied").problems[0]
    assert "understand" in run("/pep541 maybe").problems[0]
    body = markers.compose("", "pep541-clock", {"attempts": ["2024-04-01T00:00:00Z"]})
    history = History(comments=(ours(body),), bot_login=BOT)
    (note,) = run("/pep541 status", history=history).notes
    assert "1 contact attempt" in note and "2024-04-15" in note and "2024-05-13" in note


def test_pep541_status_dates_a_label_started_clock_as_the_lifecycle_does():
    # The start label is on, but its `labeled` event is not among the events read (given as
    # the issue was opened, or older than the timeline's pages): both date the clock from
    # the issue's creation, instead of the command saying "not started" while it runs.
    issue = replace(ISSUE, labels=(*ISSUE.labels, START), created_at=NOW - timedelta(days=20))
    history = History(bot_login=BOT)
    clock = reachability(issue, history, RULES)
    assert clock is not None and clock.start == issue.created_at
    (note,) = run("/pep541 status", issue=issue, history=history).notes
    assert "1 contact attempt" in note and f"(first {issue.created_at:%Y-%m-%d})" in note
    # With the event visible, from the event (status once said "not started" then too).
    labeled = IssueEvent("labeled", "tria", at=NOW - timedelta(days=10), label=START)
    history = History(events=(labeled,), bot_login=BOT)
    assert reachability(issue, history, RULES).start == labeled.at
    (note,) = run("/pep541 status", issue=issue, history=history).notes
    assert f"(first {labeled.at:%Y-%m-%d})" in note


def test_help_lists_only_what_the_caller_may_run():
    (note,) = run("/help", AUTHOR).notes
    assert "`/close" in note and "`/label" not in note
    (note,) = run("/help").notes
    assert all(f"`/{name}" in note for name in COMMAND_NAMES)
    assert "`/take`" in note  # aliases from the rules


def test_stranger_gets_one_who_may_reply_and_nothing_else():
    result = run("/close\n/label urgent", STRANGER)
    assert result.changes == () and result.denied == ("close", "label")
    (reply,) = slash.feedback(result, History(bot_login=BOT), RULES)
    assert isinstance(reply, SetComment)
    assert "`/close` and `/label`" in reply.body and "Nothing was changed" in reply.body
    # Already replied to this comment: nothing more.
    history = History(comments=(ours(reply.body),), bot_login=BOT)
    assert todo(slash.feedback(result, history, RULES), history) == ()


def test_stranger_typos_stay_silent():
    result = run("/clsoe", STRANGER)
    assert result.silent
    assert slash.feedback(result, History(bot_login=BOT), RULES) == []


def test_author_denied_part_is_reported_not_run():
    result = run("/close\n/label urgent", AUTHOR, repo_labels=RULES.labels)
    assert [a.kind for a in result.changes] == ["close"]
    assert "only maintainers" in result.problems[0]


def test_unknown_command_gets_did_you_mean():
    result = run("/lable urgent")
    assert result.problems == ("`/lable` is not a command. Did you mean `/label`?",)


def test_all_ok_reacts_thumbs_up_without_reply():
    result = run("/assign me")
    assert slash.feedback(result, History(bot_login=BOT), RULES) == [
        React("commands done", 5, "+1")
    ]


def test_execution_failure_turns_into_confused_and_a_reply():
    result = run("/assign me")
    actions = slash.feedback(result, History(bot_login=BOT), RULES, failure="I couldn't assign.")
    assert actions[0].content == "confused"
    assert "I couldn't assign." in actions[1].body


def test_reply_is_edited_in_place_for_the_same_comment():
    first = slash.feedback(run("/lable x"), History(bot_login=BOT), RULES)[1]
    history = History(comments=(ours(first.body, id_=42),), bot_login=BOT)
    again = todo(slash.feedback(run("/lable x"), history, RULES), history)
    assert again == (React("commands failed", 5, "confused"),)
    other = todo(slash.feedback(run("/clsoe"), history, RULES), history)
    assert isinstance(other[1], SetComment) and other[1].identity == first.identity


def test_echoed_text_never_mentions():
    result = run("/label @pypi/admins", repo_labels=RULES.labels)
    assert "@pypi" not in result.problems[0].replace("@\u200d", "")


def test_hostile_text_gets_one_bounded_answer():
    # Speed on hostile text is measured in bench/, not asserted here.
    text = ("/label " + "a, " * 5000 + "\n") * 4 + "/assign " + "@x " * 5000
    result = run(text, repo_labels=RULES.labels)
    assert result.changes == (AddAssignees("/assign", ("x",)),)  # "@x" 5,000 times is one
    assert all(len(problem) < 1000 for problem in result.problems)


def test_triage_does_not_re_add_a_label_a_command_removed_as_an_app():
    import bot.features.triage.decide as triage
    from bot.core.trigger import ISSUES, Trigger
    from tests.test_webhook import PEP541_INCOMPLETE

    app = "pypi-support-bot[bot]"
    issue = Issue(
        "pypi/support",
        11,
        title="PEP 541 Request: PROJECT_NAME",
        body=PEP541_INCOMPLETE,
        author="alice",
    )
    history = History(
        comments=(Comment(1, "tria", body='/unlabel "PEP 541"', created_at=NOW),),
        events=(
            IssueEvent("labeled", app, "Bot", NOW - timedelta(days=1), "PEP 541"),
            IssueEvent("unlabeled", app, "Bot", NOW + timedelta(seconds=2), "PEP 541"),
        ),
        bot_login=app,
    )
    edited = Trigger(ISSUES, "edited", sender="alice")
    plan = triage.decide(Snapshot(issue, history), RULES, trigger=edited)
    added = [label for a in plan.actions if isinstance(a, AddLabels) for label in a.labels]
    assert "PEP 541" not in added
