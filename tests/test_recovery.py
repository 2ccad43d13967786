"""Account recovery evidence, piece by piece: the PyPI client's account methods against the
fake PyPI (and answers PyPI never sends), the account service's cache, the pure facts
(ownership, GitHub URLs, repositories, what triage is told), the note's text with hostile
data, and the rules keys."""

from __future__ import annotations

import xmlrpc.client
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.adapters.account_lookup import AccountLookup
from bot.adapters.pypi import CircuitBreaker, PyPIClient, PyPITooLarge, PyPIUnavailable
from bot.core.pypi import ProjectFacts
from bot.core.recovery import (
    EMAIL_ONLY,
    FOUND,
    UNKNOWN,
    Account,
    ProjectEvidence,
    RepoFacts,
    github_repository,
)
from bot.core.rules import RulesError, parse_rules
from bot.features.recovery.decide import Findings, Repository, render
from tests.fake_pypi import FakePyPI, project_json
from tests.markdown_safety import problems
from tests.test_escape import HOSTILE
from tests.test_rules import MINIMAL

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def fake(aiohttp_server) -> FakePyPI:
    fake = FakePyPI()
    fake.add_user("Alice-Py")
    fake.add_project(
        "alpha",
        releases={"1.0": ["2025-01-01T00:00:00Z"]},
        roles=[("Maintainer", "alice-py"), ("Owner", "carol")],
    )
    fake.add_project(
        "Zeta", releases={"1.0": ["2020-01-01T00:00:00Z"]}, roles=[("Owner", "alice-py")]
    )
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def client(fake):
    async with aiohttp.ClientSession() as session:
        yield PyPIClient(session, fake.url, timeout=2.0, breaker=CircuitBreaker(3, 30))


async def test_an_account_exists_in_any_case_and_is_told_in_its_own(client, fake):
    assert await client.user_exists("Alice-Py") == (True, None)
    assert await client.user_exists("alice-py") == (True, "Alice-Py")  # a redirect, not read
    assert await client.user_exists("alice-pyy") == (False, None)
    seen = len(fake.requests)
    assert await client.user_exists("../admin") == (False, None)
    assert await client.user_exists("a" * 51) == (False, None)
    assert len(fake.requests) == seen  # never put in a URL
    assert client.breaker.failures == 0


async def test_user_packages_as_warehouse_orders_them(client, fake):
    assert await client.user_packages("alice-py") == [("Owner", "Zeta"), ("Maintainer", "alpha")]
    assert await client.user_packages("nobody") == []
    method, path, headers = fake.requests[-1]
    assert (method, path, headers["Content-Type"]) == ("POST", "/pypi", "text/xml")


def rpc(value) -> bytes:
    return xmlrpc.client.dumps((value,), methodresponse=True).encode()


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # Entries of the wrong shape or with names no project can have are dropped.
        (
            rpc(
                [
                    ["Owner", "ok-name"],
                    ["Owner"],
                    "Owner",
                    [1, "x"],
                    ["Owner", "../etc/passwd"],
                    ["Owner", "a b"],
                    ["  ", "blank-role"],
                    ["Owner <b>@admins</b> | `x`", "hostile-role"],
                    {"role": "Owner"},
                ]
            ),
            [("Owner", "ok-name"), ("Owner <b>@admins</b> | `x`", "hostile-role")],
        ),
        (rpc([]), []),
    ],
)
async def test_user_packages_keeps_only_well_formed_entries(client, fake, answer, expected):
    fake.rpc_raw = answer
    assert await client.user_packages("alice-py") == expected


@pytest.mark.parametrize(
    "answer",
    [
        xmlrpc.client.dumps(
            xmlrpc.client.Fault(-32500, "HTTPTooManyRequests"), methodresponse=True
        ).encode(),
        rpc({"not": "a list"}),
        b"<html>oops",
        b"<?xml version='1.0'?><methodResponse><params><param><value><int>x</int></value>"
        b"</param></params></methodResponse>",
        # A billion laughs: refused for its document type, before expat sees it.
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<methodResponse><params><param><value><string>&b;</string></value></param>"
        b"</params></methodResponse>",
        b"",
    ],
)
async def test_a_broken_listing_is_unavailable(client, fake, answer):
    fake.rpc_raw = answer
    with pytest.raises(PyPIUnavailable, match="bad XML-RPC answer"):
        await client.user_packages("alice-py")


