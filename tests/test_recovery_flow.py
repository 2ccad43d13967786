"""Account recovery evidence end to end: signed deliveries in, a fake PyPI (profile pages,
the XML-RPC `user_packages`, the JSON API with its ownership) and the fake GitHub (the
repositories, organizations and their public members) behind the bot; the maintainers' note
and the triage comment out."""

from __future__ import annotations

import re

import pytest

from bot.core import markers
from tests.conftest import REPO, payload
from tests.fake_pypi import FakePyPI

AWAITING = "status: awaiting response"


def form(username: str, reason: str = "I lost the phone with my authenticator app.") -> str:
    return f"""### PyPI Username

{username}

### Reason for request

{reason}

### Recovery Codes

- [x] I never generated or have lost access to the recovery codes

### Code of Conduct

- [x] I agree to follow the PSF Code of Conduct
"""


def request(username: str, number: int = 21, *, user: str = "alice", reason: str | None = None):
    body = form(username) if reason is None else form(username, reason)
    return payload(
        "issues.opened.1",
        number=number,
        title="Account recovery request",
        body=body,
        user=user,
        labels=[],
    )


async def serve(aiohttp_server) -> FakePyPI:
    fake = FakePyPI()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def pypi(aiohttp_server) -> FakePyPI:
    fake = await serve(aiohttp_server)
    fake.add_user("alice-py")
    owner = [("Owner", "alice-py")]
    fake.add_project(
        "alpha",
        releases={"1.0": ["2025-11-02T10:00:00Z"]},
        project_urls={"Source": "https://github.com/alice/alpha"},
        roles=owner,
    )
    fake.add_project(
        "beta",
        releases={"0.3": ["2024-05-01T10:00:00Z"]},
        project_urls={"Repository": "https://github.com/acme/beta"},
        roles=[("Maintainer", "alice-py"), ("Owner", "carol")],
        organization="acme",
    )
    fake.add_project(
        "gamma",
        releases={"2.1": ["2025-06-01T10:00:00Z"]},
        home_page="https://github.com/bob/gamma",
        roles=owner,
    )
    return fake


@pytest.fixture
async def test_pypi(aiohttp_server) -> FakePyPI:
    return await serve(aiohttp_server)


@pytest.fixture
async def bot(make_bot, github, pypi, test_pypi):
    github.add_repo("alice/alpha")
    github.add_org("acme", public_members=["alice"])
    github.add_repo("acme/beta")
    github.add_repo("bob/gamma")
    return await make_bot(pypi_url=pypi.url, test_pypi_url=test_pypi.url)


def bot_comments(github, number: int, kind: str) -> list[dict]:
    return [c for c in github.comments(REPO, number) if markers.read(c["body"], kind) is not None]


def note_of(github, number: int) -> str | None:
    found = bot_comments(github, number, "recovery-note")
    assert len(found) <= 1, "one note per issue"
    return found[0]["body"] if found else None


def triage_of(github, number: int) -> str:
    (comment,) = bot_comments(github, number, "triage")
    return comment["body"]


def labels(github, number: int) -> set[str]:
    return {label["name"] for label in github.issue(REPO, number)["labels"]}


def row(note: str, project: str) -> str:
    (line,) = [x for x in note.splitlines() if x.startswith(f"| [`{project}`]")]
    return line


async def test_the_note_names_the_project_to_verify_through(bot):
    await bot.deliver("issues", request("alice-py"))
    await bot.settle()
    note = note_of(bot.github, 21)
    assert note.startswith("<details>\n<summary>")  # collapsed
    assert note.rstrip().splitlines()[-3:-1] == ["</details>", ""]  # then the marker
    last = note.split("</details>")[0].rstrip().splitlines()[-1]
    assert last == (
        "**Suggested verification project:** `alpha` → github.com/alice/alpha "
        "(owned by the requester)"
    )
    assert "[`alice-py`](" in note and "/user/alice-py/" in note
    # Most recently released first; each repository judged against the requester.
    projects = re.findall(r"^\| \[`(\w+)`\]", note, re.MULTILINE)
    assert projects == ["alpha", "gamma", "beta"]
    assert "✅ **owns** github.com/alice/alpha" in row(note, "alpha")
    assert "✅ **public member** of `acme`, which owns github.com/acme/beta" in row(note, "beta")
    assert "lists `alice-py` (Maintainer); PyPI organization `acme`" in row(note, "beta")
    gamma = row(note, "gamma")
    assert "✅" not in gamma and "github.com/bob/gamma is `bob`'s" in gamma
    assert markers.read(note, "recovery-note") == {"account": "alice-py"}
    assert "@" not in note.replace("@\u200d", "")  # nobody mentioned, no address

    comment = triage_of(bot.github, 21)
    assert "Here is what happens next" in comment and "waiting period of 7 days" not in comment
    assert labels(bot.github, 21) == {"account-recovery"}


