"""Hostile users and hostile upstreams (issue #14), black-box: signed and unsigned deliveries
in, a fake PyPI and the fake GitHub behind the bot, and what the bot answers, writes and logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys

import pytest

from bot.core import markers
from bot.runtime import logs
from bot.runtime.config import from_env
from tests.conftest import REPO, ROOT, headers_for, payload, run_bot, sign
from tests.fake_pypi import FakePyPI, project_json
from tests.markdown_safety import problems
from tests.test_name_report import form

NUMBER = 11


@pytest.fixture
async def pypi(aiohttp_server) -> FakePyPI:
    fake = FakePyPI()
    fake.add_project("FlaskPlus", releases={"0.1": ["2014-05-01T10:00:00Z"]})
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


def request(name: str, number: int = NUMBER, user: str = "alice"):
    return payload(
        "issues.opened.1",
        number=number,
        title=f"PEP 541 Request: {name}",
        body=form(f"`{name}`: https://pypi.org/project/{name}"),
        user=user,
        labels=[{"name": "PEP 541"}],
    )


def bodies_written(github) -> list[str]:
    """Every comment body the bot POSTed or PATCHed."""
    return [w.json["body"] for w in github.writes if isinstance(w.json, dict) and "body" in w.json]


def report_of(github, number: int = NUMBER) -> str:
    (body,) = [
        c["body"]
        for c in github.comments(REPO, number)
        if markers.read(c["body"], "name-report") is not None
    ]
    return body


# -- 9: what the index says is not markdown ------------------------------------------------


async def test_hostile_index_data_is_escaped_in_the_name_report(make_bot, pypi):
    doc = project_json(
        "widgets",
        releases={"1.0": ["2016-02-03T04:05:06Z"]},
        home_page="https://user:secret@evil.example/@pypi/admins|x",
        project_urls={"Source": "https://github.com/@org/team/<!--x-->"},
    )
    doc["info"]["name"] = "widgets @pypi/admins | <!-- hidden --> `x` [a](https://evil.example)"
    doc["info"]["version"] = "1.0 | @org/team <img src=x> \u202egnp.exe"
    pypi.projects["widgets"] = doc
    bot = await make_bot(pypi_url=pypi.url)
    await bot.deliver("issues", request("widgets"))
    await bot.settle()
    body = report_of(bot.github)
    assert problems(body, author="alice") == [], body
    assert "secret" not in body and "\u202e" not in body
    # The facts are still there to read, as text (no HTML comment opens in it, even raw).
    assert "widgets @\u200dpypi/admins \\| <!\u2011\u2011 hidden \u2011\u2011>" in body
    assert "latest `1.0 \\| @\u200dorg/team <img src=x> gnp.exe`" in body
    assert "<https://evil.example/%40pypi/admins%7Cx>" in body
    for written in bodies_written(bot.github):
        assert problems(written, author="alice") == [], written


async def test_a_command_reply_shows_hostile_text_inert(bot):
    github = bot.github
    github.add_issue(REPO, number=7, title="Please help", body="Hello", user="alice")
    github.set_permission(REPO, "staff", "triage")
    text = "/close \u202e@pypi/admins | <!-- x --> `y` [a](https://u:p@evil.example)\u200b"
    comment = github.add_comment(REPO, 7, text, user="staff")
    data = payload("issue_comment.created.1")
    data["issue"] = github.issue(REPO, 7)
    data["comment"] = comment
    data["sender"] = {**data["sender"], "login": "staff", "type": "User"}
    await bot.deliver("issue_comment", data, seed=False)
    await bot.settle()
    (reply,) = [b for b in bodies_written(github) if "/close" in b]
    assert problems(reply) == [], reply
    assert "\u202e" not in reply and "\u200b" not in reply and "u:p@" not in reply
    # (the parser drops the HTML comment from the command's text)
    assert "`/close @\u200dpypi/admins \\| 'y' [a](https://evil.example)`" in reply


# -- 10: nobody to address, nobody addressed -----------------------------------------------


@pytest.mark.parametrize("user", ["missing", None, {}, {"login": ""}])
async def test_a_delivery_without_an_author_addresses_the_author_github_shows(bot, user):
    # The bot reads the issue from GitHub: what the delivery says of its author is not used.
    bot.github.add_issue(
        REPO, number=NUMBER, title="PEP 541 Request: PROJECT_NAME", body=form(), user="alice"
    )
    data = request("PROJECT_NAME")
    if user == "missing":
        del data["issue"]["user"]
    else:
        data["issue"]["user"] = user
    await bot.deliver("issues", data, seed=False)
    await bot.settle()
    (triage,) = bodies_written(bot.github)
    assert "@," not in triage and "@ " not in triage
    assert triage.startswith("Hi @alice, thanks for your request."), triage
    assert problems(triage, author="alice") == [], triage


@pytest.mark.parametrize("author", ["", "x @pypi/admins"])
def test_an_author_that_is_not_a_login_gets_a_neutral_greeting(author):
    # GitHub always shows a valid author (a deleted account is "ghost"); should an answer
    # lack one, or hold something else, nobody is addressed.
    from bot.core.model import Issue, Snapshot
    from bot.core.rules import load_rules
    from bot.core.trigger import ISSUES, Trigger
    from bot.features.triage.decide import decide
    from tests.conftest import ROOT

    rules = load_rules(ROOT / "rules.yaml").for_repo(REPO)
    issue = Issue(REPO, NUMBER, title="PEP 541 Request: PROJECT_NAME", body=form(), author=author)
    plan = decide(Snapshot(issue), rules, trigger=Trigger(ISSUES, "opened"))
    (triage,) = [a.body for a in plan.actions if hasattr(a, "body")]
    assert triage.startswith("Hi, thanks for your request."), triage
    assert problems(triage) == [], triage


# -- 2, 3: no 500 for anyone --------------------------------------------------------------


async def raw_post(client, headers: list[bytes], body: bytes) -> int:
    """POST /webhook over a plain socket, header bytes as given; the status answered."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    head = [
        b"POST /webhook HTTP/1.1",
        b"Host: bot",
        b"Content-Type: application/json",
        b"Content-Length: " + str(len(body)).encode(),
        b"Connection: close",
        *headers,
    ]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status_line.split()[1])


