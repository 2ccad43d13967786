"""PEP 541 name intelligence end to end: signed deliveries in, a fake PyPI (JSON and Simple
APIs) and the fake GitHub behind the bot, the maintainers' report and labels out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import markers
from tests.conftest import REPO, ROOT, payload
from tests.fake_pypi import FakePyPI
from tests.test_name_report import form

SIMILAR = "similar project name"


@pytest.fixture
async def pypi(aiohttp_server) -> FakePyPI:
    fake = FakePyPI()
    fake.add_project("FlaskPlus", releases={"0.1": ["2014-05-01T10:00:00Z"]})
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def bot(make_bot, pypi):
    bot = await make_bot(pypi_url=pypi.url)
    assert await bot.service.names.refresher.refresh()  # the index is loaded
    return bot


def request(name: str, number: int = 11, labels=({"name": "PEP 541"},)):
    return payload(
        "issues.opened.1",
        number=number,
        title=f"PEP 541 Request: {name}",
        body=form(f"`{name}`: https://pypi.org/project/{name}"),
        user="alice",
        labels=list(labels),
    )


def labels(github, number):
    return {label["name"] for label in github.issue(REPO, number)["labels"]}


def report_of(github, number):
    found = [
        c
        for c in github.comments(REPO, number)
        if markers.read(c["body"], "name-report") is not None
    ]
    assert len(found) <= 1, "one report per issue"
    return found[0]["body"] if found else None


def triaged(github, number) -> bool:
    return any(markers.read(c["body"], "triage") is not None for c in github.comments(REPO, number))


async def test_a_request_too_similar_to_an_existing_project(bot):
    await bot.deliver("issues", request("flask-plus"))
    await bot.settle()
    body = report_of(bot.github, 11)
    assert "no project named `flask-plus`" in body
    assert "[`FlaskPlus`]" in body and "/project/FlaskPlus/" in body
    assert labels(bot.github, 11) == {"PEP 541", SIMILAR}
    assert triaged(bot.github, 11)


async def test_a_project_released_three_months_ago_is_not_abandoned(bot, pypi):
    recent = (bot.github.now() - timedelta(days=91)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pypi.add_project(
        "widgets",
        releases={"1.0": ["2016-02-03T04:05:06Z"], "2.0": [recent]},
        project_urls={"Source": "https://github.com/owner/widgets"},
    )
    await bot.service.names.refresher.refresh()
    await bot.deliver("issues", request("widgets"))
    await bot.settle()
    body = report_of(bot.github, 11)
    assert "**not abandoned**" in body
    assert "(3 months ago)" in body
    assert "2 releases, latest `2.0`" in body
    assert "<https://github.com/owner/widgets>" in body
    assert SIMILAR not in labels(bot.github, 11)


async def test_pypi_unreachable_still_triages_and_says_so(make_bot, pypi):
    pypi.status = 503
    bot = await make_bot(pypi_url=pypi.url)
    assert not await bot.service.names.refresher.refresh()
    await bot.deliver("issues", request("widgets"))
    await bot.settle()
    body = report_of(bot.github, 11)
    assert "⚠️ not checked: PyPI could not be reached" in body
    assert "the list of PyPI projects is not loaded" in body
    assert triaged(bot.github, 11)
    assert "PEP 541" in labels(bot.github, 11)
    assert markers.read(body, "name-report")["incomplete"] is True

    # PyPI is back; the requester's next reply brings a complete report, in place.
    pypi.status = None
    await bot.service.names.refresher.refresh()
    (first,) = [c for c in bot.github.comments(REPO, 11) if c["body"] == body]
    bot.github.add_comment(REPO, 11, "Any news?", user="alice")
    reply = payload("issue_comment.created.1", number=11, user="alice")
    reply["issue"]["title"] = "PEP 541 Request: widgets"
    reply["issue"]["body"] = request("widgets")["issue"]["body"]
    reply["comment"]["body"] = "Any news?"
    reply["comment"]["user"]["login"] = "alice"
    await bot.deliver("issue_comment", reply, seed=False)
    await bot.settle()
    again = report_of(bot.github, 11)
    assert "not checked" not in again and "no project named `widgets`" in again
    assert [c["id"] for c in bot.github.comments(REPO, 11) if c["body"] == again] == [first["id"]]


async def test_an_outage_is_not_a_storm(make_bot, pypi):
    pypi.status = 503
    bot = await make_bot(pypi_url=pypi.url)
    for number in range(20, 32):
        await bot.deliver("issues", request(f"project{number}", number=number))
    await bot.settle()
    # The circuit breaker opens after a few failures; the rest fail fast, without a request.
    # (Lookups already on their way when it opens still reach PyPI: at most one per worker.)
    breaker = bot.service.names.client.breaker
    in_flight = bot.service.queue.concurrency - 1
    assert breaker.state == "open"
    assert breaker.failure_threshold <= len(pypi.requests) <= breaker.failure_threshold + in_flight
    assert all("not checked" in report_of(bot.github, n) for n in range(20, 32))
    before = len(pypi.requests)
    await bot.deliver("issues", request("project40", number=40))
    await bot.settle()
    assert len(pypi.requests) == before and "not checked" in report_of(bot.github, 40)


async def test_other_open_requests_for_the_same_name_are_linked(bot):
    github = bot.github
    github.add_issue(REPO, number=3, title="PEP 541 Request: Flask_Plus", labels=["PEP 541"])
    github.add_issue(REPO, number=4, title="PEP 541 Request: flaskplus", labels=["PEP 541"])
    github.add_issue(
        REPO, number=5, title="PEP 541 Request: flask.plus", labels=["PEP 541"], state="closed"
    )
    await bot.deliver("issues", request("flask-plus"))
    await bot.settle()
    assert "| Other requests | open: #3 |" in report_of(github, 11)


async def rename(bot, name: str, number: int = 11, by: str = "alice"):
    """`by` (alice, the requester, unless said) edits the request to ask for `name`."""
    await bot.edit(
        number,
        by=by,
        title=f"PEP 541 Request: {name}",
        body=form(f"`{name}`: https://pypi.org/project/{name}"),
    )


async def test_edits_update_the_report_in_place_and_nothing_new_writes_nothing(bot, pypi):
    github = bot.github
    await bot.deliver("issues", request("flask-plus"))
    await bot.settle()
    first = report_of(github, 11)

    writes = len(github.writes)
    await rename(bot, "flask-plus")  # a typo fixed elsewhere
    await bot.settle()
    assert [(w.method, w.path, w.json) for w in github.writes[writes:]] == []

    pypi.add_project("widgets", releases={"1.0": ["2016-02-03T04:05:06Z"]})
    await rename(bot, "widgets")
    await bot.settle()
    second = report_of(github, 11)
    assert second != first and "[`widgets`]" in second
    assert len(github.writes) == writes + 1  # one edit of the report


async def test_an_edit_by_a_team_member_asks_github_about_the_team_once(make_bot, pypi, tmp_path):
    # Triage and the name report both check that the editor may change the request.
    path = tmp_path / "rules.yaml"
    path.write_text(
        (ROOT / "rules.yaml")
        .read_text()
        .replace(
            "      minimum_role: triage\n",
            "      minimum_role: triage\n      teams: [pypi/helpers]\n",
        )
    )
    bot = await make_bot(rules_path=str(path), pypi_url=pypi.url)
    assert await bot.service.names.refresher.refresh()
    github = bot.github
    github.add_team_member("pypi", "helpers", "helper")
    await bot.deliver("issues", request("flask-plus"))
    await bot.settle()
    first = report_of(github, 11)
    asked = len(github.calls)
    pypi.add_project("widgets", releases={"1.0": ["2016-02-03T04:05:06Z"]})
    await rename(bot, "widgets", by="helper")
    await bot.settle()
    memberships = [c for c in github.calls[asked:] if "/teams/helpers/memberships/" in c.path]
    assert len(memberships) == 1
    assert report_of(github, 11) != first and "[`widgets`]" in report_of(github, 11)


async def test_a_maintainer_relabelling_an_issue_as_pep_541_gets_a_report(bot):
    github = bot.github
    data = payload(
        "issues.labeled.1",
        number=12,
        title="Can I have the flask-plus name?",
        body="Nobody uses https://pypi.org/project/flask-plus/ as far as I can see.",
        user="alice",
        labels=[{"name": "PEP 541"}],
    )
    data["label"] = {"name": "PEP 541", "color": "ededed"}
    data["sender"] = {**data["sender"], "login": "ewdurbin", "type": "User"}
    await bot.deliver("issues", data)
    await bot.settle()
    assert "[`FlaskPlus`]" in report_of(github, 12)


async def test_requests_of_other_kinds_get_no_report(bot):
    data = payload(
        "issues.opened.1",
        number=13,
        title="File Limit Request: flask-plus - 200 MiB",
        body="### Project URL\n\nhttps://pypi.org/project/flask-plus\n\n### New Limit\n\n200",
        user="alice",
    )
    await bot.deliver("issues", data)
    await bot.settle()
    assert report_of(bot.github, 13) is None
