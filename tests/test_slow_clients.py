"""Slow and oversized clients, over real sockets: a body trickled a byte at a time, headers that
never end, header lines past the limits. None of them holds a connection for long, and the
bot keeps acknowledging real deliveries meanwhile."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

import pytest

from bot.core.rules import load_rules
from bot.runtime.service import Service
from bot.runtime.webhook import SERVER_OPTIONS, make_app
from tests.conftest import FAST, ROOT, headers_for, settings_for

BODY_TIMEOUT = 0.5


@pytest.fixture
async def server(aiohttp_server, github):
    """The bot's app on a real socket, with the server options `serve` uses (a short body
    timeout and keep-alive, so the test does not wait for the real ones)."""
    settings = settings_for(github)
    service = Service(settings, load_rules(settings.rules_path), policy=FAST)
    app = make_app(service, grace=1, body_timeout=BODY_TIMEOUT)
    return await aiohttp_server(app, **{**SERVER_OPTIONS, "keepalive_timeout": 1.0})


async def connect(server):
    return await asyncio.open_connection(server.host, server.port)


def request_head(length: int, extra: bytes = b"") -> bytes:
    body = b"{}"
    headers = headers_for("ping", body)
    lines = [b"POST /webhook HTTP/1.1", b"Host: bot", b"Content-Length: %d" % length]
    lines += [f"{k}: {v}".encode() for k, v in headers.items()]
    return b"\r\n".join(lines) + extra + b"\r\n\r\n"


async def trickle_body(server, seconds: float) -> tuple[float, bytes]:
    """Send a delivery's headers, then its body a byte every 50 ms; how long until the server
    answered and closed, and what it said."""
    reader, writer = await connect(server)
    writer.write(request_head(10_000))
    await writer.drain()
    started = time.monotonic()

    async def trickle():
        try:
            while time.monotonic() - started < seconds:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass

    sender = asyncio.create_task(trickle())
    try:
        answer = await asyncio.wait_for(reader.read(), seconds)  # up to EOF: the close
    finally:
        sender.cancel()
        writer.close()
    return time.monotonic() - started, answer


async def test_a_trickled_body_is_answered_408_and_dropped(server):
    took, answer = await trickle_body(server, 5)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert b"request body not received in time" in answer
    assert BODY_TIMEOUT <= took < BODY_TIMEOUT + 1.5


async def test_a_handful_of_slow_clients_neither_last_nor_block_real_deliveries(
    server, aiohttp_client
):
    slow = [asyncio.create_task(trickle_body(server, 5)) for _ in range(8)]
    await asyncio.sleep(0.1)
    # Meanwhile a real delivery is acknowledged at once.
    reader, writer = await connect(server)
    body = json.dumps({"zen": "Design for failure."}).encode()
    head = [b"POST /webhook HTTP/1.1", b"Host: bot", b"Content-Length: %d" % len(body)]
    head += [f"{k}: {v}".encode() for k, v in headers_for("ping", body).items()]
    started = time.monotonic()
    writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
    status = await asyncio.wait_for(reader.readline(), 2)
    assert status.startswith(b"HTTP/1.1 200") and time.monotonic() - started < 0.3
    writer.close()
    for took, answer in await asyncio.gather(*slow):
        assert answer.startswith(b"HTTP/1.1 408") and took < BODY_TIMEOUT + 1.5


async def test_headers_that_never_end_are_dropped(server):
    reader, writer = await connect(server)
    started = time.monotonic()

    async def trickle():
        try:
            writer.write(b"POST /webhook HTTP/1.1\r\nHost: bot\r\n")
            while True:
                writer.write(b"X-Slow: a\r\n")
                await writer.drain()
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass

    sender = asyncio.create_task(trickle())
    try:
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing answered
    finally:
        sender.cancel()
        writer.close()
    assert time.monotonic() - started < 1.0 + 1.5  # the keep-alive timeout, from the connect


@pytest.mark.parametrize(
    "head",
    [
        b"POST /webhook?" + b"x" * 5000 + b" HTTP/1.1\r\nHost: bot\r\n\r\n",
        b"POST /webhook HTTP/1.1\r\nHost: bot\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n",
    ],
    ids=["request line", "header field"],
)
async def test_header_lines_past_the_limits_are_refused(server, head):
    reader, writer = await connect(server)
    writer.write(head)
    status = await asyncio.wait_for(reader.readline(), 2)
    writer.close()
    assert status.split()[1] == b"400", status


def test_serve_runs_with_the_server_options():
    """`python -m bot serve` itself: a request line over 4 KiB is refused (aiohttp alone
    allows 8 KiB)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": "/usr/bin:/bin",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "BOT_RULES": str(ROOT / "rules.yaml"),
        "PYPI_URL": "http://127.0.0.1:9",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--dry-run"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and child.poll() is None
                time.sleep(0.05)
        with conn:
            conn.sendall(b"GET /healthz?" + b"x" * 6000 + b" HTTP/1.1\r\nHost: bot\r\n\r\n")
            status = conn.makefile("rb").readline()
        assert status.split()[1] == b"400", status
    finally:
        child.terminate()
        child.wait(10)