async def test_the_listing_is_capped_and_parsed_off_the_loop_when_large(fake):
    entries = [["Owner", f"project-{n}"] for n in range(3000)]  # about 200 KB
    fake.rpc_raw = rpc(entries)
    async with aiohttp.ClientSession() as session:
        client = PyPIClient(session, fake.url)
        assert len(await client.user_packages("alice-py")) == 3000
        small = PyPIClient(session, fake.url, max_rpc_bytes=10_000)
        with pytest.raises(PyPITooLarge):
            await small.user_packages("alice-py")
        assert small.breaker.failures == 0  # PyPI answered


async def test_profile_and_listing_failures_are_unavailable(client, fake):
    fake.status = 503
    with pytest.raises(PyPIUnavailable, match="503"):
        await client.user_exists("alice-py")
    with pytest.raises(PyPIUnavailable, match="503"):
        await client.user_packages("alice-py")
    assert client.breaker.failures == 2


async def test_the_service_asks_once_and_says_what_it_could_not_check(fake):
    async with aiohttp.ClientSession() as session:
        accounts = AccountLookup(PyPIClient(session, fake.url), None)
        first = await accounts.account("alice-py", test=False, limit=1)
        asked = len(fake.requests)
        again = await accounts.account("ALICE-PY", test=False, limit=1)
        assert again.projects == first.projects and len(fake.requests) == asked  # cached
        assert again.canonical == "Alice-Py"
        assert first.canonical == "Alice-Py" and first.total == 2
        assert [p.name for p in first.projects] == ["Zeta"] and first.others == ("alpha",)
        assert first.status is None  # one project was not looked up

        fake.status = 503
        down = await accounts.account("somebody", test=False, limit=5)
        assert down.exists is None and down.error == "PyPI could not be reached"
        assert down.incomplete and down.status is None
        testpypi = await accounts.account("alice-py", test=True, limit=5)
        assert testpypi.error == "TestPyPI is not configured"


async def test_a_huge_listing_is_said_too_large_and_a_long_one_is_kept_short(fake):
    fake.rpc_raw = rpc([["Owner", f"project-{n}"] for n in range(3000)])
    async with aiohttp.ClientSession() as session:
        small = AccountLookup(PyPIClient(session, fake.url, max_rpc_bytes=10_000), None)
        account = await small.account("alice-py", test=False, limit=5)
        assert account.exists and account.projects is None
        assert account.error.startswith("its list of projects is over")
        assert account.error.endswith("too large")
        accounts = AccountLookup(PyPIClient(session, fake.url), None)
        account = await accounts.account("alice-py", test=False, limit=5)
        assert account.total == 3000 and len(account.projects) == 5 and len(account.others) == 20
        ((total, head),) = accounts._roles.values()
        assert total == 3000 and len(head) == 50  # what is cached stays small


def test_ownership_from_odd_json():
    def facts(ownership) -> ProjectFacts:
        doc = project_json("x", releases={"1": ["2020-01-01T00:00:00Z"]})
        doc["ownership"] = ownership
        return ProjectFacts.from_json(doc)

    assert facts(None).roles is None
    assert facts([]).roles is None
    assert facts({"roles": "Owner"}).roles is None
    odd = facts(
        {
            "roles": [{"role": "Owner", "user": "a"}, {"role": 1, "user": "b"}, "c", {"user": ""}],
            "organization": ["acme"],
        }
    )
    assert odd.roles == (("Owner", "a"),) and odd.organization is None
    assert facts({"roles": [], "organization": "acme"}).organization == "acme"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/alice/alpha", ("alice", "alpha")),
        ("https://www.github.com/alice/alpha.git", ("alice", "alpha")),
        ("http://github.com/Alice/alpha/tree/main/src", ("Alice", "alpha")),
        ("https://github.com/alice", None),
        ("https://github.com/orgs/acme/people", None),
        ("https://github.com/-bad/x", None),
        ("https://gitlab.com/alice/alpha", None),
        ("https://github.com.evil.example/alice/alpha", None),
        ("ftp://github.com/alice/alpha", None),
        ("https://[::1/alice", None),
        (None, None),
    ],
)
def test_github_repository_urls(url, expected):
    assert github_repository(url) == expected


def test_repository_facts_from_odd_answers():
    good = {"full_name": "acme/beta", "owner": {"login": "acme", "type": "Organization"}}
    assert RepoFacts.from_api(good) == RepoFacts("acme/beta", "acme", "Organization")
    assert RepoFacts.from_api({**good, "archived": "yes"}).archived is False
    assert RepoFacts.from_api({**good, "owner": {"login": "x y"}}) is None
    assert RepoFacts.from_api({"full_name": "a/b", "owner": "a"}) is None
    assert RepoFacts.from_api([good]) is None


