"""Faults from GitHub delay work but never lose it or do it twice: many deliveries worked while
GitHub answers 5xx, drops connections after acting, and rate-limits; then the sweep catches up
whatever ran out of retries."""

from __future__ import annotations

import logging
from collections import Counter

from bot.core import markers
from bot.runtime.sweep import sweep
from tests.conftest import REPO, payload
from tests.test_webhook import PEP541_INCOMPLETE

RECOVERY = """### PyPI Username

alice{n}

### Reason for request

I lost the phone with my authenticator app.

### Recovery Codes

- [x] I never generated or have lost access to the recovery codes

### Code of Conduct

- [x] I agree to follow the PSF Code of Conduct
"""
ISSUES = range(100, 140)


def opened(number: int):
    if number % 2:
        title, body = "PEP 541 Request: PROJECT_NAME", PEP541_INCOMPLETE
    else:
        title, body = "Account recovery request", RECOVERY.format(n=number)
    return payload(
        "issues.opened.1", number=number, title=title, body=body, user="alice", labels=[]
    )


def inject_storm(github) -> None:
    # Two issues GitHub will not serve at all while the storm lasts: their deliveries fail.
    github.inject("*", r"/issues/10[01](/|$)", status=502, times=None)
    # Each request fails with some chance, so retries run out now and then.
    github.inject("*", r"^/repos/", status=502, times=None, probability=0.25)
    github.inject(
        "*", r"^/repos/", status=None, reset_connection=True, times=None, probability=0.05
    )
    # GitHub made the comment, but the answer never arrived.
    github.inject("POST", r"/comments$", status=502, times=None, probability=0.2, after=True)
    github.inject_secondary_rate_limit(
        "POST", r"/labels$", status=429, retry_after=0, times=None
    ).probability = 0.2


async def sweep_as_serve_does(bot):
    service = bot.service
    return await sweep(service, await service.github.api_for_repo(REPO), REPO)


def triage_comments(github, number):
    return [
        c for c in github.comments(REPO, number) if markers.read(c["body"], "triage") is not None
    ]


async def test_under_a_fault_storm_every_action_is_done_exactly_once(bot, caplog):
    github = bot.github
    for number in ISSUES:
        bot.github_seed(opened(number)["issue"])
    inject_storm(github)
    with caplog.at_level(logging.INFO):
        for number in ISSUES:
            response = await bot.deliver("issues", opened(number))
            assert response.status == 202
        await bot.settle()

    fields = [getattr(r, "fields", {}) for r in caplog.records]
    failed = {f["delivery_id"] for f in fields if f.get("outcome") == "failed"}
    assert failed and failed <= set(bot.deliveries)  # failures are logged with delivery ids
    assert github.faults  # the storm really blew

    # The storm ends; the next sweep (after the deliveries' grace period) catches up.
    github.clear_faults()
    github.advance(minutes=11)
    report = await sweep_as_serve_does(bot)
    assert not report.failed and report.error is None

    for number in ISSUES:
        assert len(triage_comments(github, number)) == 1, number
        names = {label["name"] for label in github.issue(REPO, number)["labels"]}
        if number % 2:
            assert names == {"PEP 541", "status: awaiting response"}, number
        else:
            assert names == {"account-recovery"}, number
        posted = Counter(c["body"] for c in github.comments(REPO, number))
        assert max(posted.values()) == 1, number  # no comment twice (nor the name report)

    # And a second sweep has nothing left to do.
    writes = len(github.writes)
    again = await sweep_as_serve_does(bot)
    assert again.caught_up == [] and len(github.writes) == writes
