from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.adapters.account_lookup import AccountLookup
from bot.adapters.name_lookup import NameLookup
from bot.adapters.pypi import (
    FACTS_TTL_SECONDS,
    CircuitBreaker,
    NameIndexRefresher,
    PyPIClient,
    PyPITooLarge,
    PyPIUnavailable,
    _parse_simple_html,
)
from bot.core.names import NameIndex
from bot.core.pypi import ProjectFacts, abandoned_by_release_rule
from tests.fake_pypi import FakePyPI

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakePyPI:
    fake = FakePyPI()
    fake.add_project(
        "Foo_Bar",
        releases={
            "0.1": ["2019-03-01T10:00:00.123456Z"],
            "1.0": ["2024-12-24T08:30:00Z", "2024-12-25T09:00:00Z"],
            "2.0.dev0": [],
        },
        summary="  Does foo  ",
        home_page="https://foo.example.org",
        project_urls={"Documentation": "https://docs.example", "Source Code": "https://git.x/foo"},
    )
    fake.add_project("empty", releases={"0.0.0": []}, summary="", home_page="UNKNOWN")
    fake.add_project(
        "gh-only",
        releases={"1": ["2020-01-01T00:00:00Z"]},
        project_urls={"Homepage": "https://github.com/alice/gh-only"},
    )
    fake.set_names(["Foo_Bar", "empty", "gh-only", "FlaskPlus", "nsbi"])
    return fake


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def base_url(aiohttp_server, fake: FakePyPI) -> str:
    server = await aiohttp_server(fake.app())
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(session, base_url: str, clock: FakeClock) -> PyPIClient:
    breaker = CircuitBreaker(failure_threshold=3, cooldown=30, clock=clock)
    return PyPIClient(session, base_url, timeout=1.0, breaker=breaker)


