"""`bot demo`: the service at work, in a few seconds, with nothing to set up.

The real service (`make_app(Service(...))`, in dry-run) listens on a free loopback port and
gets a few signed deliveries over HTTP, as GitHub sends them: a complete PEP 541 request, an
incomplete one, a maintainer's `/label`, and a comment no feature acts on. Each is verified,
queued and worked as in `serve`; what the bot would write is read from its "dry-run: would
write" log lines and printed as sentences. GitHub and PyPI are played offline
(bot.adapters.offline), so nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import textwrap
import urllib.parse
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.adapters.offline import OfflineGitHub, OfflineNames
from bot.core import markers
from bot.core.rules import RepoRules, Rules
from bot.runtime.config import Settings, one_repository
from bot.runtime.logs import JsonFormatter
from bot.runtime.server import bound_port, listen
from bot.runtime.service import Service
from bot.runtime.webhook import make_app

# The requested project as PyPI's JSON API shows it (a made-up one: no release since 2018),
# and a name that PyPI would call too similar to another request's.
PROJECT = "tinyframe"
SNAPSHOT = [
    {
        "info": {
            "name": "tinyframe",
            "version": "0.4.1",
            "summary": "A very small data frame",
            "home_page": "https://github.com/oldowner/tinyframe",
            "project_urls": {"Source": "https://github.com/oldowner/tinyframe"},
        },
        "releases": {
            "0.4.0": [{"filename": "tinyframe-0.4.0.tar.gz", "upload_time": "2017-05-02T10:00:00"}],
            "0.4.1": [{"filename": "tinyframe-0.4.1.tar.gz", "upload_time": "2018-03-02T10:00:00"}],
        },
    }
]
OTHER_NAMES = ["tiny-frame", "requests", "numpy", "flask"]

COMPLETE_PEP541 = f"""### Project to be claimed

`{PROJECT}`: https://pypi.org/project/{PROJECT}

### Your PyPI username

`alice`: https://pypi.org/user/alice

### Reasons for the request

The project has had no release since 2018 and its repository is archived. I maintain the
fork that its users moved to.

### Maintenance or replacement?

Maintenance

### Source code repositories URLs

https://github.com/alice/{PROJECT}

### Contact and additional research

I emailed the owner twice in March and opened an issue on the repository; no answer.

### Code of Conduct

- [x] I agree to follow the PSF Code of Conduct
"""

INCOMPLETE_PEP541 = """### Project to be claimed

`PROJECT_NAME`: https://pypi.org/project/PROJECT_NAME

### Your PyPI username

`USER_NAME`: https://pypi.org/user/USER_NAME

### Reasons for the request

_No response_

### Maintenance or replacement?

Replacement

### Source code repositories URLs

https://example.org/bob/widgets

### Contact and additional research

_No response_

### Code of Conduct

- [x] I agree to follow the PSF Code of Conduct
"""


@dataclass
class Step:
    story: str  # what happens on GitHub, as the operator reads it
    event: str
    payload: dict[str, Any]
    delivery: str = ""  # its X-GitHub-Delivery, once sent


class _Capture(logging.Handler):
    """Keeps the service's log records, to tell per delivery what the bot did."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self, delivery_id: str) -> list[logging.LogRecord]:
        mine = [r for r in self.records if _fields(r).get("delivery_id") == delivery_id]
        self.records = [r for r in self.records if r not in mine]
        return mine


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return getattr(record, "fields", {}) or {}


def _repository(name: str) -> dict[str, Any]:
    owner, _, short = name.partition("/")
    return {"id": 1, "name": short, "full_name": name, "owner": {"login": owner, "type": "User"}}


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": zlib.crc32(login.encode()), "type": "User"}


