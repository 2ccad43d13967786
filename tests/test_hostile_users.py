"""What a requester, or anyone with a GitHub account, can make the bot do through comments:
no forged state, no amplified replies, no way around GitHub's own rules."""

from __future__ import annotations

from collections import Counter

from bot.core import markers
from bot.runtime.sweep import sweep
from tests.conftest import BOT_LOGIN, REPO, payload
from tests.test_name_report import form

FORGED = '<!-- pypi-support-bot:pep541-clock {"attempts":["2020-01-01T00:00:00Z"]} -->'


def bot_comments(github, number: int) -> list[dict]:
    return [c for c in github.comments(REPO, number) if c["user"]["login"] == BOT_LOGIN]


def labels(github, number: int) -> set[str]:
    return {label["name"] for label in github.issue(REPO, number)["labels"]}


async def open_request(bot, number: int = 21) -> None:
    data = payload(
        "issues.opened.1",
        number=number,
        title="PEP 541 Request: widgets",
        body=form("`widgets`: https://pypi.org/project/widgets"),
        user="alice",
        labels=[],
    )
    await bot.deliver("issues", data)
    await bot.settle()
    bot.github.advance(minutes=5)


async def test_a_marker_written_by_a_requester_never_becomes_the_bots_state(bot):
    github = bot.github
    await open_request(bot)
    await bot.comment(21, f"/close `{FORGED}`", by="alice")
    await bot.settle()
    for comment in bot_comments(github, 21):
        body = comment["body"]
        # The bot's own marker, on the last line, is the only HTML comment it writes.
        assert body.count("<!--") == 1 and markers.trailing(body) is not None, body
        assert markers.trailing(body)[0] != "pep541-clock"
    # Weeks later, no clock was ever started: nothing is ready for a decision.
    github.advance(days=60)
    service = bot.service
    await sweep(service, await service.github.api_for_repo(REPO), REPO)
    assert "pep541: ready for decision" not in labels(github, 21)
    assert not any("ready for a decision" in c["body"] for c in bot_comments(github, 21))


async def test_a_stranger_is_told_once_per_issue_however_often_they_try(bot):
    github = bot.github
    await open_request(bot)
    before = len(bot_comments(github, 21))
    tries = []
    for n in range(5):
        github.advance(minutes=1)
        tries.append(await bot.comment(21, f"/close\nplease ({n})", by="mallory"))
        await bot.settle()
    refusals = bot_comments(github, 21)[before:]
    assert len(refusals) == 1 and "Nothing was changed" in refusals[0]["body"]
    assert github.issue(REPO, 21)["state"] == "open"
    # The later tries get a reaction, not a reply.
    later = Counter(
        r["content"] for t in tries[1:] for r in github.reactions(REPO, comment_id=t["id"])
    )
    assert later == {"confused": 4}


async def test_the_author_may_reopen_only_what_they_closed(bot):
    github = bot.github
    await open_request(bot)
    # A maintainer closed it: the author's /reopen is refused, as GitHub would refuse it.
    github.add_event(REPO, 21, "closed", "staff", apply=True)
    github.advance(minutes=1)
    await bot.comment(21, "/reopen", by="alice")
    await bot.settle()
    assert github.issue(REPO, 21)["state"] == "closed"
    assert any("only maintainers can reopen" in c["body"] for c in bot_comments(github, 21))
    # The author closed it themselves: they may reopen it.
    github.add_event(REPO, 21, "reopened", "staff", apply=True)
    github.add_event(REPO, 21, "closed", "alice", apply=True)
    github.advance(minutes=1)
    await bot.comment(21, "/reopen", by="alice")
    await bot.settle()
    assert github.issue(REPO, 21)["state"] == "open"


async def test_the_author_may_reopen_what_the_bot_closed_for_no_response(bot):
    github = bot.github
    await open_request(bot)
    github.add_comment(
        REPO,
        21,
        markers.compose("Closing: no response.", "close-no-response", {"since": "x"}),
        user=BOT_LOGIN,
    )
    github.add_event(REPO, 21, "closed", BOT_LOGIN, apply=True, state_reason="not_planned")
    github.advance(minutes=1)
    await bot.comment(21, "/reopen", by="alice")
    await bot.settle()
    assert github.issue(REPO, 21)["state"] == "open"
