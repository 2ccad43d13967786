"""Slash commands end to end: signed deliveries in, the fake GitHub's state out."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.adapters.github import GitHub
from bot.adapters.permissions import Permissions
from bot.core.rules import load_rules
from tests.conftest import BOT_LOGIN, FAST, REPO, ROOT, payload, settings_for
from tests.fake_github import FakeGitHub

AWAITING = "status: awaiting response"
NUMBER = 7


@pytest.fixture
def gh(github: FakeGitHub) -> FakeGitHub:
    """The fake with the repository's labels, a requester's issue and some people."""
    for name in load_rules(ROOT / "rules.yaml").for_repo(REPO).labels:
        github.add_label(REPO, name)
    github.add_issue(REPO, number=NUMBER, title="Please help", body="Hello", user="alice")
    github.set_permission(REPO, "tria", "triage")
    github.set_permission(REPO, "reader", "read")
    return github


def labels(github: FakeGitHub) -> set[str]:
    return {label["name"] for label in github.issue(REPO, NUMBER)["labels"]}


def bot_comments(github: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in github.comments(REPO, NUMBER) if c["user"]["login"] == BOT_LOGIN]


def reactions(github: FakeGitHub, comment_id: int) -> list[tuple[str, str]]:
    return [
        (r["user"]["login"], r["content"]) for r in github.reactions(REPO, comment_id=comment_id)
    ]


def comment_event(
    github: FakeGitHub, body: str, user: str, *, comment: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An issue_comment.created delivery for a comment that exists in the fake."""
    if comment is None:
        comment = github.add_comment(REPO, NUMBER, body, user=user)
    data = payload("issue_comment.created.1")
    data["issue"] = github.issue(REPO, NUMBER)
    data["comment"] = comment
    data["sender"] = {**data["sender"], "login": user, "type": "User"}
    return data


def edit(github: FakeGitHub, comment_id: int, new_body: str, user: str) -> dict[str, Any]:
    """Edit a comment in the fake and build the issue_comment.edited delivery."""
    repo = github._repo(REPO)
    stored = next(c for c in repo.issues[NUMBER].comments if c.id == comment_id)
    old = stored.body
    stored.body = new_body
    stored.updated_at = github.advance(minutes=5)
    data = comment_event(github, new_body, user, comment=github.comments(REPO, NUMBER)[0])
    data["comment"] = next(c for c in github.comments(REPO, NUMBER) if c["id"] == comment_id)
    data["action"] = "edited"
    data["changes"] = {"body": {"from": old}}
    return data


