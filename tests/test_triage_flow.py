"""Triage end to end: signed deliveries in, GitHub (the fake) changed as a maintainer expects."""

from __future__ import annotations

from tests.conftest import REPO, payload
from tests.test_webhook import PEP541_INCOMPLETE, incomplete_pep541

COMPLETE = PEP541_INCOMPLETE.replace(
    "`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME",
    "`widgets`: https://pypi.org/project/widgets",
).replace("`USER_NAME`: https://pypi.org/user/USER_NAME", "`alice`: https://pypi.org/user/alice")


async def open_incomplete_pep541(bot):
    """Alice files the PEP 541 form, leaving its placeholders; the bot has triaged it."""
    opened = incomplete_pep541()
    await bot.deliver("issues", opened)
    await bot.settle()
    bot.github.advance(minutes=5)
    return opened


def labels(github, number):
    return {label["name"] for label in github.issue(REPO, number)["labels"]}


async def test_placeholders_get_one_comment_then_an_edit_completes_it(bot):
    github = bot.github
    opened = await open_incomplete_pep541(bot)
    number = opened["issue"]["number"]
    assert labels(github, number) == {"PEP 541", "status: awaiting response"}
    (comment,) = github.comments(REPO, number)
    assert "the name of the project you want to claim" in comment["body"]
    assert "@alice" in comment["body"]
    assert "recovery codes" in comment["body"]  # never post secrets here

    # The author fills in the form and the title.
    await bot.edit(number, by="alice", title="PEP 541 Request: widgets", body=COMPLETE)
    await bot.settle()
    # Still one triage comment; the name report (PyPI unreachable in tests) is another.
    updated, name_report = github.comments(REPO, number)
    assert updated["id"] == comment["id"]
    assert "pypi-support-bot:name-report" in name_report["body"]
    assert "everything the form asks for is now there" in updated["body"]
    assert "status: awaiting response" not in labels(github, number)
    assert "PEP 541" in labels(github, number)

    # Delivered again (a new delivery id for the same state): nothing more to do.
    writes = len(github.writes)
    await bot.deliver("issues", edited_again(github, number))
    await bot.settle()
    assert len(github.writes) == writes


def edited_again(github, number):
    data = payload("issues.edited.1")
    data["issue"] = github.issue(REPO, number)
    data["sender"] = {**data["sender"], "login": "alice"}
    return data


async def test_an_edit_by_someone_else_is_ignored(bot):
    github = bot.github
    opened = await open_incomplete_pep541(bot)
    writes = len(github.writes)
    await bot.edit(
        opened["issue"]["number"], by="mallory", title="PEP 541 Request: widgets", body=COMPLETE
    )
    await bot.settle()
    assert len(github.writes) == writes


async def test_the_requesters_reply_ends_the_wait(bot):
    github = bot.github
    opened = await open_incomplete_pep541(bot)
    number = opened["issue"]["number"]
    await bot.comment(number, "The project is widgets, my username is alice.", by="alice")
    await bot.settle()
    assert "status: awaiting response" not in labels(github, number)
    bot_comments = [
        c for c in github.comments(REPO, number) if c["user"]["login"] == "pypi-support-bot"
    ]
    assert len(bot_comments) == 1
    assert "Thanks for your reply" in bot_comments[0]["body"]


async def test_maintainers_issues_and_pull_requests_are_left_alone(bot):
    mine = payload(
        "issues.opened.1",
        title="PEP 541 Request: PROJECT_NAME",
        body=PEP541_INCOMPLETE,
        user="ewdurbin",
        author_association="MEMBER",
    )
    await bot.deliver("issues", mine)
    await bot.settle()
    assert bot.github.writes == []


async def test_a_human_removed_label_is_never_put_back(bot):
    github = bot.github
    opened = await open_incomplete_pep541(bot)
    number = opened["issue"]["number"]
    github.add_event(REPO, number, "unlabeled", actor="ewdurbin", label="PEP 541", apply=True)
    await bot.edit(number, by="alice", body=PEP541_INCOMPLETE + "\nmore")
    await bot.settle()
    assert "PEP 541" not in labels(github, number)


async def test_replies_never_mention_people_named_in_user_text(bot):
    body = "I lost my 2FA phone. My colleague @someone-else and @pypi/admins can vouch.\n"
    opened = payload(
        "issues.opened.1", title="Account recovery request", body=body, user="alice", labels=[]
    )
    await bot.deliver("issues", opened)
    await bot.settle()
    for comment in bot.github.comments(REPO, opened["issue"]["number"]):
        assert "@someone-else" not in comment["body"] and "@pypi/admins" not in comment["body"]