async def test_an_unknown_username_is_asked_to_be_checked_then_fixed(bot):
    github = bot.github
    await bot.deliver("issues", request("alice-pyy"))
    await bot.settle()
    comment = triage_of(github, 21)
    assert "PyPI has no account named `alice-pyy`" in comment and "check it" in comment
    assert AWAITING in labels(github, 21)
    note = note_of(github, 21)
    assert "has **no account** with this username" in note and "| Project |" not in note

    # She fixes the typo: the comment says it is complete, the wait ends, the note is redone.
    writes = len(github.writes)
    await bot.edit(21, by="alice", body=form("alice-py"))
    await bot.settle()
    comment = triage_of(github, 21)
    assert "no account named" not in comment and "Here is what happens next" in comment
    assert AWAITING not in labels(github, 21)
    assert "Suggested verification project:** `alpha`" in note_of(github, 21)
    assert not [w for w in github.writes[writes:] if w.method == "POST" and "comments" in w.path]


async def test_with_pypi_down_triage_goes_on_and_the_note_is_completed_later(bot, pypi):
    github = bot.github
    pypi.status = 503
    await bot.deliver("issues", request("alice-py"))
    await bot.settle()
    assert len(pypi.requests) == 1  # triage and the note share one answer, a failure too
    comment = triage_of(github, 21)
    assert "Here is what happens next" in comment and "no account" not in comment
    assert labels(github, 21) == {"account-recovery"}
    note = note_of(github, 21)
    assert "⚠️ not checked: PyPI could not be reached" in note
    assert markers.read(note, "recovery-note")["incomplete"] is True
    (first,) = bot_comments(github, 21, "recovery-note")

    # A redelivery while PyPI is still down changes nothing.
    writes = len(github.writes)
    await bot.deliver("issues", request("alice-py"), seed=False)
    await bot.settle()
    assert github.writes[writes:] == []

    # PyPI is back; the requester's next reply completes the note, in place.
    pypi.status = None
    bot.service.accounts.clients[False].breaker.record_success()
    await bot.comment(21, "Any news?", by="alice")
    await bot.settle()
    note = note_of(github, 21)
    assert "not checked" not in note and "Suggested verification project:** `alpha`" in note
    assert [c["id"] for c in bot_comments(github, 21, "recovery-note")] == [first["id"]]

    # Complete now: further replies and redeliveries look nothing up and write nothing.
    asked, writes = len(pypi.requests), len(github.writes)
    await bot.comment(21, "Thanks!", by="alice")
    await bot.deliver("issues", request("alice-py"), seed=False)
    await bot.settle()
    assert len(pypi.requests) == asked and github.writes[writes:] == []


async def test_an_account_without_repositories_gets_the_email_only_path(bot, pypi):
    pypi.add_user("quiet")
    pypi.add_project(
        "quiet-lib", releases={"0.1": ["2021-01-01T00:00:00Z"]}, roles=[("Owner", "quiet")]
    )
    await bot.deliver("issues", request("quiet"))
    await bot.settle()
    comment = triage_of(bot.github, 21)
    assert "None of this account's projects links a public source repository" in comment
    assert "waiting period of 7 days" in comment
    note = note_of(bot.github, 21)
    assert "none listed" in row(note, "quiet-lib")
    assert "**No verification project qualifies:**" in note


