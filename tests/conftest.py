"""Shared fixtures: a fake GitHub server, the bot's app on aiohttp's test client, and signed
deliveries built from real webhook payloads."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.github import RetryPolicy
from bot.core.rules import Rules, load_rules
from bot.runtime.config import Settings
from bot.runtime.service import Service
from bot.runtime.webhook import make_app
from tests.fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SECRET = "It's a Secret to Everybody"
TOKEN = "ghp_test_token_for_the_fake"
BOT_LOGIN = "pypi-support-bot"
REPO = "pypi/support"
# Retries in tests: as many as in production, without the waiting.
FAST = RetryPolicy(
    attempts=4,
    backoff=0.001,
    max_wait=0.05,
    write_spacing=0,
    content_per_minute=None,
    content_per_hour=None,
    request_timeout=5,
    confirm_interval=0.01,
    confirm_for=0.05,  # lost answers in tests are answered at once (see test_exactly_once)
)


def payload(name: str, **issue: Any) -> dict[str, Any]:
    """A real payload from tests/data/webhooks, moved to pypi/support, issue fields replaced."""
    data = json.loads((DATA / "webhooks" / f"{name}.json").read_text())
    data = copy.deepcopy(data)
    if "repository" in data:
        data["repository"]["full_name"] = REPO
        data["repository"]["name"] = "support"
        data["repository"]["owner"]["login"] = "pypi"
    data.setdefault(
        "installation", {"id": 1, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="}
    )
    if "issue" in data:
        user = issue.pop("user", None)
        data["issue"].update(issue)
        if user is not None:
            data["issue"]["user"] = {**data["issue"]["user"], "login": user, "type": "User"}
            data["sender"] = {**data["sender"], "login": user, "type": "User"}
            data["issue"]["author_association"] = issue.get("author_association", "NONE")
    return data


def run_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a child process with only `env` (and PATH) set."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        # No conditional-request state on disk unless a test asks for it.
        env={"PATH": "/usr/bin:/bin", "BOT_CACHE_DIR": "off", **env},
        timeout=60,
    )


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_for(
    event: str, body: bytes, *, delivery: str | None = None, secret: str | None = SECRET
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return headers


@pytest.fixture
async def github(aiohttp_server):
    fake = FakeGitHub()
    fake.add_token(TOKEN, BOT_LOGIN)
    fake.add_repo(REPO)
    server = await aiohttp_server(fake.app)
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    assert fake.contract_violations == [], fake.contract_violations


def settings_for(github: FakeGitHub, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_secret": SECRET,
        "token": TOKEN,
        "api_url": github.url,
        "rules_path": str(ROOT / "rules.yaml"),
        "pypi_url": "http://127.0.0.1:9",  # a closed port: tests never reach PyPI
        "test_pypi_url": "http://127.0.0.1:9",  # nor TestPyPI
    }
    values.update(changes)
    return Settings(**values)


def service_for(
    github: FakeGitHub,
    rules: Rules | None = None,
    *,
    policy: RetryPolicy = FAST,
    concurrency: int = 8,
    **changes: Any,
) -> Service:
    """The bot's service against the fake GitHub, on the fake's clock: `settings_for(github,
    **changes)`, and the shipped rules unless `rules` are given."""
    settings = settings_for(github, **changes)
    return Service(
        settings,
        rules or load_rules(settings.rules_path),
        policy=policy,
        clock=lambda: github.now().timestamp(),
        concurrency=concurrency,
    )


@dataclass
class Bot:
    client: Any
    service: Service
    github: FakeGitHub
    deliveries: list[str] = field(default_factory=list)

    async def deliver(
        self, event: str, data: dict[str, Any], *, delivery: str | None = None, seed: bool = True
    ):
        """Send a signed delivery (seeding its issue in the fake GitHub first)."""
        issue = data.get("issue")
        if seed and issue is not None:
            self.github_seed(issue)
        body = json.dumps(data).encode()
        headers = headers_for(event, body, delivery=delivery)
        self.deliveries.append(headers["X-GitHub-Delivery"])
        return await self.client.post("/webhook", data=body, headers=headers)

    def github_seed(self, issue: dict[str, Any]) -> None:
        try:
            self.github.issue(REPO, issue["number"])
        except Exception:
            self.github.add_issue(
                REPO,
                number=issue["number"],
                title=issue.get("title") or "",
                body=issue.get("body"),
                user=issue["user"]["login"],
                labels=[label["name"] for label in issue.get("labels") or []],
                author_association=issue.get("author_association"),
            )

    async def edit(
        self, number: int, *, by: str, title: str | None = None, body: str | None = None
    ):
        """`by` edits the issue on GitHub; then GitHub delivers `issues.edited`."""
        before = self.github.issue(REPO, number)
        after = self.github.edit_issue(REPO, number, title=title, body=body, editor=by)
        data = payload("issues.edited.1")
        data["issue"] = after
        data["changes"] = {
            key: {"from": before[key]}
            for key, new in (("title", title), ("body", body))
            if new is not None and new != before[key]
        }
        data["sender"] = {**data["sender"], "login": by, "type": "User"}
        return await self.deliver("issues", data, seed=False)

    async def comment(self, number: int, body: str, *, by: str, association: str | None = None):
        """`by` comments on the issue on GitHub; then GitHub delivers `issue_comment.created`.
        Returns the comment's JSON."""
        comment = self.github.add_comment(REPO, number, body, user=by, association=association)
        data = payload("issue_comment.created.1")
        data["issue"] = self.github.issue(REPO, number)
        data["comment"] = comment
        data["sender"] = {**data["sender"], "login": by, "type": "User"}
        await self.deliver("issue_comment", data, seed=False)
        return comment

    async def settle(self) -> None:
        """Wait until every queued delivery has been worked."""
        await self.service.queue.join()


@pytest.fixture
async def make_bot(aiohttp_client, github):
    async def make(**changes: Any) -> Bot:
        service = service_for(github, **changes)
        client = await aiohttp_client(make_app(service, grace=5))
        return Bot(client, service, github)

    return make


@pytest.fixture
async def bot(make_bot):
    return await make_bot()
