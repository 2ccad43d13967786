"""Security an operator can rely on: no unverified serving, and no secret in any log line."""

from __future__ import annotations

import io
import logging

from bot.runtime import logs
from tests.conftest import ROOT, SECRET, TOKEN, run_bot
from tests.test_github_client import app_key
from tests.test_webhook import incomplete_pep541


def test_serve_refuses_to_start_without_a_webhook_secret():
    result = run_bot("serve", env={"GITHUB_TOKEN": "ghp_x", "BOT_RULES": str(ROOT / "rules.yaml")})
    assert result.returncode == 1
    assert "GITHUB_WEBHOOK_SECRET is required" in result.stderr
    assert "ghp_x" not in result.stderr


async def test_no_secret_token_or_key_in_any_log_line(make_bot, github):
    private, public = app_key()
    github.configure_app(4242, public, "pypi-support", installations={1: ["pypi/support"]})
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.setup(logging.DEBUG, stream)
    try:
        for changes in ({}, {"token": None, "app_id": "4242", "private_key": private}):
            bot = await make_bot(**changes)
            await bot.deliver("issues", incomplete_pep541())
            github.inject("*", r"/comments$", status=401, times=None)  # and a failing call
            data = incomplete_pep541()
            data["issue"]["number"] = 77
            await bot.deliver("issues", data)
            body = b'{"zen": "x"}'
            await bot.client.post(  # a bad signature
                "/webhook",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "ping",
                    "X-GitHub-Delivery": "d1",
                    "X-Hub-Signature-256": "sha256=" + "0" * 64,
                },
            )
            await bot.settle()
            github.clear_faults()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    text = stream.getvalue()
    assert "delivery worked" in text and "action failed" in text  # the logs were written
    issued = github.tokens("installation")
    assert issued
    for secret in [SECRET, TOKEN, *private.splitlines()[1:-1], *issued]:
        assert secret not in text
