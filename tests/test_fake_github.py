"""The fake GitHub must behave like GitHub (as far as the bot can tell) and honour the contract."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp
import cachetools
import gidgethub
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gidgethub.aiohttp import GitHubAPI
from gidgethub.apps import get_installation_access_token, get_jwt

from tests.fake_github import DEFAULT_NOW, FakeGitHub
from tests.openapi_contract import SUBSET_PATH, Contract, get_contract
from tests.openapi_subset import OPERATIONS

REPO = "pypi/support"
# A recorded GitHub scenario (see tests/data/README.md): part of the repository, so the test
# runs from any checkout.
PAGINATE_FIXTURE = (
    Path(__file__).resolve().parent
    / "data"
    / "octokit-fixtures"
    / "paginate-issues.normalized-fixture.json"
)


@pytest.fixture
def fake() -> FakeGitHub:
    fake = FakeGitHub()
    fake.add_token("user-token", "octocat")
    fake.add_repo(REPO)
    return fake


@pytest.fixture
async def server(fake, aiohttp_server):
    return await aiohttp_server(fake.app)


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def base_url(server) -> str:
    return str(server.make_url(""))


@pytest.fixture
def gh(session, base_url) -> GitHubAPI:
    return GitHubAPI(session, "fake-test", oauth_token="user-token", base_url=base_url)


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header or "")}


# --------------------------------------------------------------------------------------------
# the subset and the contract


def test_subset_is_small_and_complete():
    assert SUBSET_PATH.stat().st_size < 500_000
    contract = get_contract()
    assert contract is get_contract()  # cached
    assert contract.operations == {(m.upper(), p) for m, p in OPERATIONS}
    spec = contract.spec
    assert spec["openapi"].startswith("3.0")
    # every local $ref resolves inside the subset
    text = SUBSET_PATH.read_text()
    for ref in set(re.findall(r'"\$ref":"(#/[^"]+)"', text)):
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]


def test_every_fake_route_is_documented_and_every_operation_served(fake):
    served = set()
    for route in fake.app.router.routes():
        if route.method == "HEAD":  # aiohttp adds HEAD for GET routes
            continue
        served.add((route.method, route.resource.canonical))
    assert served <= get_contract().operations, served - get_contract().operations
    assert served == get_contract().operations


def test_contract_match_prefers_literal_segments():
    contract = get_contract()
    operation, params = contract.match("PATCH", "/repos/o/r/issues/comments/7")
    assert operation["operationId"] == "issues/update-comment"
    assert params == {"owner": "o", "repo": "r", "comment_id": "7"}
    operation, params = contract.match("DELETE", "/repos/o/r/issues/3/labels/needs%20triage")
    assert params["name"] == "needs triage"
    assert contract.match("PUT", "/repos/o/r/issues/3") is None
    assert contract.match("GET", "/repos/o/r/pulls") is None


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "expected"),
    [
        ("POST", "/repos/o/r/issues/1/labels", {}, {"labels": "bug"}, "not of type 'array'"),
        ("POST", "/repos/o/r/issues/1/labels", {}, {"labels": []}, "should be non-empty"),
        ("POST", "/repos/o/r/issues/1/reactions", {}, {"content": "thumbsup"}, "thumbsup"),
        ("POST", "/repos/o/r/issues/1/comments", {}, {"text": "hi"}, "'body' is a required"),
        ("POST", "/repos/o/r/issues/1/comments", {}, None, "required request body missing"),
        ("PATCH", "/repos/o/r/issues/1", {}, {"state": "shut"}, "'shut' is not one of"),
        ("GET", "/repos/o/r/issues/1", {}, {"x": 1}, "takes none"),
        ("GET", "/repos/o/r/issues/one", {}, None, "issue_number='one'"),
        ("GET", "/repos/o/r/issues", {"per_page": "many"}, None, "is not an integer"),
        ("GET", "/repos/o/r/issues", {"state": "any"}, None, "'any' is not one of"),
        ("GET", "/repos/o/r/issues", {"since": "yesterday"}, None, "date-time"),
        ("GET", "/repos/o/r/issues", {"lables": "bug"}, None, "unknown query parameter"),
        ("GET", "/search/issues", {}, None, "missing required query parameter 'q'"),
        ("PUT", "/repos/o/r/issues/1", {}, None, "method not allowed"),
        ("GET", "/repos/o/r/pulls", {}, None, "no such route"),
    ],
)
def test_contract_reports_bad_requests(method, path, query, body, expected):
    problems = get_contract().check_request(method, path, query, body)
    assert any(expected in p for p in problems), problems


def test_contract_accepts_good_requests():
    contract = get_contract()
    ok = [
        ("POST", "/repos/o/r/issues/1/labels", {}, {"labels": ["bug", {"name": "x"}]}),
        ("PATCH", "/repos/o/r/issues/1", {}, {"state": "closed", "state_reason": "not_planned"}),
        ("PATCH", "/repos/o/r/issues/1", {}, {"state_reason": None, "body": None}),
        ("DELETE", "/repos/o/r/issues/1/assignees", {}, {"assignees": ["a"]}),
        ("GET", "/repos/o/r/issues", {"state": "all", "per_page": "100", "labels": "a,b"}, None),
        ("GET", "/search/issues", {"q": "repo:o/r is:open", "sort": "updated"}, None),
        ("POST", "/app/installations/12/access_tokens", {}, None),
    ]
    for method, path, query, body in ok:
        assert contract.check_request(method, path, query, body) == [], (method, path)


def test_contract_checks_responses_against_documented_schemas():
    contract = get_contract()
    examples = contract.spec["components"]["examples"]
    # GitHub's own documented examples pass ...
    assert (
        contract.check_response("GET", "/repos/o/r/labels", 200, examples["label-items"]["value"])
        == []
    )
    assert (
        contract.check_response(
            "POST", "/repos/o/r/issues/1/comments", 201, examples["issue-comment"]["value"]
        )
        == []
    )
    assert (
        contract.check_response("GET", "/rate_limit", 200, examples["rate-limit-overview"]["value"])
        == []
    )
    # ... broken bodies do not
    label = dict(examples["label-items"]["value"][0])
    del label["color"]
    problems = contract.check_response("GET", "/repos/o/r/labels", 200, [label])
    assert any("'color' is a required property" in p for p in problems)
    issue_json = {"number": "1"}
    assert contract.check_response("GET", "/repos/o/r/issues/1", 200, issue_json)
    # undocumented success statuses are violations, undocumented errors are not checked
    assert contract.check_response("POST", "/repos/o/r/issues/1/assignees", 200, {})
    assert contract.check_response("GET", "/repos/o/r/issues/1", 502, "<html>") == []
    assert contract.check_response("GET", "/repos/o/r/issues/1", 304, None) == []


def test_recorded_github_pages_satisfy_the_contract():
    """Real (normalized) GitHub responses from @octokit/fixtures pass our contract."""
    records = json.loads(PAGINATE_FIXTURE.read_text())
    contract = Contract.load()
    for record in records:
        path = "/repos/o/r/issues"
        assert contract.check_response("GET", path, record["status"], record["response"]) == []


# --------------------------------------------------------------------------------------------
# the fake end to end through gidgethub


async def test_all_routes_are_contract_clean(fake, gh):
    fake.set_permission(REPO, "helper", "triage")
    fake.add_team_member("pypi", "admins", "helper", role="maintainer")
    fake.add_label(REPO, "bug", color="d73a4a", description="Something is broken")
    fake.add_issue(REPO, title="Cannot log in", body="help", user="someone", labels=["bug"])
    fake.add_issue(REPO, title="A PR", user="someone", pull_request=True)
    fake.add_issue(REPO, title="Closed", state="closed", state_reason="not_planned")
    comment = fake.add_comment(REPO, 1, "any news?", "someone")
    fake.add_event(REPO, 1, "labeled", "helper", DEFAULT_NOW - timedelta(days=3), label="bug")

    await gh.getitem("/user")
    await gh.getitem("/rate_limit")
    assert len([i async for i in gh.getiter("/repos/pypi/support/issues?state=all")]) == 3
    await gh.getitem("/repos/pypi/support/issues/1")
    await gh.patch("/repos/pypi/support/issues/1", data={"title": "Cannot log in (2FA)"})
    await gh.post("/repos/pypi/support/issues/1/labels", data={"labels": ["needs triage"]})
    await gh.delete("/repos/pypi/support/issues/1/labels/needs%20triage")
    await gh.post("/repos/pypi/support/issues/1/assignees", data={"assignees": ["helper"]})
    await gh.delete("/repos/pypi/support/issues/1/assignees", data={"assignees": ["helper"]})
    await gh.post("/repos/pypi/support/issues/1/comments", data={"body": "Thanks!"})
    await gh.getitem("/repos/pypi/support/issues/1/comments")
    await gh.patch(f"/repos/pypi/support/issues/comments/{comment['id']}", data={"body": "x"})
    await gh.post(
        f"/repos/pypi/support/issues/comments/{comment['id']}/reactions", data={"content": "eyes"}
    )
    await gh.post("/repos/pypi/support/issues/1/reactions", data={"content": "+1"})
    await gh.patch(
        "/repos/pypi/support/issues/1", data={"state": "closed", "state_reason": "completed"}
    )
    await gh.patch("/repos/pypi/support/issues/1", data={"state": "open"})
    events = await gh.getitem("/repos/pypi/support/issues/1/events")
    timeline = await gh.getitem("/repos/pypi/support/issues/1/timeline")
    await gh.getitem("/repos/pypi/support/labels")
    await gh.getitem("/repos/pypi/support/labels/bug")
    await gh.getitem("/repos/pypi/support/collaborators/helper/permission")
    await gh.getitem("/orgs/pypi/teams/admins/memberships/helper")
    await gh.getitem("/search/issues?q=repo:pypi/support+is:issue")
    # error responses are checked too
    with pytest.raises(gidgethub.BadRequest):
        await gh.getitem("/repos/pypi/support/issues/99")
    with pytest.raises(gidgethub.BadRequest):
        await gh.getitem("/orgs/pypi/teams/admins/memberships/someone")

    assert fake.contract_violations == []
    assert [e["event"] for e in events] == [
        "labeled",
        "renamed",
        "labeled",
        "unlabeled",
        "assigned",
        "unassigned",
        "closed",
        "reopened",
    ]
    assert events[0]["actor"]["login"] == "helper"
    assert all(e["actor"]["login"] == "octocat" for e in events[1:])
    assert "commented" in [e["event"] for e in timeline]


async def test_bad_bodies_are_violations_and_rejected_with_422(fake, gh):
    fake.add_issue(REPO, title="x")
    with pytest.raises(gidgethub.InvalidField) as exc:
        await gh.post("/repos/pypi/support/issues/1/labels", data={"labels": "bug"})
    assert exc.value.status_code == 422
    with pytest.raises(gidgethub.InvalidField):
        await gh.post("/repos/pypi/support/issues/1/reactions", data={"content": "thumbsup"})
    assert len(fake.contract_violations) == 2
    assert "labels" in fake.contract_violations[0]
    assert "thumbsup" in fake.contract_violations[1]
    assert fake.issue(REPO, 1)["labels"] == []  # nothing changed
    # unknown routes are violations (and 404, as on GitHub)
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.getitem("/repos/pypi/support/pulls")
    assert exc.value.status_code == 404
    assert "no such route" in fake.contract_violations[-1]


async def test_unknown_query_parameter_is_a_violation_but_served(fake, gh):
    fake.add_issue(REPO)
    assert len(await gh.getitem("/repos/pypi/support/issues?lables=bug")) == 1
    assert fake.contract_violations == [
        "request: GET /repos/pypi/support/issues: unknown query parameter 'lables'"
    ]


# --------------------------------------------------------------------------------------------
# auth


async def test_authentication_required(fake, session, base_url):
    async with session.get(f"{base_url}/repos/pypi/support/issues") as resp:
        assert resp.status == 401
        assert (await resp.json())["message"] == "Requires authentication"
        assert "x-ratelimit-remaining" in resp.headers
    bad = GitHubAPI(session, "t", oauth_token="nope", base_url=base_url)
    with pytest.raises(gidgethub.BadRequest) as exc:
        await bad.getitem("/repos/pypi/support/issues")
    assert exc.value.status_code == 401
    assert str(exc.value) == "Bad credentials"
    async with session.get(
        f"{base_url}/user", headers={"Authorization": "Bearer user-token"}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["login"] == "octocat"
    assert fake.contract_violations == []


def _rsa_key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    return _rsa_key_pair()


async def test_github_app_flow(fake, gh, session, base_url, rsa_keys):
    private, public = rsa_keys
    fake.configure_app(4242, public, "pypi-support-bot", installations={77: [REPO]})
    fake.add_repo("someone/private", private=True)
    fake.add_repo("someone/public")
    fake.add_issue(REPO, title="Help")
    fake.add_issue("someone/public", title="elsewhere")

    app_gh = GitHubAPI(session, "bot", base_url=base_url)
    token = await get_installation_access_token(
        app_gh, installation_id="77", app_id="4242", private_key=private
    )
    assert token["token"].startswith("ghs_")
    assert token["expires_at"] == "2026-01-01T13:00:00Z"  # +1h on the fake clock
    assert fake.installation_tokens_issued == 1

    jwt_token = get_jwt(app_id="4242", private_key=private)
    app_info = await app_gh.getitem("/app", jwt=jwt_token)
    assert app_info["slug"] == "pypi-support-bot"
    installation = await app_gh.getitem("/repos/pypi/support/installation", jwt=jwt_token)
    assert installation["id"] == 77

    bot = GitHubAPI(session, "bot", oauth_token=token["token"], base_url=base_url)
    comment = await bot.post("/repos/pypi/support/issues/1/comments", data={"body": "hello"})
    assert comment["user"]["login"] == "pypi-support-bot[bot]"
    assert comment["user"]["type"] == "Bot"
    assert comment["performed_via_github_app"]["slug"] == "pypi-support-bot"
    await bot.post("/repos/pypi/support/issues/1/labels", data={"labels": ["triaged"]})
    events = fake.events(REPO, 1)
    assert events[-1]["actor"]["login"] == "pypi-support-bot[bot]"

    # installation tokens cannot use /user, nor write outside the installation
    with pytest.raises(gidgethub.BadRequest) as exc:
        await bot.getitem("/user")
    assert exc.value.status_code == 403
    assert len(await bot.getitem("/repos/someone/public/issues")) == 1  # public read is fine
    with pytest.raises(gidgethub.BadRequest) as exc:
        await bot.post("/repos/someone/public/issues/1/comments", data={"body": "x"})
    assert exc.value.status_code == 403
    with pytest.raises(gidgethub.BadRequest) as exc:
        await bot.getitem("/repos/someone/private/issues")
    assert exc.value.status_code == 404

    # tokens expire on the fake clock
    fake.advance(hours=1)
    with pytest.raises(gidgethub.BadRequest) as exc:
        await bot.getitem("/repos/pypi/support/issues")
    assert exc.value.status_code == 401
    token2 = await get_installation_access_token(
        app_gh, installation_id="77", app_id="4242", private_key=private
    )
    assert token2["token"] != token["token"]
    assert fake.installation_tokens_issued == 2

    # a JWT signed by another key, for another app, or for an unknown installation
    other_private, _ = _rsa_key_pair()
    for kwargs, status in [
        ({"installation_id": "77", "app_id": "4242", "private_key": other_private}, 401),
        ({"installation_id": "77", "app_id": "1", "private_key": private}, 401),
        ({"installation_id": "78", "app_id": "4242", "private_key": private}, 404),
    ]:
        with pytest.raises(gidgethub.BadRequest) as exc:
            await get_installation_access_token(app_gh, **kwargs)
        assert exc.value.status_code == status
    # a user token is not a JWT
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.getitem("/app")
    assert exc.value.status_code == 401
    assert fake.installation_tokens_issued == 2
    assert fake.contract_violations == []


async def test_expired_jwt_is_rejected(fake, session, base_url, rsa_keys):
    private, public = rsa_keys
    fake.configure_app(1, public, "bot", installations={5: [REPO]})
    fake.set_clock(lambda: datetime.now(UTC))
    fake.advance(minutes=11)  # gidgethub's JWT is valid for 9-10 minutes
    app_gh = GitHubAPI(session, "bot", base_url=base_url)
    with pytest.raises(gidgethub.BadRequest) as exc:
        await app_gh.getitem("/app", jwt=get_jwt(app_id="1", private_key=private))
    assert exc.value.status_code == 401
    assert "Expiration time" in str(exc.value)


# --------------------------------------------------------------------------------------------
# pagination


async def test_pagination_link_headers_and_getiter(fake, gh, session, base_url):
    for i in range(13):
        fake.add_issue(REPO, title=f"issue {i}", created_at=DEFAULT_NOW - timedelta(hours=i))
    fake.reset_calls()
    numbers = [i["number"] async for i in gh.getiter("/repos/pypi/support/issues?per_page=3")]
    assert numbers == list(range(1, 14))  # newest first = lowest number here
    assert len(fake.calls) == 5
    assert fake.calls[-1].query == {"per_page": "3", "page": "5"}

    # the same rel sets as the recorded GitHub scenario (octokit paginate-issues)
    expected = [
        {"next", "last"},
        {"prev", "next", "last", "first"},
        {"prev", "next", "last", "first"},
        {"prev", "next", "last", "first"},
        {"prev", "first"},
    ]
    if PAGINATE_FIXTURE.exists():
        recorded = json.loads(PAGINATE_FIXTURE.read_text())
        assert [set(_links(r["headers"]["link"])) for r in recorded] == expected
        recorded_keys = set(recorded[0]["response"][0])
        recorded_user_keys = set(recorded[0]["response"][0]["user"])
    else:  # pragma: no cover
        recorded_keys = recorded_user_keys = set()
    headers = {"Authorization": "token user-token"}
    url = f"{base_url}/repos/pypi/support/issues?per_page=3"
    links: dict[str, str] = {}
    for page, rels in enumerate(expected, start=1):
        async with session.get(url if page == 1 else links["next"], headers=headers) as resp:
            links = _links(resp.headers["Link"])
            assert set(links) == rels
            assert all(u.startswith(base_url) for u in links.values())
            body = await resp.json()
            assert recorded_keys <= set(body[0])
            assert recorded_user_keys <= set(body[0]["user"])
        if "last" in links:
            assert links["last"].endswith("page=5")
    # single page: no Link header; per_page is capped at 100
    async with session.get(f"{base_url}/repos/pypi/support/issues", headers=headers) as resp:
        assert "Link" not in resp.headers
    async with session.get(
        f"{base_url}/repos/pypi/support/issues?per_page=1000", headers=headers
    ) as resp:
        assert len(await resp.json()) == 13
    assert fake.contract_violations == []


async def test_list_issues_filters_and_sorting(fake, gh):
    fake.set_permission(REPO, "helper", "write")
    t0 = DEFAULT_NOW - timedelta(days=10)
    fake.add_issue(REPO, title="a", labels=["bug", "pypi"], created_at=t0, updated_at=t0)
    fake.add_issue(
        REPO, title="b", labels=["bug"], assignees=["helper"], created_at=t0 + timedelta(days=1)
    )
    fake.add_issue(REPO, title="c", state="closed", created_at=t0 + timedelta(days=2))
    fake.add_issue(REPO, title="pr", pull_request=True, created_at=t0 + timedelta(days=3))
    fake.add_comment(REPO, 1, "x", "someone", created_at=t0 + timedelta(days=5))
    fake.add_comment(REPO, 1, "y", "someone", created_at=t0 + timedelta(days=6))

    async def titles(query: str) -> list[str]:
        return [i["title"] for i in await gh.getitem(f"/repos/pypi/support/issues?{query}")]

    assert await titles("") == ["pr", "b", "a"]  # open, created desc, PRs included
    assert await titles("state=closed") == ["c"]
    assert await titles("state=all&direction=asc") == ["a", "b", "c", "pr"]
    assert await titles("labels=bug") == ["b", "a"]
    assert await titles("labels=BUG,pypi") == ["a"]
    assert await titles("assignee=helper") == ["b"]
    assert await titles("assignee=none") == ["pr", "a"]
    assert await titles("assignee=*") == ["b"]
    assert await titles("sort=updated&direction=desc") == ["a", "pr", "b"]
    assert await titles("sort=comments") == ["a", "pr", "b"]
    assert await titles("since=2025-12-26T00:00:00Z") == ["a"]
    pr = await gh.getitem("/repos/pypi/support/issues/4")
    assert "pull_request" in pr
    assert fake.contract_violations == []


# --------------------------------------------------------------------------------------------
# conditional requests and rate limits


async def test_etag_304_with_gidgethub_cache_costs_no_rate_limit(fake, session, base_url):
    fake.add_issue(REPO, title="x")
    cache: cachetools.LRUCache = cachetools.LRUCache(maxsize=100)
    gh = GitHubAPI(session, "t", oauth_token="user-token", cache=cache, base_url=base_url)
    first = await gh.getitem("/repos/pypi/support/issues/1")
    remaining = fake.rate_limit()["remaining"]
    second = await gh.getitem("/repos/pypi/support/issues/1")
    assert second == first
    assert fake.calls[-1].status == 304
    assert fake.calls[-1].headers["if-none-match"].startswith('"')
    assert fake.rate_limit()["remaining"] == remaining
    # a write changes the representation, so the ETag no longer matches
    await gh.post("/repos/pypi/support/issues/1/labels", data={"labels": ["bug"]})
    third = await gh.getitem("/repos/pypi/support/issues/1")
    assert fake.calls[-1].status == 200
    assert [lab["name"] for lab in third["labels"]] == ["bug"]
    assert fake.rate_limit()["remaining"] == remaining - 2
    assert fake.contract_violations == []


async def test_etag_is_strong_and_stable(fake, session, base_url):
    fake.add_label(REPO, "bug")
    headers = {"Authorization": "token user-token"}
    url = f"{base_url}/repos/pypi/support/labels"
    async with session.get(url, headers=headers) as resp:
        etag = resp.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]+"', etag)
    async with session.get(url, headers={**headers, "If-None-Match": f"W/{etag}"}) as resp:
        assert resp.status == 304
        assert await resp.read() == b""
        assert resp.headers["ETag"] == etag
    async with session.get(url, headers={**headers, "If-None-Match": '"other"'}) as resp:
        assert resp.status == 200


async def test_rate_limit_headers_on_every_response(fake, gh, session, base_url):
    fake.add_issue(REPO)
    await gh.getitem("/repos/pypi/support/issues/1")
    async with session.get(
        f"{base_url}/search/issues?q=repo:pypi/support",
        headers={"Authorization": "token user-token"},
    ) as resp:
        assert resp.headers["x-ratelimit-resource"] == "search"
        assert resp.headers["x-ratelimit-limit"] == "30"
        assert resp.headers["x-ratelimit-remaining"] == "29"
    assert gh.rate_limit.limit == 5000
    assert gh.rate_limit.remaining == 4999
    assert gh.rate_limit.reset_datetime == DEFAULT_NOW + timedelta(hours=1)
    assert fake.rate_limit("core")["used"] == 1


async def test_primary_rate_limit_exceeded(fake, gh):
    fake.add_issue(REPO)
    fake.set_rate_limit(0)
    with pytest.raises(gidgethub.RateLimitExceeded) as exc:
        await gh.getitem("/repos/pypi/support/issues/1")
    assert exc.value.rate_limit.remaining == 0
    assert "API rate limit exceeded" in str(exc.value)
    # the search resource is separate
    assert (await gh.getitem("/search/issues?q=is:open"))["total_count"] == 1
    # a new window starts once the clock passes the reset time
    fake.advance(hours=1)
    assert (await gh.getitem("/repos/pypi/support/issues/1"))["number"] == 1
    assert fake.rate_limit()["remaining"] == 4999


@pytest.mark.parametrize("status", [403, 429])
async def test_secondary_rate_limit(fake, gh, status):
    fake.add_issue(REPO)
    fake.inject_secondary_rate_limit("POST", r"/comments$", status=status, retry_after=30)
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.post("/repos/pypi/support/issues/1/comments", data={"body": "hi"})
    assert exc.value.status_code == status
    assert exc.value.headers["retry-after"] == "30"
    assert int(exc.value.headers["x-ratelimit-remaining"]) > 0
    assert "secondary rate limit" in str(exc.value)
    # only once
    await gh.post("/repos/pypi/support/issues/1/comments", data={"body": "hi"})
    assert len(fake.comments(REPO, 1)) == 1


# --------------------------------------------------------------------------------------------
# faults


async def test_fault_injection_in_order(fake, gh):
    fake.add_issue(REPO)
    fake.inject("GET", r"/issues/1$", status=502, times=2)
    fake.inject("*", r"/issues/1$", status=500, body="<html>oops</html>")
    for expected in (502, 502, 500):
        with pytest.raises(gidgethub.GitHubBroken) as exc:
            await gh.getitem("/repos/pypi/support/issues/1")
        assert exc.value.status_code == expected
    assert fake.faults == []
    assert (await gh.getitem("/repos/pypi/support/issues/1"))["number"] == 1
    assert [c.status for c in fake.calls] == [502, 502, 500, 200]


async def test_fault_reset_connection_and_delay(fake, gh):
    fake.add_issue(REPO)
    # aiohttp retries an idempotent request once on a dropped keep-alive connection
    fake.inject("GET", "/issues", reset_connection=True, times=2)
    with pytest.raises(aiohttp.ClientError):
        await gh.getitem("/repos/pypi/support/issues/1")
    fake.clear_faults()
    fake.inject("POST", "/comments", reset_connection=True)
    with pytest.raises(aiohttp.ClientError):
        await gh.post("/repos/pypi/support/issues/1/comments", data={"body": "x"})
    assert fake.calls[-1].status is None
    assert fake.comments(REPO, 1) == []
    fake.inject("GET", "/issues", status=None, delay=0.05)
    start = time.monotonic()
    assert (await gh.getitem("/repos/pypi/support/issues/1"))["number"] == 1
    assert time.monotonic() - start >= 0.05
    fake.inject("GET", "/issues", status=504, delay=0.01, headers={"x-extra": "1"})
    with pytest.raises(gidgethub.GitHubBroken) as exc:
        await gh.getitem("/repos/pypi/support/issues/1")
    assert exc.value.headers["x-extra"] == "1"


async def test_fake_never_sleeps_without_a_delay(fake, gh, monkeypatch):
    fake.add_issue(REPO)

    async def no_sleep(*args, **kwargs):  # pragma: no cover - would fail the test
        raise AssertionError("the fake slept")

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    fake.inject("GET", "/issues", status=503)
    with pytest.raises(gidgethub.GitHubBroken):
        await gh.getitem("/repos/pypi/support/issues/1")
    await gh.getitem("/repos/pypi/support/issues/1")


# --------------------------------------------------------------------------------------------
# semantics of the write endpoints


async def test_labels_semantics(fake, gh):
    fake.add_label(REPO, "bug", color="d73a4a")
    fake.add_issue(REPO)
    labels = await gh.post(
        "/repos/pypi/support/issues/1/labels", data={"labels": ["BUG", "new label", "bug"]}
    )
    assert [lab["name"] for lab in labels] == ["bug", "new label"]  # existing name kept
    assert {lab["name"] for lab in await gh.getitem("/repos/pypi/support/labels")} == {
        "bug",
        "new label",
    }
    # adding again is a no-op without new events
    await gh.post("/repos/pypi/support/issues/1/labels", data={"labels": ["bug"]})
    assert [e["event"] for e in fake.events(REPO, 1)] == ["labeled", "labeled"]
    await gh.delete("/repos/pypi/support/issues/1/labels/New%20Label")  # (returns nothing)
    assert fake.calls[-1].status == 200
    assert [lab["name"] for lab in fake.issue(REPO, 1)["labels"]] == ["bug"]
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.delete("/repos/pypi/support/issues/1/labels/new%20label")
    assert exc.value.status_code == 404
    assert str(exc.value) == "Label does not exist"
    assert (await gh.getitem("/repos/pypi/support/labels/BUG"))["color"] == "d73a4a"
    unlabeled = fake.events(REPO, 1)[-1]
    assert unlabeled["event"] == "unlabeled"
    assert unlabeled["label"] == {"name": "new label", "color": "ededed"}
    assert unlabeled["actor"]["login"] == "octocat"
    assert fake.contract_violations == []


async def test_patch_issue_replaces_and_closes(fake, gh):
    fake.set_permission(REPO, "helper", "triage")
    fake.set_permission(REPO, "reader", "read")
    fake.add_issue(REPO, labels=["a", "b"])
    fake.advance(minutes=5)
    issue = await gh.patch(
        "/repos/pypi/support/issues/1",
        data={
            "labels": ["b", "c"],
            "assignees": ["helper", "stranger", "reader"],
            "state": "closed",
            "state_reason": "not_planned",
        },
    )
    assert [lab["name"] for lab in issue["labels"]] == ["b", "c"]
    assert [a["login"] for a in issue["assignees"]] == ["helper", "reader"]  # stranger dropped
    assert issue["state"] == "closed"
    assert issue["state_reason"] == "not_planned"
    assert issue["closed_at"] == issue["updated_at"] == "2026-01-01T12:05:00Z"
    assert issue["closed_by"]["login"] == "octocat"
    events = [(e["event"], e.get("label", {}).get("name")) for e in fake.events(REPO, 1)]
    assert events == [
        ("unlabeled", "a"),
        ("labeled", "c"),
        ("assigned", None),
        ("assigned", None),
        ("closed", None),
    ]
    assert fake.events(REPO, 1)[-1]["state_reason"] == "not_planned"
    issue = await gh.patch("/repos/pypi/support/issues/1", data={"state": "open"})
    assert (issue["state"], issue["state_reason"], issue["closed_at"]) == (
        "open",
        "reopened",
        None,
    )
    # the knob lets anyone be assigned
    fake.allow_any_assignee = True
    issue = await gh.post("/repos/pypi/support/issues/1/assignees", data={"assignees": ["x"]})
    assert "x" in [a["login"] for a in issue["assignees"]]
    assert fake.contract_violations == []


async def test_comments(fake, gh):
    fake.set_permission(REPO, "helper", "write")
    fake.add_issue(REPO, user="someone")
    fake.add_comment(REPO, 1, "first", "someone", "NONE", DEFAULT_NOW - timedelta(days=2))
    fake.advance(minutes=1)
    created = await gh.post("/repos/pypi/support/issues/1/comments", data={"body": "hi"})
    assert created["author_association"] == "NONE"
    assert created["created_at"] == "2026-01-01T12:01:00Z"
    issue = fake.issue(REPO, 1)
    assert issue["comments"] == 2
    assert issue["updated_at"] == "2026-01-01T12:01:00Z"
    since = await gh.getitem("/repos/pypi/support/issues/1/comments?since=2026-01-01T00:00:00Z")
    assert [c["body"] for c in since] == ["hi"]
    for bad in ({"body": ""}, {"body": "x" * 65537}):
        with pytest.raises(gidgethub.BadRequest) as exc:
            await gh.post("/repos/pypi/support/issues/1/comments", data=bad)
        assert exc.value.status_code == 422
    fake.add_token("helper-token", "helper")
    helper = GitHubAPI(gh._session, "t", oauth_token="helper-token", base_url=gh.base_url)
    comment = await helper.post("/repos/pypi/support/issues/1/comments", data={"body": "ok"})
    assert comment["author_association"] == "COLLABORATOR"
    edited = await gh.patch(
        f"/repos/pypi/support/issues/comments/{comment['id']}", data={"body": "edited"}
    )
    assert edited["body"] == "edited"
    assert fake.contract_violations == []


async def test_reactions_201_then_200(fake, gh):
    fake.add_issue(REPO)
    comment = fake.add_comment(REPO, 1, "hi", "someone")
    url = "/repos/pypi/support/issues/1/reactions"
    fake.reset_calls()
    first = await gh.post(url, data={"content": "+1"})
    again = await gh.post(url, data={"content": "+1"})
    assert first == again
    await gh.post(
        f"/repos/pypi/support/issues/comments/{comment['id']}/reactions", data={"content": "heart"}
    )
    assert [c.status for c in fake.writes] == [201, 200, 201]
    assert fake.issue(REPO, 1)["reactions"]["+1"] == 1
    assert fake.comments(REPO, 1)[0]["reactions"]["heart"] == 1
    assert fake.contract_violations == []


async def test_human_events_and_timeline(fake, gh):
    t0 = DEFAULT_NOW - timedelta(days=30)
    fake.add_issue(REPO, created_at=t0)
    fake.add_event(REPO, 1, "labeled", "maintainer", t0 + timedelta(days=1), label="x", apply=True)
    fake.add_comment(REPO, 1, "hi", "someone", created_at=t0 + timedelta(days=2))
    fake.add_event(
        REPO,
        1,
        "closed",
        "maintainer",
        t0 + timedelta(days=3),
        apply=True,
        state_reason="not_planned",
    )
    issue = fake.issue(REPO, 1)
    assert issue["state"] == "closed"
    assert issue["labels"][0]["name"] == "x"
    events = await gh.getitem("/repos/pypi/support/issues/1/events")
    assert [(e["event"], e["actor"]["login"], e["created_at"]) for e in events] == [
        ("labeled", "maintainer", "2025-12-03T12:00:00Z"),
        ("closed", "maintainer", "2025-12-05T12:00:00Z"),
    ]
    timeline = await gh.getitem("/repos/pypi/support/issues/1/timeline")
    assert [e["event"] for e in timeline] == ["labeled", "commented", "closed"]
    assert fake.contract_violations == []


async def test_permissions_and_team_membership(fake, gh):
    fake.set_permission(REPO, "maint", "maintain")
    fake.set_permission(REPO, "custom", "pypi-moderator", permission="write")
    fake.add_team_member("pypi", "moderators", "custom")
    fake.add_repo("pypi/secret", private=True)

    async def perm(user: str, repo: str = "pypi/support") -> tuple[str, str]:
        data = await gh.getitem(f"/repos/{repo}/collaborators/{user}/permission")
        return data["permission"], data["role_name"]

    assert await perm("maint") == ("write", "maintain")
    assert await perm("custom") == ("write", "pypi-moderator")
    assert await perm("someone") == ("read", "read")
    assert await perm("someone", "pypi/secret") == ("none", "none")
    membership = await gh.getitem("/orgs/pypi/teams/moderators/memberships/custom")
    assert membership["state"] == "active"
    with pytest.raises(gidgethub.BadRequest) as exc:
        await gh.getitem("/orgs/pypi/teams/moderators/memberships/maint")
    assert exc.value.status_code == 404
    assert fake.contract_violations == []


async def test_search_issues(fake, gh):
    fake.set_permission(REPO, "helper", "triage")
    old = DEFAULT_NOW - timedelta(days=40)
    fake.add_issue(
        REPO,
        title="Account recovery",
        labels=["account", "needs triage"],
        updated_at=old,
        created_at=old,
    )
    fake.add_issue(REPO, title="Name request", labels=["pep541"], assignees=["helper"])
    fake.add_issue(REPO, title="Closed one", labels=["account"], state="closed")
    fake.add_issue(REPO, title="PR", pull_request=True)
    fake.add_issue("other/repo", title="Account elsewhere", labels=["account"])

    async def titles(q: str, **params: str) -> list[str]:
        extra = "".join(f"&{k}={v}" for k, v in params.items())
        result = await gh.getitem(f"/search/issues?q={quote(q, safe='')}{extra}")
        assert result["total_count"] == len(result["items"])
        assert result["incomplete_results"] is False
        return sorted(i["title"] for i in result["items"])

    assert await titles("repo:pypi/support is:issue is:open") == [
        "Account recovery",
        "Name request",
    ]
    assert await titles('repo:pypi/support label:"needs triage"') == ["Account recovery"]
    assert await titles("repo:pypi/support is:issue -label:account") == ["Name request"]
    assert await titles("repo:pypi/support assignee:helper") == ["Name request"]
    assert await titles("repo:pypi/support is:open no:assignee is:issue") == ["Account recovery"]
    assert await titles("repo:pypi/support is:pr") == ["PR"]
    assert await titles("label:account is:open") == ["Account elsewhere", "Account recovery"]
    assert await titles("repo:pypi/support updated:<2025-12-01") == ["Account recovery"]
    assert await titles("repo:pypi/support recovery") == ["Account recovery"]
    assert await titles("repo:pypi/support is:closed reason:completed") == ["Closed one"]
    with pytest.raises(gidgethub.InvalidField):
        await gh.getitem("/search/issues?q=")
    assert fake.contract_violations == []


async def test_calls_and_writes_log(fake, gh):
    fake.add_issue(REPO)
    await gh.getitem("/repos/pypi/support/issues?state=all")
    await gh.post("/repos/pypi/support/issues/1/comments", data={"body": "hi"})
    assert [(c.method, c.path) for c in fake.calls] == [
        ("GET", "/repos/pypi/support/issues"),
        ("POST", "/repos/pypi/support/issues/1/comments"),
    ]
    assert fake.calls[0].query == {"state": "all"}
    assert fake.calls[0].json is None
    assert fake.calls[0].headers["authorization"] == "token user-token"
    assert [c.json for c in fake.writes] == [{"body": "hi"}]
    fake.reset_calls()
    assert fake.calls == [] and fake.writes == []