async def test_project_facts(client: PyPIClient, fake: FakePyPI) -> None:
    facts = await client.project("foo-bar")
    assert facts == ProjectFacts(
        name="Foo_Bar",
        exists=True,
        release_count=3,
        first_upload=datetime(2019, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
        last_upload=datetime(2024, 12, 25, 9, 0, tzinfo=UTC),
        has_files=True,
        home_page="https://foo.example.org",
        source_url="https://git.x/foo",
        summary="Does foo",
        version="2.0.dev0",
        roles=(),
    )
    assert fake.requests[-1][1] == "/pypi/foo-bar/json"


async def test_project_without_files(client: PyPIClient) -> None:
    facts = await client.project("empty")
    assert facts is not None
    assert facts.release_count == 1 and not facts.has_files
    assert facts.first_upload is None and facts.last_upload is None
    assert facts.home_page is None and facts.source_url is None and facts.summary is None
    assert abandoned_by_release_rule(facts, NOW)


async def test_source_url_from_code_host_homepage(client: PyPIClient) -> None:
    facts = await client.project("gh-only")
    assert facts is not None
    assert facts.home_page == facts.source_url == "https://github.com/alice/gh-only"


async def test_missing_and_invalid_projects(client: PyPIClient, fake: FakePyPI) -> None:
    assert await client.project("no-such-thing") is None
    seen = len(fake.requests)
    assert await client.project("../../admin") is None
    assert await client.project("") is None
    assert len(fake.requests) == seen  # invalid names never reach the network
    assert client.breaker.failures == 0


@pytest.mark.parametrize("status", [500, 502, 503, 429, 403])
async def test_http_errors_raise_unavailable(client: PyPIClient, fake: FakePyPI, status) -> None:
    fake.status = status
    with pytest.raises(PyPIUnavailable, match=str(status)):
        await client.project("foo-bar")
    with pytest.raises(PyPIUnavailable):
        await client.all_names()


async def test_garbage_raises_unavailable(client: PyPIClient, fake: FakePyPI) -> None:
    fake.garbage = True
    with pytest.raises(PyPIUnavailable, match="bad JSON"):
        await client.project("foo-bar")
    with pytest.raises(PyPIUnavailable, match="Simple API"):
        await client.all_names()
    assert client.breaker.failures == 2


async def test_timeout_raises_unavailable(session, base_url: str, fake: FakePyPI) -> None:
    fake.delay = 0.3
    client = PyPIClient(session, base_url, timeout=0.05)
    with pytest.raises(PyPIUnavailable, match="timed out"):
        await client.project("foo-bar")


async def test_connection_error_raises_unavailable(session) -> None:
    client = PyPIClient(session, "http://127.0.0.1:9", timeout=1.0)
    with pytest.raises(PyPIUnavailable) as info:
        await client.project("foo")
    assert info.value.reason


async def test_oversized_response(session, base_url: str) -> None:
    client = PyPIClient(session, base_url, max_project_bytes=100)
    with pytest.raises(PyPIUnavailable, match="over 100"):
        await client.project("foo-bar")


async def test_project_facts_are_reused_for_a_while_and_shared(session, base_url, fake) -> None:
    # One client serves the name report and the recovery note: each project is asked once.
    clock = FakeClock()
    client = PyPIClient(session, base_url, max_project_bytes=2000, clock=clock)
    names, accounts = NameLookup(client), AccountLookup(client)
    fake.add_user("alice")
    fake.add_project("widgets", roles=[("Owner", "alice")])
    fake.add_project("huge", releases={f"0.{n}": [] for n in range(300)})
    asked = lambda: [p for _, p, _ in fake.requests if p.endswith("/json")]  # noqa: E731
    facts, error = await names.facts("Widgets")
    assert facts is not None and error is None
    account = await accounts.account("alice", test=False, limit=5)
    assert [p.facts for p in account.projects] == [facts]  # the name report's answer
    assert (await names.facts("huge"))[1].endswith("MiB, too large")
    with pytest.raises(PyPITooLarge):
        await client.project_facts("HUGE")  # known too large: not downloaded again
    assert asked() == ["/pypi/Widgets/json", "/pypi/huge/json"]
    clock.now += FACTS_TTL_SECONDS + 1
    await client.project_facts("widgets")
    assert asked()[-1] == "/pypi/widgets/json"  # asked again once the answer is old


async def test_circuit_breaker_fails_fast_then_recovers(
    client: PyPIClient, fake: FakePyPI, clock: FakeClock
) -> None:
    fake.status = 503
    for _ in range(3):
        with pytest.raises(PyPIUnavailable, match="503"):
            await client.project("foo-bar")
    assert client.breaker.state == "open"
    hits = len(fake.requests)
    for _ in range(5):
        with pytest.raises(PyPIUnavailable, match="circuit open"):
            await client.project("foo-bar")
        with pytest.raises(PyPIUnavailable, match="circuit open"):
            await client.all_names()
    assert len(fake.requests) == hits  # no network while open

    clock.now += 31
    assert client.breaker.state == "half-open"
    with pytest.raises(PyPIUnavailable, match="503"):  # the trial call fails: open again
        await client.project("foo-bar")
    assert client.breaker.state == "open"
    assert len(fake.requests) == hits + 1

    clock.now += 31
    fake.status = None
    assert (await client.project("foo-bar")) is not None
    assert client.breaker.state == "closed" and client.breaker.failures == 0


async def test_garbage_counts_towards_the_breaker(client: PyPIClient, fake: FakePyPI) -> None:
    fake.garbage = True
    for _ in range(3):
        with pytest.raises(PyPIUnavailable, match="bad JSON"):
            await client.project("foo-bar")
    with pytest.raises(PyPIUnavailable, match="circuit open"):
        await client.project("foo-bar")


async def test_half_open_allows_one_trial(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown=10, clock=clock)
    breaker.before_call()
    breaker.record_failure()
    with pytest.raises(PyPIUnavailable):
        breaker.before_call()
    clock.now += 10
    breaker.before_call()  # the trial
    with pytest.raises(PyPIUnavailable, match="trial"):
        breaker.before_call()
    breaker.release()  # e.g. cancelled: another trial may go
    breaker.before_call()
    breaker.record_success()
    breaker.before_call()
    assert breaker.state == "closed"


async def test_all_names_with_etag(client: PyPIClient, fake: FakePyPI) -> None:
    names, etag = await client.all_names()
    assert names == ["Foo_Bar", "empty", "gh-only", "FlaskPlus", "nsbi"]
    assert etag == fake.etag
    # JSON first; the HTML page of PEP 503 if that is all the index serves.
    assert fake.requests[-1][2]["Accept"] == (
        "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
        "text/html;q=0.1"
    )

    assert await client.all_names(etag) == (None, etag)
    assert fake.requests[-1][2]["If-None-Match"] == etag

    fake.index_names.append('we"ird\\name')
    names, new_etag = await client.all_names(etag)
    assert names is not None and names[-1] == 'we"ird\\name'
    assert new_etag != etag


async def test_an_index_that_serves_only_pep_503_html_loads(
    client: PyPIClient, fake: FakePyPI, tmp_path
) -> None:
    fake.index_format = "html"  # devpi, bandersnatch, Artifactory and many proxies
    fake.index_names.append('we"ird\\n&ame')
    names, etag = await client.all_names()
    assert names == ["Foo_Bar", "empty", "gh-only", "FlaskPlus", "nsbi", 'we"ird\\n&ame']
    assert etag == fake.etag
    refresher = NameIndexRefresher(client, cache_path=tmp_path / "names.idx")
    assert await refresher.refresh() is True
    assert refresher.index.exists("foo-bar") and refresher.index.similar("nsbl") == ["nsbi"]
    assert await refresher.refresh() is False and refresher.last_refresh_ok  # a 304


def test_pep_503_pages_as_mirrors_write_them():
    page = b"""<html><head><title>Simple Index</title></head><body>
    <h1>devpi: root/pypi</h1><a href="/+login">Log in</a>
    <a href="/root/pypi/+simple/zope-interface/">zope.interface</a>
    <a href='Foo_Bar/'>Foo_Bar</a><br>
    <a href="caf%C3%A9/">caf\xc3\xa9</a>
    <a href="https://mirror.example/simple/a-b/">A.B</a>
    </body></html>"""
    assert _parse_simple_html(page) == ["zope.interface", "Foo_Bar", "caf\xe9", "A.B"]
    with pytest.raises(ValueError, match="not a PEP 503 index"):
        _parse_simple_html(b'<html><a href="/login">Sign in</a></html>')  # a proxy's page


async def test_all_names_refuses_what_is_no_index(client: PyPIClient, fake: FakePyPI) -> None:
    fake.index_content_type = "text/plain"
    with pytest.raises(PyPIUnavailable, match="text/plain"):
        await client.all_names()
    fake.index_content_type = "text/html"  # the JSON document, labelled HTML
    with pytest.raises(PyPIUnavailable, match="not a PEP 503 index"):
        await client.all_names()


def facts_with_last_upload(last: datetime | None) -> ProjectFacts:
    return ProjectFacts("x", True, 1, last, last, last is not None, None, None, None)


@pytest.mark.parametrize(
    ("last", "abandoned"),
    [
        (None, True),
        (datetime(2025, 5, 31, tzinfo=UTC), False),
        (datetime(2024, 6, 1, 12, 0, tzinfo=UTC), False),  # exactly 12 months
        (datetime(2024, 6, 1, 11, 59, tzinfo=UTC), True),
        (datetime(2019, 1, 1, tzinfo=UTC), True),
    ],
)
def test_abandoned_by_release_rule(last: datetime | None, abandoned: bool) -> None:
    assert abandoned_by_release_rule(facts_with_last_upload(last), NOW) is abandoned


def test_release_rule_leap_day_and_naive_now() -> None:
    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert not abandoned_by_release_rule(
        facts_with_last_upload(datetime(2023, 3, 1, tzinfo=UTC)), leap
    )
    assert abandoned_by_release_rule(
        facts_with_last_upload(datetime(2023, 2, 27, tzinfo=UTC)), leap
    )
    naive = datetime(2025, 6, 1)
    assert not abandoned_by_release_rule(
        facts_with_last_upload(datetime(2025, 1, 1, tzinfo=UTC)), naive
    )
    assert abandoned_by_release_rule(None, NOW)


def test_facts_from_odd_json() -> None:
    with pytest.raises(ValueError):
        ProjectFacts.from_json([])
    with pytest.raises(ValueError):
        ProjectFacts.from_json({"info": {"name": ""}})
    facts = ProjectFacts.from_json(
        {
            "info": {"name": "x", "project_urls": None, "home_page": "ftp://nope"},
            "releases": {"1": [{"upload_time": "2020-01-01T00:00:00"}, {"upload_time": "bad"}, 5]},
        }
    )
    assert facts.last_upload == datetime(2020, 1, 1, tzinfo=UTC)
    assert facts.home_page is None and facts.has_files


async def test_refresher(client: PyPIClient, fake: FakePyPI, tmp_path) -> None:
    cache = tmp_path / "names.idx"
    refresher = NameIndexRefresher(client, cache_path=cache)
    assert len(refresher.index) == 0
    assert await refresher.refresh() is True
    assert refresher.index.exists("foo-bar") and refresher.index.similar("nsbl") == ["nsbi"]
    assert refresher.etag == fake.etag and cache.exists()

    assert await refresher.refresh() is False  # 304
    assert fake.requests[-1][2]["If-None-Match"] == fake.etag

    fake.index_names.append("newcomer")
    assert await refresher.refresh() is True
    assert refresher.index.exists("newcomer")

    # A new process starts from the cache and goes straight to a conditional request.
    fresh = NameIndexRefresher(client, cache_path=cache)
    assert await fresh.refresh() is False
    assert fresh.index.exists("newcomer") and fresh.last_refresh_ok
    assert fake.requests[-1][2]["If-None-Match"] == fake.etag


async def test_refresher_keeps_old_index_on_failure(
    client: PyPIClient, fake: FakePyPI, caplog
) -> None:
    refresher = NameIndexRefresher(client)
    assert await refresher.refresh()
    old = refresher.index
    fake.status = 500
    with caplog.at_level(logging.WARNING, logger="bot.pypi"):
        assert await refresher.refresh() is False
    assert refresher.index is old and refresher.last_refresh_ok is False
    assert "not refreshed" in caplog.text

    fake.status = None
    fake.garbage = True
    assert await refresher.refresh() is False
    assert refresher.index is old


async def test_refresher_rejects_a_suspiciously_short_list(
    client: PyPIClient, fake: FakePyPI
) -> None:
    refresher = NameIndexRefresher(client)
    assert await refresher.refresh()
    fake.set_names(["only-one"])
    assert await refresher.refresh() is False
    assert refresher.index.exists("foo-bar") and not refresher.index.exists("only-one")


async def test_refresher_ignores_corrupt_cache(client: PyPIClient, tmp_path) -> None:
    cache = tmp_path / "names.idx"
    cache.write_bytes(b"garbage")
    refresher = NameIndexRefresher(client, cache_path=cache)
    assert await refresher.refresh() is True
    assert len(NameIndex.load(cache)) == 5  # rewritten


async def test_refresher_never_raises_on_bugs(client: PyPIClient, monkeypatch) -> None:
    async def boom(etag=None):
        raise RuntimeError("bug")

    monkeypatch.setattr(client, "all_names", boom)
    refresher = NameIndexRefresher(client)
    assert await refresher.refresh() is False
    assert refresher.last_refresh_ok is False


async def test_concurrent_refreshes_are_serialised(client: PyPIClient, fake: FakePyPI) -> None:
    refresher = NameIndexRefresher(client)
    results = await asyncio.gather(*(refresher.refresh() for _ in range(3)))
    assert results == [True, False, False]
    assert sum(1 for _, path, _ in fake.requests if path == "/simple/") == 3