def project(
    name: str, source: str | None = None, last: str | None = "2025-01-01"
) -> ProjectEvidence:
    doc = project_json(
        name,
        releases={"1.0": [f"{last}T00:00:00Z"]} if last else {},
        project_urls={"Source": source} if source else None,
        roles=[("Owner", "alice-py")],
    )
    return ProjectEvidence(name, "Owner", ProjectFacts.from_json(doc))


def test_what_triage_is_told_of_an_account():
    assert Account("x", exists=False).status == UNKNOWN
    assert Account("x", error="down").status is None
    assert Account("x", exists=True, projects=None, error="down").status is None
    assert Account("x", exists=True, projects=()).status == EMAIL_ONLY
    linked = project("a", "https://codeberg.org/x/a")
    assert Account("x", exists=True, projects=(linked,)).status == FOUND
    bare = project("b")
    assert Account("x", exists=True, projects=(bare,)).status == EMAIL_ONLY
    unchecked = ProjectEvidence("c", "Owner", None, "PyPI could not be reached")
    assert Account("x", exists=True, projects=(bare, unchecked)).status is None
    assert Account("x", exists=True, projects=(bare,), others=("d",)).status is None


def test_an_archived_repository_is_not_suggested_and_membership_is_second_best():
    account = Account(
        "alice-py",
        exists=True,
        projects=(
            project("old", "https://github.com/alice/old", "2025-06-01"),
            project("team", "https://github.com/acme/team", "2024-01-01"),
        ),
        total=2,
    )
    repos = {
        ("alice", "old"): Repository(
            "alice", "old", RepoFacts("alice/old", "alice", "User", archived=True)
        ),
        ("acme", "team"): Repository(
            "acme", "team", RepoFacts("acme/team", "acme", "Organization"), member=True
        ),
    }
    text, state = render(Findings(account, "alice", "https://pypi.org", repos), NOW)
    assert "✅ **owns** github.com/alice/old (archived)" in text
    assert (
        text.split("</details>")[0]
        .rstrip()
        .endswith("`team` → github.com/acme/team (the requester is a public member of `acme`)")
    )
    assert state == {"account": "alice-py"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_facts_from_the_index_and_github_stay_text(hostile):
    doc = project_json(
        "alpha",
        releases={"1.0": ["2025-01-01T00:00:00Z"]},
        project_urls={"Source": f"https://u:p@github.com/alice/alpha?{hostile}"},
        roles=[("Owner", "alice-py"), (hostile, "alice-py")],
        organization=hostile,
        version=hostile,
    )
    doc["info"]["version"] = hostile
    facts = ProjectFacts.from_json(doc)
    account = Account(
        "alice-py",
        exists=True,
        canonical="alice-py",
        projects=(ProjectEvidence("alpha", hostile, facts),),
        total=3,
        others=("beta", "gamma"),
    )
    repos = {
        ("alice", "alpha"): Repository(
            "alice",
            "alpha",
            RepoFacts("alice/alpha" + hostile[:20], "bob", "Organization"),
            member_error=hostile,
        )
    }
    text, _ = render(Findings(account, "alice", "https://u:p@pypi.org", repos), NOW)
    assert problems(text, author=None) == [], text
    assert "u:p@" not in text


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("    recovery_evidence: {max_projects: 31}\n", "max_projects: at most 30"),
        ("    recovery_evidence: {max_projects: 0}\n", "max_projects: must be at least 1"),
        ("    recovery_evidence: {unknown_username: 'no {user}'}\n", "unknown placeholder"),
        (
            "    recovery_evidence: {enabled: true, category: nowhere}\n",
            "names category 'nowhere'",
        ),
        (
            "    recovery_evidence: {enabled: true, category: pep-541, test_pypi_label: x}\n",
            "uses label 'x'",
        ),
        (
            "    recovery_evidence: {enabled: true, category: pep-541, email_only_reply: x}\n",
            "uses reply 'x'",
        ),
    ],
)
def test_the_rules_keys_are_checked(addition, message):
    with pytest.raises(RulesError) as caught:
        parse_rules(MINIMAL + addition, "rules.yaml")
    assert any(message in line for line in caught.value.lines()), caught.value.lines()