def _issue(number: int, title: str, body: str, login: str, now: datetime) -> dict[str, Any]:
    created = (now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "number": number,
        "title": title,
        "body": body,
        "user": _user(login),
        "labels": [],
        "assignees": [],
        "state": "open",
        "state_reason": None,
        "locked": False,
        "comments": 0,
        "author_association": "NONE",
        "created_at": created,
        "updated_at": created,
    }


def _steps(repo: str, rules: RepoRules, github: OfflineGitHub, now: datetime) -> list[Step]:
    """The deliveries, each with what GitHub holds by the time it sends it."""
    complete = _issue(1, f"PEP 541 Request: {PROJECT}", COMPLETE_PEP541, "alice", now)
    incomplete = _issue(2, "PEP 541 Request: PROJECT_NAME", INCOMPLETE_PEP541, "bob", now)
    for issue in (complete, incomplete):
        github.add_issue(repo, issue)
    label = "urgent" if "urgent" in rules.labels else rules.labels[0]
    written = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def comment(number: int, login: str, association: str, body: str) -> dict[str, Any]:
        made = github.add_comment(
            repo,
            number,
            {
                "body": body,
                "user": _user(login),
                "author_association": association,
                "created_at": written,
                "updated_at": written,
            },
        )
        issue = github.issues[(repo.lower(), number)]
        return {"action": "created", "issue": issue, "comment": made}

    def opened(issue: dict[str, Any]) -> dict[str, Any]:
        return {"action": "opened", "issue": issue}

    quoted = f'"{label}"' if " " in label else label
    steps = [
        Step(
            f"alice opens issue #1, a complete PEP 541 request for {PROJECT!r}",
            "issues",
            {**opened(complete), "sender": _user("alice")},
        ),
        Step(
            "bob opens issue #2, a PEP 541 request with the form's placeholders left in",
            "issues",
            {**opened(incomplete), "sender": _user("bob")},
        ),
        Step(
            f"carol, a member of the organization, comments `/label {quoted}` on #2",
            "issue_comment",
            {**comment(2, "carol", "MEMBER", f"/label {quoted}"), "sender": _user("carol")},
        ),
        Step(
            "dave, a passer-by, comments `any news?` on #1",
            "issue_comment",
            {**comment(1, "dave", "NONE", "any news?"), "sender": _user("dave")},
        ),
    ]
    for step in steps:
        step.payload["repository"] = _repository(repo)
    return steps


_REACTIONS = {"+1": "👍", "confused": "😕", "eyes": "👀", "-1": "👎"}


def describe_write(method: str, path: str, body: Any) -> list[str]:
    """One dry-run write as sentences (the first line says what, the others quote a text)."""
    body = body if isinstance(body, dict) else {}
    tail = path.rsplit("/", 2)
    if path.endswith("/reactions"):
        on = "the comment" if "/comments/" in path else "the issue"
        content = str(body.get("content"))
        return [f"react {_REACTIONS.get(content, content)} to {on}"]
    if path.endswith("/labels") and method == "POST":
        return ["add the labels: " + ", ".join(map(str, body.get("labels", [])))]
    if tail[-2] == "labels" and method == "DELETE":
        return [f"remove the label {urllib.parse.unquote(tail[-1])!r}"]
    if path.endswith("/assignees"):
        who = ", ".join("@" + str(u) for u in body.get("assignees", []))
        return [f"{'assign' if method == 'POST' else 'unassign'} {who}"]
    if "body" in body:
        text = str(body["body"]).rstrip().splitlines()
        marker = markers.trailing(str(body["body"]))
        if marker:
            text = text[:-1]
            while text and not text[-1].strip():
                text.pop()
        what = "comment" if method == "POST" else "edit its comment"
        head = f"{what} ({marker[0]}):" if marker else f"{what}:"
        return [head, *("  │ " + line for line in _wrapped(text))]
    if method == "PATCH" and body.get("state") == "closed":
        return [f"close the issue ({body.get('state_reason') or 'completed'})"]
    if method == "PATCH" and body.get("state") == "open":
        return ["reopen the issue"]
    return [f"{method} {path} {json.dumps(body)}"]