async def test_a_testpypi_request_is_looked_up_on_testpypi(bot, pypi, test_pypi):
    test_pypi.add_user("alice-py")
    reason = "I lost my 2FA device for my TestPyPI account."
    await bot.deliver("issues", request("alice-py", reason=reason))
    await bot.settle()
    assert "test pypi issue" in labels(bot.github, 21)
    note = note_of(bot.github, 21)
    assert "**TestPyPI account [`alice-py`](" in note and test_pypi.url + "/user/" in note
    assert "with a role on **no project**" in note
    assert markers.read(note, "recovery-note") == {"account": "test:alice-py"}
    assert not any(path.startswith("/user/") for _, path, _ in pypi.requests)


async def test_github_failing_leaves_the_note_incomplete_without_a_storm(bot):
    github = bot.github
    github.inject("GET", r"^/repos/alice/alpha$", status=502, times=None)
    await bot.deliver("issues", request("alice-py"))
    await bot.settle()
    note = note_of(github, 21)
    assert "⚠️ not checked: GitHub could not be reached" in row(note, "alpha")
    # One repository failed; the others were not asked (each would wait out its retries).
    assert "not asked: GitHub failed on an earlier lookup" in row(note, "beta")
    asked = [c.path for c in github.calls if c.path.startswith(("/repos/acme", "/repos/bob"))]
    assert asked == []
    assert markers.read(note, "recovery-note")["incomplete"] is True

    github.clear_faults()
    await bot.comment(21, "Still waiting", by="alice")
    await bot.settle()
    assert "Suggested verification project:** `alpha`" in note_of(github, 21)


async def test_the_lookups_are_bounded(bot, pypi, github):
    pypi.add_user("prolific")
    for n in range(15):
        pypi.add_project(
            f"lib{n:02}",
            releases={"1.0": [f"2020-01-{n + 1:02}T00:00:00Z"]},
            project_urls={"Source": f"https://github.com/someone/lib{n:02}"},
            roles=[("Owner", "prolific")],
        )
    await bot.deliver("issues", request("prolific"))
    await bot.settle()
    documents = [path for _, path, _ in pypi.requests if path.endswith("/json")]
    assert len(documents) == 10  # recovery_evidence.max_projects
    repos = [c.path for c in github.calls if c.path.startswith("/repos/someone/")]
    assert len(repos) == 10
    note = note_of(github, 21)
    assert "with a role on 15 projects; the first 10 as PyPI lists them" in note
    assert "Not looked up: `lib10`, `lib11`, `lib12`, `lib13`, `lib14`." in note


async def test_an_outage_opens_the_breaker(make_bot, pypi):
    pypi.status = 503
    bot = await make_bot(pypi_url=pypi.url)
    for number in range(30, 42):
        await bot.deliver("issues", request(f"user{number}", number=number))
    await bot.settle()
    breaker = bot.service.accounts.clients[False].breaker
    in_flight = bot.service.queue.concurrency - 1
    assert breaker.state == "open"
    assert len(pypi.requests) <= breaker.failure_threshold + in_flight
    for number in range(30, 42):
        assert "not checked: PyPI could not be reached" in note_of(bot.github, number)
        assert "Here is what happens next" in triage_of(bot.github, number)


@pytest.mark.parametrize(
    "refused",
    [
        r"/issues/21/comments$",  # the triage comment itself (refused: nothing was made)
        r"/issues/21/labels$",  # its label, which comes first in triage's step
    ],
)
async def test_when_the_first_comment_fails_the_note_waits_for_the_catch_up(bot, refused):
    from tests.test_resilience import sweep_as_serve_does

    github = bot.github
    github.inject("POST", refused, status=403, times=1)
    await bot.deliver("issues", request("alice-py"))
    await bot.settle()
    assert github.comments(REPO, 21) == []  # no note alone, hiding the missing answer

    github.advance(minutes=11)
    report = await sweep_as_serve_does(bot)
    assert report.caught_up == [21]
    assert "Here is what happens next" in triage_of(github, 21)
    assert "Suggested verification project:** `alpha`" in note_of(github, 21)