async def test_triage_user_labels_with_a_thumbs_up(bot, gh):
    data = comment_event(gh, f'/label "{AWAITING}"', "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert AWAITING in labels(gh)
    assert reactions(gh, data["comment"]["id"]) == [(BOT_LOGIN, "+1")]
    assert bot_comments(gh) == []


async def test_label_without_quotes_and_with_commas(bot, gh):
    data = comment_event(gh, "/label status: awaiting response\n/label urgent, on hold", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert labels(gh) >= {AWAITING, "urgent", "on hold"}
    assert reactions(gh, data["comment"]["id"]) == [(BOT_LOGIN, "+1")]


async def test_non_collaborator_close_changes_nothing_and_gets_one_short_reply(bot, gh):
    data = comment_event(gh, "/close", "mallory")
    for _ in range(2):  # a second delivery of the same event (new id) adds nothing
        await bot.deliver("issue_comment", data)
        await bot.settle()
    assert gh.issue(REPO, NUMBER)["state"] == "open"
    (reply,) = bot_comments(gh)
    assert "`/close`" in reply["body"] and "maintainers" in reply["body"]
    assert len(reply["body"]) < 400
    assert reactions(gh, data["comment"]["id"]) == []
    assert not [w for w in gh.writes if not w.path.endswith("/comments")]


async def test_read_role_is_not_enough(bot, gh):
    data = comment_event(gh, "/label urgent", "reader")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert "urgent" not in labels(gh)
    assert len(bot_comments(gh)) == 1


async def test_quoted_command_does_nothing(bot, gh):
    data = comment_event(gh, "> /close\n\nI disagree with this.", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert gh.issue(REPO, NUMBER)["state"] == "open"
    assert gh.writes == []


async def test_editing_in_assign_me_assigns_once_however_often_delivered(bot, gh):
    created = comment_event(gh, "Looking at this.", "tria")
    await bot.deliver("issue_comment", created)
    await bot.settle()
    assert gh.writes == []
    edited = edit(gh, created["comment"]["id"], "Looking at this.\n/assign me", "tria")
    await bot.deliver("issue_comment", edited, delivery="edit-1")
    await bot.settle()
    await bot.deliver("issue_comment", edited, delivery="edit-1")  # same id: deduplicated
    await bot.deliver("issue_comment", edited, delivery="edit-2")  # new id, same edit
    await bot.settle()
    assert gh.issue(REPO, NUMBER)["assignees"][0]["login"] == "tria"
    assigned = [e for e in gh.events(REPO, NUMBER) if e["event"] == "assigned"]
    assert len(assigned) == 1
    assert len([w for w in gh.writes if w.path.endswith("/assignees")]) == 1
    assert reactions(gh, created["comment"]["id"]) == [(BOT_LOGIN, "+1")]
    assert bot_comments(gh) == []


async def test_edit_runs_only_the_new_commands(bot, gh):
    created = comment_event(gh, "/label urgent", "tria")
    await bot.deliver("issue_comment", created)
    await bot.settle()
    gh.add_event(REPO, NUMBER, "unlabeled", "tria", label="urgent", apply=True)
    edited = edit(gh, created["comment"]["id"], "/label urgent\n/label on hold", "tria")
    await bot.deliver("issue_comment", edited)
    await bot.settle()
    assert "on hold" in labels(gh)
    assert "urgent" not in labels(gh)  # the old command is not run again


async def test_unknown_label_and_typo_get_confused_and_one_reply(bot, gh):
    data = comment_event(gh, "/label urgnt\n/clsoe\n/label on hold", "tria")
    for _ in range(2):
        await bot.deliver("issue_comment", data)
        await bot.settle()
    assert "on hold" in labels(gh)
    assert "urgnt" not in {label["name"] for label in gh.labels(REPO)}  # never created
    assert reactions(gh, data["comment"]["id"]) == [(BOT_LOGIN, "confused")]
    (reply,) = bot_comments(gh)
    assert "`urgnt`" in reply["body"] and "`urgent`" in reply["body"]
    assert "`/close`" in reply["body"]


async def test_reply_never_mentions_anyone(bot, gh):
    data = comment_event(gh, "/label @pypi/admins\n/assign @@x", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    (reply,) = bot_comments(gh)
    assert "@pypi" not in reply["body"].replace("@\u200d", "")
    assert reactions(gh, data["comment"]["id"]) == [(BOT_LOGIN, "confused")]


async def test_author_may_close_their_own_issue_but_not_label(bot, gh):
    data = comment_event(gh, "/close not planned", "alice")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    issue = gh.issue(REPO, NUMBER)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert reactions(gh, data["comment"]["id"]) == [(BOT_LOGIN, "+1")]
    data = comment_event(gh, "/label urgent", "alice")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert "urgent" not in labels(gh)
    assert len(bot_comments(gh)) == 1


async def test_close_reopen_and_unassign(bot, gh):
    gh.set_permission(REPO, "other", "write")
    data = comment_event(gh, "/assign @other me\n/close duplicate of #3", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    issue = gh.issue(REPO, NUMBER)
    assert {a["login"] for a in issue["assignees"]} == {"other", "tria"}
    assert (issue["state"], issue["state_reason"]) == ("closed", "duplicate")
    data = comment_event(gh, "/reopen\n/unassign @other", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    issue = gh.issue(REPO, NUMBER)
    assert issue["state"] == "open"
    assert [a["login"] for a in issue["assignees"]] == ["tria"]


async def test_team_member_may_use_commands(make_bot, github, tmp_path):
    rules = (
        (ROOT / "rules.yaml")
        .read_text()
        .replace(
            "      minimum_role: triage\n",
            "      minimum_role: triage\n      teams: [pypi/helpers]\n",
        )
    )
    path = tmp_path / "rules.yaml"
    path.write_text(rules)
    bot = await make_bot(rules_path=str(path))
    github.add_issue(REPO, number=NUMBER, title="Please help", body="Hello", user="alice")
    github.add_team_member("pypi", "helpers", "helper")
    data = comment_event(github, "/awaiting", "helper")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert AWAITING in labels(github)


async def test_help_lists_what_this_user_may_run(bot, gh):
    data = comment_event(gh, "/help", "alice")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    (reply,) = bot_comments(gh)
    assert "`/close" in reply["body"] and "`/reopen`" in reply["body"]
    assert "`/label" not in reply["body"]
    data = comment_event(gh, "/help", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    reply = bot_comments(gh)[-1]
    for name in ("label", "unlabel", "assign", "snooze", "pep541", "awaiting"):
        assert f"`/{name}" in reply["body"]


async def test_snooze_is_stored_in_one_bot_comment(bot, gh):
    data = comment_event(gh, "/snooze 10", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    await bot.deliver("issue_comment", data)  # replayed: same until, nothing new
    await bot.settle()
    (note,) = bot_comments(gh)
    assert "<!-- pypi-support-bot:snooze {" in note["body"]
    assert "Snoozed until" in note["body"]
    data = comment_event(gh, "/unsnooze", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    (note,) = bot_comments(gh)
    assert '"until":null' in note["body"]


async def test_pep541_clock(bot, gh):
    data = comment_event(gh, "/pep541 contacted", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    await bot.deliver("issue_comment", data)  # replayed: still one attempt
    await bot.settle()
    assert "pep541: owner contacted" in labels(gh)
    (clock,) = bot_comments(gh)
    assert "pypi-support-bot:pep541-clock" in clock["body"]
    assert "1 contact attempt" in clock["body"]
    gh.advance(days=14)
    data = comment_event(gh, "/pep541 contacted\n/pep541 status", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    clock, status = bot_comments(gh)
    assert "2 contact attempts" in clock["body"]
    assert "2 contact attempts" in status["body"]
    data = comment_event(gh, "/pep541 owner-replied", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert "pep541: owner contacted" not in labels(gh)
    assert '"stopped":' in bot_comments(gh)[0]["body"]


async def test_maintainer_opened_issue_runs_commands_in_its_body(bot, gh):
    data = payload(
        "issues.opened.1",
        number=9,
        title="Tracking",
        body="Tracking issue.\n\n/label urgent\n/assign me",
        user="tria",
        author_association="COLLABORATOR",
        labels=[],
    )
    await bot.deliver("issues", data)
    await bot.settle()
    issue = gh.issue(REPO, 9)
    assert "urgent" in {label["name"] for label in issue["labels"]}
    assert [a["login"] for a in issue["assignees"]] == ["tria"]
    assert [r["content"] for r in gh.reactions(REPO, number=9)] == ["+1"]


async def test_requester_opened_issue_body_is_not_read_for_commands(bot, gh):
    gh.set_permission(REPO, "bob", "triage")  # even with a role: only maintainer-opened
    data = payload(
        "issues.opened.1", number=9, title="Hi", body="/label urgent", user="bob", labels=[]
    )
    data["issue"]["author_association"] = "NONE"
    await bot.deliver("issues", data)
    await bot.settle()
    assert "urgent" not in {label["name"] for label in gh.issue(REPO, 9)["labels"]}


async def test_bots_never_run_commands(bot, gh):
    data = comment_event(gh, "/close", "helper-app[bot]")
    data["comment"]["user"]["type"] = "Bot"
    data["sender"]["type"] = "Bot"
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert gh.writes == []


async def test_awaiting_label_from_command_ends_when_the_requester_answers(bot, gh):
    # Interaction with triage: /awaiting's label is the bot's, so the requester's answer
    # removes it, which is what /awaiting means.
    data = comment_event(gh, "/awaiting", "tria")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert AWAITING in labels(gh)
    gh.advance(minutes=5)
    data = comment_event(gh, "Here is the information.", "alice")
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert AWAITING not in labels(gh)


async def test_a_label_removed_by_command_is_not_put_back_by_triage(bot, gh):
    # Holds with token auth: the bot's login has no "[bot]" suffix, so History.removed_by_human
    # counts its unlabel as a person's. As a GitHub App it would not (see test_slash.py).
    from tests.test_webhook import PEP541_INCOMPLETE

    opened = payload(
        "issues.opened.1",
        number=11,
        title="PEP 541 Request: PROJECT_NAME",
        body=PEP541_INCOMPLETE,
        user="alice",
        labels=[],
    )
    await bot.deliver("issues", opened)
    await bot.settle()
    assert "PEP 541" in {label["name"] for label in gh.issue(REPO, 11)["labels"]}
    comment = gh.add_comment(REPO, 11, '/unlabel "PEP 541"', user="tria")
    data = payload("issue_comment.created.1")
    data["issue"], data["comment"] = gh.issue(REPO, 11), comment
    data["sender"] = {**data["sender"], "login": "tria", "type": "User"}
    await bot.deliver("issue_comment", data)
    await bot.settle()
    assert "PEP 541" not in {label["name"] for label in gh.issue(REPO, 11)["labels"]}
    edited = payload("issues.edited.1", user="alice")
    edited["issue"] = gh.issue(REPO, 11)
    edited["issue"]["body"] = PEP541_INCOMPLETE + "\nMore details."
    await bot.deliver("issues", edited, seed=False)
    await bot.settle()
    assert "PEP 541" not in {label["name"] for label in gh.issue(REPO, 11)["labels"]}


async def test_a_sender_without_a_valid_login_has_no_role(gh):
    async with aiohttp.ClientSession() as session:
        api = await GitHub(settings_for(gh), session, policy=FAST).api()
        for login in ("", "a/b", "../admin", "x" * 60):
            assert await Permissions().role(api, REPO, login) == "none"
    assert not [c for c in gh.calls if "/collaborators/" in c.path]