GOOD = sign(b"{}")[7:]
HOSTILE_SIGNATURES = [
    "sha256=" + "é" * 64,
    "sha256=" + GOOD[:-1] + "é",
    "sha256=ü",
    "é",
    "sha256=" + GOOD.upper(),
    "sha256=" + GOOD + "00",
    "sha256=" + GOOD[:-2],
    "sha1=" + GOOD[:40],
    "sha256=\u202e" + GOOD,
]


@pytest.mark.parametrize("signature", HOSTILE_SIGNATURES)
async def test_a_hostile_signature_is_a_401_not_a_500(bot, signature):
    headers = headers_for("ping", b"{}")
    headers["X-Hub-Signature-256"] = signature
    response = await bot.client.post("/webhook", data=b"{}", headers=headers)
    assert response.status == 401, await response.text()


@pytest.mark.parametrize(
    "raw",
    [
        b"X-Hub-Signature-256: sha256=" + b"\xff" * 64,
        b"X-Hub-Signature-256: sha256=" + GOOD[:-1].encode() + b"\xe9",
        b"X-Hub-Signature-256: \xc3\xa9\xc3\xa9",
        b"X-Hub-Signature-256: sha256=" + GOOD.encode() + b"\x80",
    ],
)
async def test_non_ascii_signature_bytes_are_a_401_not_a_500(bot, raw):
    event = [b"X-GitHub-Event: ping", b"X-GitHub-Delivery: d-1"]
    assert await raw_post(bot.client, [*event, raw], b"{}") == 401


async def test_unverified_deliveries_with_non_ascii_headers_get_no_500(make_bot):
    bot = await make_bot(webhook_secret=None)  # dry-run without a secret: nothing verified
    for headers in (
        [b"X-GitHub-Event: \xff\xfe", b"X-GitHub-Delivery: d-2"],
        [b"X-GitHub-Event: issues", b"X-GitHub-Delivery: \xe9\x00x"],
        [b"X-GitHub-Event: \xc3\xa9", b"X-GitHub-Delivery: \xc3\xa9"],
    ):
        assert await raw_post(bot.client, headers, b'{"action": "opened"}') in (202, 400)
    await bot.settle()


@pytest.mark.parametrize("depth", [1_000, 5_000, 200_000])
@pytest.mark.parametrize("kind", ["array", "object"])
async def test_a_signed_deeply_nested_body_is_a_400(bot, depth, kind):
    if kind == "array":
        body = b"[" * depth + b"]" * depth
    else:
        body = b'{"issue": ' + b'{"a": ' * depth + b"1" + b"}" * (depth + 1)
    response = await bot.client.post("/webhook", data=body, headers=headers_for("issues", body))
    assert response.status == 400, await response.text()
    # An array is refused at its first byte; an object once the decoder gives up (~1,000).
    why = "must be a JSON object" if kind == "array" else "nested too deeply"
    assert why in (await response.json())["error"]
    # And the bot still works.
    ping = b'{"zen": "ok"}'
    response = await bot.client.post("/webhook", data=ping, headers=headers_for("ping", ping))
    assert response.status == 200


