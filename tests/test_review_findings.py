"""Adversarial review findings: each test is a real, reproducible problem found from the
outside (black-box through the webhook, the sweep or the CLI, against the fake GitHub)."""

from __future__ import annotations

from collections import Counter

from bot.core import markers
from tests.conftest import REPO, payload
from tests.test_triage_flow import COMPLETE
from tests.test_webhook import incomplete_pep541

AWAITING = "status: awaiting response"


def labels(github, number: int) -> set[str]:
    return {label["name"] for label in github.issue(REPO, number)["labels"]}


def marker_counts(github, number: int) -> Counter:
    found: Counter = Counter()
    for comment in github.comments(REPO, number):
        trailing = markers.trailing(comment["body"])
        if trailing is not None:
            found[markers.identity(*trailing)] += 1
    return found


def assert_once(github, number: int) -> None:
    counts = marker_counts(github, number)
    assert counts and max(counts.values()) == 1, counts


# 1 -------------------------------------------------------------------------------------------
async def test_a_restart_while_github_will_not_say_who_the_bot_is_posts_no_second_comment(
    make_bot, github
):
    """After a restart the bot learns its own login from GET /user. When that read fails
    (GitHub flaking, 5xx on every try), the bot works deliveries anyway, trusting none of its
    own comments: it posts a second triage comment (and would answer its own comment's
    delivery, a loop for a token-authenticated bot)."""
    first = await make_bot()
    data = incomplete_pep541()
    await first.deliver("issues", data)
    await first.settle()
    assert_once(github, 1)
    # A new process; GitHub's /user fails for a while.
    second = await make_bot()
    github.inject("GET", r"^/user$", status=502, times=None)
    github.advance(minutes=5)
    # The requester edits the request (still incomplete): GitHub delivers issues.edited.
    body = github.issue(REPO, 1)["body"] + "\nI also opened an issue on the tracker.\n"
    await second.edit(1, by="alice", body=body)
    await second.settle()
    assert_once(github, 1)

