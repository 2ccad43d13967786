"""Hostile strings through every path that writes to GitHub, black-box: issue titles and form
fields (the triage comment), what the package index says about a project (the PEP 541 name
report) and about an account's projects (the recovery note: roles, versions, ownership,
organizations, source URLs), a maintainer's command with a bad argument (the reply), an
author's login (the triage comment and the sweep's nudge). Every body the bot POSTs or
PATCHes to the fake GitHub must mention no one but the issue's author, hold no HTML comment
but the bot's markers, keep its tables whole and carry no URL credentials."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import markers
from bot.core.text import mention
from bot.runtime.sweep import sweep
from tests.conftest import REPO, payload
from tests.fake_pypi import FakePyPI, project_json
from tests.markdown_safety import problems
from tests.test_escape import HOSTILE
from tests.test_name_report import form

AWAITING = "status: awaiting response"
_DANGER = [
    *"@|`<>![]()*_~#\\-:/&;='\" \n",
    *"\u200b\u200d\u2060\ufeff\u00ad\u202a\u202e\u2066\u2069",
    *("<!--", "-->", "@org/team", "https://u:p@h/"),
]
_words = st.text(alphabet="abcdefghij-", min_size=1, max_size=8)
# (No lone surrogates here: GitHub cannot store them, nor can the fake send them back.)
hostile = st.one_of(
    st.sampled_from([h for h in HOSTILE if not any(0xD800 <= ord(c) < 0xE000 for c in h)]),
    st.lists(st.sampled_from([*_DANGER, "a", "b", "X", "0"]), max_size=25).map("".join),
    st.builds(
        lambda a, b: f"{a} @{b} <!-- {a} --> | `{b}` [{b}](https://{a}:{b}@evil.example/@{b})",
        _words,
        _words,
    ),
)
urls = st.builds(
    lambda a, b: f"https://{a}:{b}@evil.example/@{b}/<!--{a}-->|`x`",
    _words,
    hostile.map(lambda s: s.replace("/", "").replace("#", "").replace("?", "")),
)
# As the delivery gives the author; GitHub itself only has well-formed logins ("alice" then).
logins = st.sampled_from(["alice", "bob-1", "x @pypi/admins", "@org/team", "", "ali\u202ece"])
# Each with an argument it refuses (a typo gets a suggestion), so that a reply quotes it.
COMMANDS = ["close", "label", "unlabel", "assign", "snooze", "pep541", "clsoe"]


@pytest.fixture
async def pypi(aiohttp_server) -> FakePyPI:
    fake = FakePyPI()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def bot(make_bot, github, pypi):
    github.set_permission(REPO, "staff", "triage")
    for resource in ("core", "search"):  # one fake for every example: room for all their calls
        github.set_rate_limit(10**6, resource=resource, limit=10**6)
    pypi.set_names(["widgets", "flask-plus"])
    bot = await make_bot(pypi_url=pypi.url)
    assert await bot.service.names.refresher.refresh()
    return bot


def written_bodies(github, since: int) -> list[str]:
    return [
        w.json["body"]
        for w in github.writes[since:]
        if isinstance(w.json, dict) and isinstance(w.json.get("body"), str)
    ]


_numbers = itertools.count(100)
KINDS = {"triage", "name-report", "recovery-note", "command-reply", "nudge"}
RECOVERY_FORM = """### PyPI Username

hostile-user

### Reason for request

I lost my 2FA device. {field}
"""


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    login=logins,
    title=hostile,
    field=hostile,
    name=hostile,
    version=hostile,
    home=urls,
    source=urls,
    command=st.sampled_from(COMMANDS),
    argument=hostile,
    fill_username=st.booleans(),
)
async def test_hostile_text_never_reaches_github_live(
    bot, pypi, login, title, field, name, version, home, source, command, argument, fill_username
):
    github = bot.github
    start = len(github.writes)
    author = login if mention(login) else "alice"
    number, waiting, recovery = next(_numbers), next(_numbers), next(_numbers)

    # What the index says about the requested project.
    doc = project_json(
        "widgets",
        releases={"1.0": ["2016-02-03T04:05:06Z"]},
        home_page=home,
        project_urls={"Source": source},
    )
    doc["info"]["name"], doc["info"]["version"] = name, version
    pypi.projects["widgets"] = doc

    # A PEP 541 request with hostile text in its title and a field.
    body = form("`widgets`: https://pypi.org/project/widgets").replace(
        "The project has had no release since 2017 and its repository is archived.", field
    )
    if not fill_username:
        body = body.replace("`alice`: https://pypi.org/user/alice", "`USER_NAME`")
    github.add_issue(REPO, number=number, title=f"PEP 541 Request: {title}", body=body, user=author)
    data = payload("issues.opened.1", number=number, labels=[{"name": "PEP 541"}])
    data["issue"] = github.issue(REPO, number)
    data["issue"]["user"]["login"] = login
    data["sender"] = {**data["sender"], "login": login, "type": "User"}
    await bot.deliver("issues", data, seed=False)

    # A recovery request for an account whose projects say hostile things.
    pypi.add_user("hostile-user")
    doc = project_json(
        "widgets-two",
        releases={"1.0": ["2016-02-03T04:05:06Z"]},
        project_urls={"Source": source},
        roles=[(version, "hostile-user"), ("Owner", name)],
        organization=name,
    )
    doc["info"]["version"] = version
    pypi.projects["widgets-two"] = doc
    github.add_issue(
        REPO,
        number=recovery,
        title=f"Account recovery request {title}",
        body=RECOVERY_FORM.format(field=field),
        user=author,
    )
    data = payload("issues.opened.1", number=recovery, labels=[])
    data["issue"] = github.issue(REPO, recovery)
    data["issue"]["user"]["login"] = login
    data["sender"] = {**data["sender"], "login": login, "type": "User"}
    await bot.deliver("issues", data, seed=False)

    # A maintainer's command with a hostile argument.
    comment = github.add_comment(REPO, number, f"/{command} x{argument}", user="staff")
    data = payload("issue_comment.created.1")
    data["issue"], data["comment"] = github.issue(REPO, number), comment
    data["sender"] = {**data["sender"], "login": "staff", "type": "User"}
    await bot.deliver("issue_comment", data, seed=False)
    await bot.settle()

    # The sweep's nudge to an author who has not answered for 20 days.
    ago = github.now() - timedelta(days=20)
    github.add_issue(
        REPO,
        number=waiting,
        title=f"Account recovery request {title}",
        body=f"I lost my 2FA device. {field}",
        user=author,
        labels=["account-recovery", AWAITING],
        created_at=ago - timedelta(days=2),
    )
    github.add_comment(
        REPO, waiting, "We wrote.", user="staff", association="MEMBER", created_at=ago
    )
    github.add_event(REPO, waiting, "labeled", "staff", ago, label=AWAITING)
    service = bot.service
    await sweep(service, await service.github.api_for_repo(REPO), REPO)

    bodies = written_bodies(github, start)
    kinds = {kind for kind in KINDS for b in bodies if markers.read(b, kind) is not None}
    # "/assign xNAME" assigns when NAME is a well-formed login: nothing to reply then.
    assert kinds >= KINDS - ({"command-reply"} if command == "assign" else set()), kinds
    for written in bodies:
        assert problems(written, author=author) == [], written
    # Done: out of the next example's sweep.
    for n in (number, waiting, recovery):
        github._repo(REPO).issues[n].state = "closed"