async def test_a_signed_body_nested_deeper_than_any_delivery_is_never_worked(bot, caplog):
    # Deep, but well within what the decoder follows: the receipt reads only the envelope and
    # acknowledges it; the worker refuses it before any feature reads it, with an error.
    bot.github.add_issue(REPO, number=12, title="x", body="", user="alice")
    data = payload("issues.opened.1", number=12, user="alice")
    deep: object = "x"
    for _ in range(200):
        deep = [deep]
    data["issue"]["title"] = deep
    body = json.dumps(data).encode()
    response = await bot.client.post("/webhook", data=body, headers=headers_for("issues", body))
    assert response.status == 202
    await bot.settle()
    assert bot.github.calls == []
    refused = [r for r in caplog.records if r.getMessage() == "delivery refused"]
    assert len(refused) == 1 and refused[0].levelname == "ERROR"
    assert "more than 64 levels" in refused[0].fields["error"]
    series = 'bot_deliveries_total{event="issues",outcome="refused"} 1.0'
    assert series in bot.service.metrics.render().decode()
    real = json.dumps(payload("issues.opened.1", number=13, user="alice")).encode()
    response = await bot.client.post("/webhook", data=real, headers=headers_for("issues", real))
    assert response.status == 202


# -- 4: credentials in URLs stay out of logs and comments ----------------------------------


