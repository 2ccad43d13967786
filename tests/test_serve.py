"""`python -m bot serve` as an operator runs it: a child process on a real socket, its
start-up failures, and SIGTERM's grace period."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import time
from collections.abc import Callable

import aiohttp

from tests.conftest import REPO, ROOT, SECRET, TOKEN, headers_for, payload, run_bot
from tests.test_webhook import incomplete_pep541


async def until(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Wait for a condition (polled), failing with `what` if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


class Child:
    """`python -m bot serve` with only `env` set; its stderr's JSON lines, as they come."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict] = []
        self.raw: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            text = line.decode().rstrip("\n")
            self.raw.append(text)
            self.lines.append(json.loads(text))

    def logged(self, msg: str) -> list[dict]:
        return [line for line in self.lines if line["msg"] == msg]

    async def wait(self) -> int:
        code = await asyncio.wait_for(self.proc.wait(), 60)
        await self._reader
        return code


async def start(env: dict[str, str]) -> tuple[Child, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    child = Child(proc)
    await until(lambda: child.logged("listening") or proc.returncode is not None, "listening")
    assert child.logged("listening"), child.raw
    return child, child.logged("listening")[0]["port"]


async def test_sigterm_keeps_listening_with_503_and_stopping_until_work_is_done(github):
    data = incomplete_pep541()
    issue = data["issue"]
    github.add_issue(
        REPO, number=issue["number"], title=issue["title"], body=issue["body"], user="alice"
    )
    # The delivery's work is held at its first read of the issue, so it is still queued
    # when SIGTERM comes.
    release = asyncio.Event()
    github.inject("GET", rf"^/repos/{REPO}/issues/\d+$", status=None, until=release)
    child, port = await start(
        {
            "HOST": "127.0.0.1",
            "PORT": "0",  # the start-up line says which port it got
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "GITHUB_API_URL": github.url,
            "PYPI_URL": "http://127.0.0.1:9",
        }
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:

        async def deliver(data: dict) -> tuple[int, dict]:
            body = json.dumps(data).encode()
            headers = headers_for("issues", body)
            async with session.post(f"{base}/webhook", data=body, headers=headers) as answer:
                return answer.status, await answer.json()

        async def health() -> dict:
            async with session.get(f"{base}/healthz") as answer:
                return await answer.json()

        assert (await deliver(data))[1]["status"] == "queued"
        await until(
            lambda: any(c.path == f"/repos/{REPO}/issues/{issue['number']}" for c in github.calls),
            "the bot to read the issue",
        )
        child.proc.send_signal(signal.SIGTERM)
        await until(lambda: child.logged("stopping"), "the stopping line")
        assert (await health())["status"] == "stopping"
        status, answer = await deliver(payload("issues.opened.1", title="Another", user="bob"))
        assert (status, answer) == (503, {"error": "shutting down"})
        assert (await health())["queue_depth"] == 1
        release.set()
        assert await child.wait() == 0
    (stopping,) = child.logged("stopping")
    assert (stopping["signal"], stopping["queue_depth"]) == ("SIGTERM", 1)
    assert [w["outcome"] for w in child.logged("delivery worked")] == ["done"]
    assert child.logged("stopped")
    assert not [line for line in child.lines if line["level"] == "error"], child.raw
    # The held work finished within the grace period: the comment is there.
    assert github.comments(REPO, issue["number"])


def test_start_up_failures_are_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot("serve", "--dry-run", env={"HOST": "127.0.0.1", "PORT": str(port)})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: the port is in use (another `serve`?); "
        "set PORT to a free port"
    ]
    result = run_bot("serve", "--dry-run", env={"HOST": "no-such-host.invalid"})
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "error: HOST 'no-such-host.invalid' is not a name or address this machine can resolve"
    )
