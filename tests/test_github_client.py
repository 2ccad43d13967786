"""The one GitHub client: App auth, retries, rate limits, conditional requests, exactly-once
comments — against the fake GitHub server."""

from __future__ import annotations

import aiohttp
import gidgethub
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.adapters.github import GitHub
from bot.core.actions import SetComment
from bot.runtime.apply import create_comment_once
from tests.conftest import FAST, REPO, TOKEN, settings_for
from tests.test_webhook import incomplete_pep541


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


def client(github, session, **changes):
    return GitHub(
        settings_for(github, **changes),
        session,
        policy=FAST,
        clock=lambda: github.now().timestamp(),
    )


def app_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def test_app_auth_gets_one_installation_token_and_reuses_it(github, session):
    private, public = app_key()
    github.configure_app(4242, public, "pypi-support", installations={77: [REPO]})
    gh = client(github, session, token=None, app_id="4242", private_key=private)
    github.add_issue(REPO, number=5, title="t", user="alice")
    for _ in range(3):
        api = await gh.api(77)
        await api.get_issue(REPO, 5)
    assert github.installation_tokens_issued == 1
    assert await gh.login() == "pypi-support[bot]"
    # Shortly before expiry the token is renewed.
    github.advance(minutes=58)
    await (await gh.api(77)).get_issue(REPO, 5)
    assert github.installation_tokens_issued == 2


async def test_app_service_acts_on_a_delivery_with_its_installation(make_bot, github):
    private, public = app_key()
    github.configure_app(4242, public, "pypi-support", installations={1: [REPO]})
    bot = await make_bot(token=None, app_id="4242", private_key=private)
    data = incomplete_pep541()
    await bot.deliver("issues", data)
    await bot.settle()
    (comment,) = github.comments(REPO, data["issue"]["number"])
    assert comment["user"]["login"] == "pypi-support[bot]"


async def test_server_errors_and_secondary_limits_are_retried(github, session):
    github.add_issue(REPO, number=5, title="t", user="alice")
    api = await client(github, session).api()
    github.inject("GET", r"/issues/5$", status=502, times=2)
    github.inject_secondary_rate_limit("POST", r"/issues/5/labels$", status=429, retry_after=0)
    assert (await api.get_issue(REPO, 5))["number"] == 5
    await api.add_labels(REPO, 5, ["PEP 541"])
    assert [label["name"] for label in github.issue(REPO, 5)["labels"]] == ["PEP 541"]


async def test_retries_are_bounded(github, session):
    github.add_issue(REPO, number=5, title="t", user="alice")
    api = await client(github, session).api()
    github.inject("GET", r"/issues/5$", status=503, times=None)
    with pytest.raises(gidgethub.GitHubBroken):
        await api.get_issue(REPO, 5)
    assert len([c for c in github.calls if c.path.endswith("/issues/5")]) == FAST.attempts


async def test_a_comment_is_posted_exactly_once_when_the_answer_is_lost(github, session):
    github.add_issue(REPO, number=5, title="t", user="alice")
    api = await client(github, session).api()
    # The connection drops: whether GitHub made the comment is unknown, so the bot looks for
    # its marker before posting again.
    github.inject("POST", r"/issues/5/comments$", status=None, reset_connection=True, times=1)
    github.inject("POST", r"/issues/5/comments$", status=502, times=1)
    action = SetComment("test", "triage", "hello")
    await create_comment_once(api, REPO, 5, action, None)
    assert [c["body"] for c in github.comments(REPO, 5)] == [action.body]
    posts = [c for c in github.calls if c.method == "POST"]
    assert len(posts) == 3


async def test_conditional_requests_cost_no_rate_limit(github, session):
    github.add_issue(REPO, number=5, title="t", user="alice")
    api = await client(github, session).api()
    await api.get_issue(REPO, 5)
    before = github.rate_limit()["remaining"]
    await api.get_issue(REPO, 5)
    assert github.rate_limit()["remaining"] == before
    assert github.calls[-1].headers.get("if-none-match")


async def test_pages_are_followed_and_the_api_version_is_pinned(github, session):
    for n in range(1, 151):
        github.add_issue(REPO, number=n, title=f"t{n}", user="alice")
    api = await client(github, session).api()
    numbers = [i["number"] async for i in api.iterate(f"/repos/{REPO}/issues", {"state": "open"})]
    assert len(numbers) == 150
    assert all(c.headers.get("x-github-api-version") == "2022-11-28" for c in github.calls)
    assert all(c.headers.get("authorization") == f"token {TOKEN}" for c in github.calls)
