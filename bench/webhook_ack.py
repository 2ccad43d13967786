"""Acknowledgement throughput and latency of signed `issues.opened` deliveries to POST /webhook,
against a bare aiohttp handler (reads the body, answers 202) on the same machine.

    python bench/webhook_ack.py            # 8,000 closed-loop requests, 10 s at 500/s
    python bench/webhook_ack.py --quick    # 200 requests, 1 s at 500/s: a CI smoke run

Goal (the issue): at least half the bare throughput, and p99 under 10 ms at 500 requests/s.

Arrangement: the server under test runs in a child process pinned to one CPU of its own, like
one production worker; the load generator runs in this process and the fake GitHub in a third,
both on the other CPU(s). The bot is the real thing: `make_app(Service(...))`, signatures
verified, JSON logs formatted as `serve` does (written to /dev/null), and its work queue
labelling and commenting on every delivery against tests/fake_github.FakeGitHub. The fake
answers at loopback speed (no OpenAPI checks), so the background work competes harder for the
CPU than against the real GitHub: the bot's figures are pessimistic.
The generator is a bare HTTP/1.1 keep-alive client whose requests (unique X-GitHub-Delivery,
valid X-Hub-Signature-256, a new issue number each) are built and signed before timing, so
each request costs it one write and one header parse; its CPU share is printed so that a
saturated generator would show. Both servers get the same requests, measured the same way:
- closed loop: N connections, each sending the next request once the last is answered;
- open loop: sends at fixed times (500/s) whatever the answers; latency runs from the
  scheduled time, so a stall delays (and counts against) every request behind it.
An answer other than 202 (for the bot: 202 with outcome "queued") counts as an error.
Before each phase the bot's queue is drained (GET /healthz), so that phase starts idle; the
backlog it leaves behind is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sweep import _NoContract
from bot import logs
from bot.rules import load_rules
from bot.service import Service
from bot.webhook import make_app
from tests.conftest import BOT_LOGIN, FAST, REPO, TOKEN, headers_for, payload, settings_for
from tests.fake_github import DEFAULT_NOW, FakeGitHub
from tests.test_forms import ACCOUNT_RECOVERY

RATE = 500
GOAL_RATIO, GOAL_P99_MS = 0.5, 10.0
TITLE = "Account recovery request"  # triaged: one label and one comment per delivery


# -- child processes ---------------------------------------------------------------------------


async def _serve(app: web.Application, pipe) -> None:
    """Serve on a free loopback port, report it, and stop cleanly (cleanup_ctx) on SIGTERM."""
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    pipe.send(runner.addresses[0][1])
    await stop.wait()
    await runner.cleanup()


def run_fake(pipe, cpus: set[int], issues: int) -> None:
    os.sched_setaffinity(0, cpus)
    github = FakeGitHub(contract=_NoContract(), core_limit=10_000_000)
    github.add_token(TOKEN, BOT_LOGIN)
    for number in range(1, issues + 1):
        github.add_issue(REPO, number=number, title=TITLE, body=ACCOUNT_RECOVERY, user="alice")
    asyncio.run(_serve(github.app, pipe))


async def _bare(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=202)


def run_server(pipe, cpus: set[int], kind: str, github_url: str | None) -> None:
    os.sched_setaffinity(0, cpus)
    if kind == "bare":
        app = web.Application()
        app.router.add_post("/webhook", _bare)
    else:
        logs.setup(stream=open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
        settings = settings_for(SimpleNamespace(url=github_url))  # only .url is read
        service = Service(
            settings,
            load_rules(settings.rules_path),
            policy=FAST,
            clock=DEFAULT_NOW.timestamp,  # the fake's frozen time
        )
        app = make_app(service, grace=5)
    asyncio.run(_serve(app, pipe))


@contextlib.contextmanager
def child(target, cpus: set[int], *args):
    """A child process serving something; yields (pid, port); always stopped on the way out."""
    # spawn, not fork: this process has a running event loop a child must not inherit.
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    proc = context.Process(target=target, args=(child_end, cpus, *args), daemon=True)
    proc.start()
    child_end.close()  # so that a child dying before it reports its port is an EOFError here
    try:
        if not parent_end.poll(120):
            raise RuntimeError(f"{target.__name__} did not start")
        yield proc.pid, parent_end.recv()
    finally:
        proc.terminate()
        proc.join(30)
        if proc.is_alive():
            print(f"{target.__name__} did not stop within 30 s: killed")
            proc.kill()
            proc.join()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# -- load generator ----------------------------------------------------------------------------


class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request in flight: no more parsing than needed."""

    def __init__(self) -> None:
        self.buf = b""
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = self.buf[:end].split(b"\r\n")
        length = next((int(x[15:]) for x in lines if x[:15].lower() == b"content-length:"), 0)
        if len(self.buf) < end + 4 + length:
            return
        body, self.buf = self.buf[end + 4 : end + 4 + length], self.buf[end + 4 + length :]
        assert self.waiter is not None
        self.waiter.set_result((int(lines[0].split()[1]), body))

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