@pytest.fixture
def json_logs():
    """The bot's JSON log lines, as the service writes them."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.setup(logging.DEBUG, stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def with_credentials(url: str) -> str:
    return url.replace("http://", "http://pypi-user:hunter2-password@")


async def test_pypi_url_credentials_are_used_but_never_shown(make_bot, pypi, json_logs):
    pypi.add_project("widgets", releases={"1.0": ["2016-02-03T04:05:06Z"]})
    bot = await make_bot(pypi_url=with_credentials(pypi.url))
    assert await bot.service.names.refresher.refresh()
    await bot.deliver("issues", request("widgets"))
    pypi.status = 503  # and a failing lookup, whose error names the URL
    await bot.deliver("issues", request("other-project", number=NUMBER + 1))
    await bot.service.names.refresher.refresh()
    await bot.settle()
    # The index was asked with the credentials ...
    assert all(h.get("Authorization", "").startswith("Basic ") for _, _, h in pypi.requests)
    # ... and they appear nowhere.
    report = report_of(bot.github)
    assert f"]({pypi.url}/project/widgets/)" in report
    for body in bodies_written(bot.github):
        assert "hunter2" not in body and "pypi-user" not in body, body
        assert problems(body, author="alice") == []
    text = json_logs.getvalue()
    assert "name index not refreshed" in text and pypi.url in text  # the URL was logged
    assert "hunter2" not in text and "pypi-user" not in text


def test_no_url_credentials_in_any_log_line(json_logs):
    log = logging.getLogger("bot.test")
    url = "https://ghe-user:hunter2-password@ghe.example/api/v3/repos/x/issues"
    log.warning("POST %s: timed out", url)
    logs.event(log, "github: failed", url=url, error=RuntimeError(url), calls=[{"url": url}])
    text = json_logs.getvalue()
    assert text.count("https://ghe.example/api/v3/repos/x/issues") == 4
    assert "hunter2" not in text and "ghe-user" not in text


def test_a_bad_url_with_credentials_is_named_without_them():
    result = run_bot(
        "serve",
        env={
            "GITHUB_API_URL": "ftp://ghe-user:hunter2-password@ghe.example/",
            "BOT_RULES": str(ROOT / "rules.yaml"),
        },
    )
    assert result.returncode == 1
    assert "GITHUB_API_URL must be an http(s) URL" in result.stderr
    assert "ftp://ghe.example" in result.stderr
    assert "hunter2" not in result.stderr and "ghe-user" not in result.stderr
    settings = from_env({"PYPI_URL": "https://u:hunter2-password@mirror.example/"})
    assert "hunter2" not in repr(settings) and "mirror.example" in repr(settings)


def test_the_start_up_line_shows_urls_without_credentials():
    env = {
        "PATH": "/usr/bin:/bin",
        "PORT": "0",
        "HOST": "127.0.0.1",
        "BOT_RULES": str(ROOT / "rules.yaml"),
        "GITHUB_API_URL": "http://ghe-user:hunter2-password@127.0.0.1:9/api/v3",
        "PYPI_URL": "http://pypi-user:hunter2-password@127.0.0.1:9/",
        "TEST_PYPI_URL": "http://pypi-user:hunter2-password@127.0.0.1:8/",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--dry-run"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while child.stderr is not None and (line := child.stderr.readline()):
            lines.append(line)
            if '"listening"' in line:
                break
    finally:
        child.terminate()
        child.wait(10)
    text = "".join(lines)
    assert '"api_url": "http://127.0.0.1:9/api/v3"' in text, text
    assert '"test_pypi_url": "http://127.0.0.1:8"' in text, text
    assert "hunter2" not in text and "ghe-user" not in text and "pypi-user" not in text


# -- 8: a large answer from the index neither stalls the service nor trips the breaker -----


def huge_document(name: str, mib: float) -> bytes:
    """A /pypi/NAME/json document of about `mib` MiB: releases of ten files each."""
    file = (
        b'{"filename": "f-1-py3-none-any.whl", "upload_time_iso_8601": "2016-02-03T04:05:06Z",'
        b' "size": 12345, "yanked": false, "digests": {"sha256": "' + b"0" * 64 + b'"}}'
    )
    release = b"[" + b", ".join([file] * 10) + b"]"
    count = int(mib * 2**20) // (len(release) + 12)
    releases = b", ".join(b'"0.%d": %s' % (i, release) for i in range(count))
    info = b'{"name": "%s", "version": "0.%d", "summary": "big"}' % (name.encode(), count - 1)
    return b'{"info": %s, "releases": {%s}, "urls": []}' % (info, releases)


async def slowest_ack(bot, work: asyncio.Future) -> float:
    """Keep delivering pings while `work` runs: the longest a ping could have waited for its
    acknowledgement (one round, the short pause between pings included), in seconds."""
    loop = asyncio.get_running_loop()
    ping = b'{"zen": "Keep it logically awesome."}'
    slowest = 0.0
    while not work.done():
        started = loop.time()
        response = await bot.client.post("/webhook", data=ping, headers=headers_for("ping", ping))
        assert response.status == 200
        await asyncio.sleep(0.005)
        slowest = max(slowest, loop.time() - started)
    await work
    return slowest


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_60_mib_project_document_is_refused_without_stalling_acks(make_bot, pypi, chunked):
    pypi.raw["widgets"] = huge_document("widgets", 60)
    pypi.chunked = chunked
    pypi.add_project("widgets", releases={"1.0": ["2016-02-03T04:05:06Z"]})  # listed
    del pypi.projects["widgets"]
    bot = await make_bot(pypi_url=pypi.url)
    assert await bot.service.names.refresher.refresh()
    await bot.deliver("issues", request("widgets"))
    slowest = await slowest_ack(bot, asyncio.ensure_future(bot.settle()))
    # Parsed on the event loop, 60 MiB held acknowledgements up for about 2.5 s. (The fake
    # PyPI shares the loop: sending the document costs it some 0.2 s of that itself.)
    assert slowest < 1.0, f"an acknowledgement waited {slowest:.2f}s"
    report = report_of(bot.github)
    assert "over 16 MiB, too large" in report and "no releases" not in report
    # The requester picked the project: that must not open the breaker for everyone else,
    # nor fetch the document again on each edit.
    for number in range(NUMBER + 1, NUMBER + 8):
        await bot.deliver("issues", request("widgets", number=number))
    await bot.settle()
    breaker = bot.service.names.client.breaker
    assert breaker.state == "closed" and breaker.failures == 0
    assert len([r for r in pypi.requests if r[1] == "/pypi/widgets/json"]) == 1


async def test_a_large_document_under_the_cap_is_parsed_off_the_event_loop(make_bot, pypi):
    pypi.raw["widgets"] = huge_document("widgets", 14)
    bot = await make_bot(pypi_url=pypi.url)
    await bot.deliver("issues", request("widgets"))
    slowest = await slowest_ack(bot, asyncio.ensure_future(bot.settle()))
    report = report_of(bot.github)
    assert "releases, latest `0." in report
    assert slowest < 1.0, f"an acknowledgement waited {slowest:.2f}s"