def _wrapped(lines: list[str], width: int = 84) -> list[str]:
    """Long paragraphs wrapped for a terminal; table rows and list items' starts kept."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width or line.lstrip().startswith("|"):
            out.append(line)
        else:
            bullet = re.match(r"\s*(?:[-*] )?", line)
            indent = " " * (bullet.end() if bullet else 0)
            out += textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False)
    return out


def _report(records: list[logging.LogRecord], out: Callable[[str], Any]) -> None:
    writes = [_fields(r) for r in records if r.getMessage() == "dry-run: would write"]
    ignored = [_fields(r) for r in records if r.getMessage() == "delivery ignored"]
    worked = [_fields(r) for r in records if r.getMessage() == "delivery worked"]
    if ignored:
        out(f"   ignored: {ignored[0].get('why')}; the bot writes nothing")
        return
    if writes:
        out("   the bot would:")
        for write in writes:
            lines = describe_write(str(write["method"]), str(write["path"]), write.get("body"))
            out(f"     - {lines[0]}")
            for line in lines[1:]:
                out(f"       {line}")
    else:
        out("   the bot would write nothing")
    for done in worked:
        out(f"   (worked in {done.get('ms')} ms: {done.get('outcome')})")


async def run_demo(
    rules: Rules, rules_path: str, repo_name: str | None, out: Callable[[str], Any] = print
) -> int:
    """Run the demo; 0, or 1 if the service logged an error."""
    repo, repo_rules = one_repository(rules, repo_name)
    secret = secrets.token_hex(16)
    settings = Settings(
        host="127.0.0.1", port=0, webhook_secret=secret, rules_path=rules_path, dry_run=True
    )
    github = OfflineGitHub(labels={repo: repo_rules.labels})
    service = Service(settings, rules, github=github, names=OfflineNames(SNAPSHOT, OTHER_NAMES))
    capture = _Capture()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [capture]
    root.setLevel(logging.INFO)
    try:
        runner = await listen(make_app(service), settings.host, settings.port)
        url = f"http://127.0.0.1:{bound_port(runner)}"
        out(f"pypi-support-bot demo: the webhook service in dry-run at {url}, with the rules")
        out(f"of {rules_path} for {repo}. GitHub is played offline from the deliveries below,")
        out("PyPI from a snapshot of a few projects: nothing is read or written elsewhere.")
        try:
            async with aiohttp.ClientSession() as session:
                steps = _steps(repo, repo_rules, github, datetime.now(UTC))
                for number, step in enumerate(steps, 1):
                    await _deliver(session, url, secret, number, step, out)
                    await service.queue.join()
                    _report(capture.take(step.delivery), out)
        finally:
            await runner.cleanup()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    problems = [r for r in capture.records if r.levelno >= logging.WARNING]
    out("")
    if problems:
        out("The service also logged:")
        formatter = JsonFormatter()
        for record in problems:
            out("  " + formatter.format(record))
    out("Each 'would' above is a \"dry-run: would write\" log line of `python -m bot serve`.")
    out("To try the bot on a repository of your own: python -m bot init OWNER/NAME (README,")
    out('"Trying it on your own repository").')
    return 1 if any(r.levelno >= logging.ERROR for r in problems) else 0


async def _deliver(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    number: int,
    step: Step,
    out: Callable[[str], Any],
) -> None:
    step.delivery = delivery = str(uuid.uuid4())
    body = json.dumps(step.payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": step.event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature,
    }
    async with session.post(f"{url}/webhook", data=body, headers=headers) as response:
        answer = await response.json()
    action = step.payload.get("action")
    out("")
    out(f"{number}. {step.story}")
    out(
        f"   POST /webhook ({step.event}.{action}, signed): {response.status} "
        f"{answer.get('status') or answer.get('error')}"
    )