async def connect(port: int) -> Conn:
    _, conn = await asyncio.get_running_loop().create_connection(Conn, "127.0.0.1", port)
    return conn


def build(count: int) -> list[tuple[bytes, bytes]]:
    """(head without Host, body) per delivery: a new issue number, delivery id and signature."""
    data = payload("issues.opened.1", title=TITLE, body=ACCOUNT_RECOVERY, user="alice", labels=[])
    built = []
    for number in range(1, count + 1):
        data["issue"]["number"] = number
        body = json.dumps(data).encode()
        headers = {**headers_for("issues", body), "User-Agent": "GitHub-Hookshot/bench"}
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        built.append((f"Content-Length: {len(body)}\r\n{head}\r\n".encode(), body))
    return built


async def get(port: int, path: str) -> bytes:
    conn = await connect(port)
    status, body = await conn.request(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    conn.transport.close()
    assert status == 200, (path, status)
    return body


async def drain(port: int) -> tuple[int, float]:
    """Wait for the bot's queue to empty; returns (depth found, seconds waited)."""
    started = time.perf_counter()
    depth = first = json.loads(await get(port, "/healthz"))["queue_depth"]
    while depth:
        await asyncio.sleep(0.05)
        depth = json.loads(await get(port, "/healthz"))["queue_depth"]
    return first, time.perf_counter() - started


async def closed_loop(port, requests, connections) -> tuple[float, list]:
    conns = [await connect(port) for _ in range(connections)]
    answers: list[tuple[int, bytes]] = []
    todo = iter(requests)

    async def client(conn: Conn) -> None:
        for req in todo:  # shared: each connection takes the next request
            answers.append(await conn.request(req))

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    seconds = time.perf_counter() - started
    for conn in conns:
        conn.transport.close()
    return seconds, answers


async def open_loop(port, requests, rate) -> tuple[float, list, list[float], list[float]]:
    loop = asyncio.get_running_loop()
    idle = [await connect(port) for _ in range(16)]
    opened = idle[:]
    answers, latency, lag = [], [], []

    async def one(scheduled: float, req: bytes) -> None:
        conn = idle.pop() if idle else await connect(port)  # a new connection counts too
        if conn not in opened:
            opened.append(conn)
        lag.append(loop.time() - scheduled)
        answers.append(await conn.request(req))
        latency.append(loop.time() - scheduled)
        idle.append(conn)

    start = loop.time() + 0.01
    tasks = []
    for i, req in enumerate(requests):
        scheduled = start + i / rate
        if scheduled > loop.time():
            await asyncio.sleep(scheduled - loop.time())
        tasks.append(asyncio.create_task(one(scheduled, req)))
    await asyncio.gather(*tasks)
    seconds = loop.time() - start
    for conn in opened:
        conn.transport.close()
    return seconds, answers, latency, lag


# -- the measurement ---------------------------------------------------------------------------


def errors(answers: list[tuple[int, bytes]], kind: str) -> Counter:
    def ok(status: int, body: bytes) -> bool:
        return status == 202 and (kind == "bare" or b'"status": "queued"' in body)

    return Counter(f"{s} {b[:60].decode(errors='replace')}" for s, b in answers if not ok(s, b))


async def measure(kind, pid, port, fake_pid, phases, args) -> dict:
    def cpu() -> tuple[float, float, float, float]:
        fake = cpu_seconds(fake_pid) if fake_pid else 0.0
        return time.perf_counter(), cpu_seconds(pid), fake, time.process_time()

    def share(before) -> str:
        wall, *rest = (b - a for a, b in zip(before, cpu(), strict=True))
        return "CPU " + "  ".join(
            f"{who} {100 * s / wall:3.0f}%"
            for who, s in zip(("server", "fake", "gen"), rest, strict=True)
        )

    warmup, closed, opened = (
        [f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode() + h + b for h, b in p]
        for p in phases
    )
    _, answers = await closed_loop(port, warmup, args.connections)  # connections, caches
    bad = errors(answers, kind)
    if kind == "bot":
        await drain(port)  # the closed loop starts with an idle queue
    before = cpu()
    seconds, answers = await closed_loop(port, closed, args.connections)
    figures, bad = {"rps": len(closed) / seconds}, bad + errors(answers, kind)
    line = f"{kind:4} closed loop, {args.connections} conns: {figures['rps']:7.0f} req/s   "
    line += share(before)
    if kind == "bot":
        depth, waited = await drain(port)  # and so does the open loop
        line += f"  backlog {depth} (worked off in {waited:.1f} s)"
    print(line)
    before = cpu()
    seconds, answers, latency, lag = await open_loop(port, opened, RATE)
    bad += errors(answers, kind)
    ms = sorted(x * 1000 for x in latency)
    p50, p99 = statistics.median(ms), statistics.quantiles(ms, n=100, method="inclusive")[98]
    figures.update(p50=p50, p99=p99, max=ms[-1])
    lag_ms = statistics.quantiles([x * 1000 for x in lag], n=100, method="inclusive")[98]
    print(
        f"{kind:4} open loop {RATE}/s for {seconds:4.1f} s: p50 {p50:5.2f}  p99 {p99:5.2f}  "
        f"max {ms[-1]:6.2f} ms (send lag p99 {lag_ms:.2f})  " + share(before)
    )
    if kind == "bot":
        depth, waited = await drain(port)
        metrics = (await get(port, "/metrics")).decode().splitlines()
        worked = [x for x in metrics if x.startswith("bot_deliveries_total")]
        print(f"     backlog {depth} (worked off in {waited:.1f} s); " + "; ".join(worked))
    print(f"     errors: {dict(bad) if bad else 'none'}")
    return figures


async def main(args: argparse.Namespace) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus = {cpus[0]}
    rest = set(cpus[1:]) or server_cpus  # with one CPU everything shares it
    fake_cpus, gen_cpus = ({cpus[1]}, set(cpus[2:])) if len(cpus) >= 3 else (rest, rest)
    os.sched_setaffinity(0, gen_cpus)
    print(f"CPUs {cpus}: server {server_cpus}, fake GitHub {fake_cpus}, generator {gen_cpus}")
    sizes = (50, 200, RATE) if args.quick else (500, 8000, RATE * 10)
    started = time.perf_counter()
    deliveries = build(sum(sizes))
    phases = [deliveries[: sizes[0]], deliveries[sizes[0] : sizes[0] + sizes[1]]]
    phases.append(deliveries[sizes[0] + sizes[1] :])
    print(f"built and signed {len(deliveries)} deliveries in {time.perf_counter() - started:.1f} s")
    results = {}
    with child(run_server, server_cpus, "bare", None) as (pid, port):
        results["bare"] = await measure("bare", pid, port, None, phases, args)
    with child(run_fake, fake_cpus, len(deliveries)) as (fake_pid, fake_port):
        url = f"http://127.0.0.1:{fake_port}"
        with child(run_server, server_cpus, "bot", url) as (pid, port):
            results["bot"] = await measure("bot", pid, port, fake_pid, phases, args)
    bot, bare = results["bot"], results["bare"]
    ratio, yes = bot["rps"] / bare["rps"], {True: "yes", False: "no"}
    print(
        f"bot/bare throughput {ratio:.2f} (goal >= {GOAL_RATIO}: {yes[ratio >= GOAL_RATIO]}); "
        f"bot p99 at {RATE}/s {bot['p99']:.2f} ms, {bot['p99'] / bare['p99']:.1f}x bare "
        f"(goal < {GOAL_P99_MS:g} ms: {yes[bot['p99'] < GOAL_P99_MS]})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (CI smoke run)")
    parser.add_argument("--connections", type=int, default=16, help="closed-loop clients")
    asyncio.run(main(parser.parse_args()))
