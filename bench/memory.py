"""Resident memory of the bot across 100,000 webhook deliveries: its caches are bounded, so
once they are full its RSS stays flat.

    python bench/memory.py                      # 100,000 deliveries
    python bench/memory.py --quick              # 2,000 deliveries, a CI smoke run
    python bench/memory.py --deliveries 300000  # long enough for every cache to be full

The bot (Service + make_app) runs in this process and gets signed POST /webhook requests
over loopback (aiohttp's TestServer); its queue works every delivery against a fake GitHub
and a fake PyPI (tests/fake_github.py, tests/fake_pypi.py). Those run in a child process
(this file with --fakes) because they keep issues, comments and requests in memory: their
growth, not the bot's. Every 10% of the run, with the queue drained and after
gc.collect(), this process's VmRSS is sampled (the bot, plus the harness, which holds only
the delivery being sent), with the size of each cache read from the bot's objects and the
number of gc-tracked objects (a leak of dicts or lists would show there). The bot's logs
are formatted as in production and written to /dev/null; only their counts are printed.

Each cycle is one new issue's life: opened (a complete PEP 541 form naming a new project,
which is on the fake PyPI; a PEP 541 form with placeholders; the recovery form; free text),
the author's reply (/close on recovery requests), the author's edit completing the
placeholder form, a maintainer's comment with a command, the bot's own `labeled` event, an
event the bot ignores (ping, installation, another bot's label) and, every other cycle, a
redelivery of `opened` (same delivery id: a duplicate). All other delivery ids are new.
Issue numbers keep growing, as on GitHub, but the fake keeps only the newest 2,000 (KEEP):
its search reads every issue it has. Only worked deliveries are remembered as seen (74% of
this mix), so that cache fills after ~135,000 deliveries: the script names the caches still
filling over the last half, whose growth is the "flat" figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import resource
import sys
import time
from asyncio.subprocess import PIPE
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.name_index import rss_kib
from bench.triage_calls import RECOVERY
from bot.core.rules import load_rules
from bot.runtime import logs
from bot.runtime.service import SEEN_MAX, Service
from bot.runtime.webhook import make_app
from tests.conftest import BOT_LOGIN, FAST, REPO, TOKEN, headers_for, payload, settings_for
from tests.fake_github import DEFAULT_NOW, FakeGitHub
from tests.fake_pypi import FakePyPI
from tests.test_triage_flow import COMPLETE
from tests.test_webhook import PEP541_INCOMPLETE

MAINTAINERS = ("di", "ewdurbin", "miketheman")
COMMANDS = ("/label on hold", "/unlabel on hold", "/awaiting")
LABELS = {0: ["PEP 541"], 1: ["PEP 541", "status: awaiting response"], 2: ["account-recovery"]}
KEEP = 2_000  # issues the fake GitHub keeps
FREE_TEXT = "Uploading fails with 400 Bad Request since yesterday. What should I do?"


async def serve_fakes() -> None:
    """The child: fake GitHub and PyPI on loopback ports, and /seed to create what the bot
    needs to exist (a new issue, a comment it will react to)."""
    # No rate limits: with the fake's frozen clock a window would never end.
    github = FakeGitHub(core_limit=10**9, search_limit=10**9)
    github.add_token(TOKEN, BOT_LOGIN)
    github.add_repo(REPO)
    for login in MAINTAINERS:
        github.set_permission(REPO, login, "maintain")
    pypi = FakePyPI()

    async def seed(request: web.Request) -> web.Response:
        data = await request.json()
        if "comment" in data:
            return web.json_response({"id": github.add_comment(REPO, **data["comment"])["id"]})
        # The fake has no API to delete an issue: forget the oldest one by hand.
        github._repos[REPO.lower()].issues.pop(data["number"] - KEEP, None)
        github.add_issue(REPO, number=data["number"], **data["issue"])
        if data["project"]:
            pypi.add_project(data["project"], releases={"0.1": ["2016-03-01T00:00:00Z"]})
        github.reset_calls()  # request logs: they would grow for ever
        pypi.requests.clear()
        return web.json_response({})

    control = web.Application()
    control.router.add_post("/seed", seed)
    runners, urls = [], {}
    for name, app in (("github", github.app), ("pypi", pypi.app()), ("control", control)):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        urls[name] = f"http://127.0.0.1:{runner.addresses[0][1]}"
    print(json.dumps(urls), flush=True)
    # Until the parent closes our stdin (or dies): no process is ever left behind.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for runner in runners:
        await runner.cleanup()
    print(json.dumps({"contract_violations": github.contract_violations[:3]}), flush=True)


def deliveries() -> Iterator[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]:
    """(event, payload, what the fakes need first), cycle after cycle. The event "redeliver"
    means: send the cycle's `opened` delivery again, as GitHub's Redeliver button does."""
    for c in range(10**9):
        n, kind, author, name = c + 1, c % 4, f"requester-{c}", f"project-{c}"
        title, body = {
            0: (f"PEP 541 Request: {name}", COMPLETE.replace("widgets", name)),
            1: ("PEP 541 Request: PROJECT_NAME", PEP541_INCOMPLETE),
            2: ("Account recovery request", RECOVERY),
            3: ("Upload fails", FREE_TEXT),
        }[kind]
        issue = {"number": n, "title": title, "body": body, "user": author}
        labels = [{"name": label} for label in LABELS.get(kind, [])]
        seed = {"title": title, "body": body, "user": author, "author_association": "NONE"}
        opened = payload("issues.opened.1", **issue, labels=[], comments=0)
        yield "issues", opened, {"number": n, "issue": seed, "project": kind == 0 and name}
        reply = "/close\n\nI got my account back, thank you!" if kind == 2 else "Any news?"
        yield comment(issue, labels, author, reply, "NONE")
        if kind == 1:
            edited = payload("issues.edited.1", **issue, labels=labels)
            edited["issue"]["body"] = COMPLETE.replace("widgets", name)
            edited["changes"] = {"body": {"from": body}}
            yield "issues", edited, None
        note = f"Thanks, looking into it.\n\n{COMMANDS[c % 3]}"
        yield comment(issue, labels, MAINTAINERS[c % 3], note, "MEMBER")
        # GitHub tells the bot about its own writes too: queued, then dropped as "own_event".
        own = payload("issues.labeled.1", **issue, labels=labels)
        own["label"], own["sender"]["login"] = {"name": "PEP 541"}, BOT_LOGIN
        yield "issues", own, None
        if c % 3 == 0:
            yield "ping", payload("ping.none.1"), None
        elif c % 3 == 1:
            yield "installation", payload("installation.created.1"), None
        else:
            other = payload("issues.labeled.1", **issue, labels=labels)
            other["sender"].update(login="dependabot[bot]", type="Bot")
            yield "issues", other, None
        if c % 2 == 0:
            yield "redeliver", None, None


def comment(issue: dict, labels: list, login: str, text: str, association: str) -> tuple:
    data = payload("issue_comment.created.1", **issue, labels=labels, comments=1)
    data["comment"].update(body=text, author_association=association)
    data["comment"]["user"] = {**data["comment"]["user"], "login": login, "type": "User"}
    data["sender"]["login"] = login
    seed = {"number": issue["number"], "body": text, "user": login, "association": association}
    return "issue_comment", data, {"comment": seed}


COLUMNS = (  # name, width, format
    *(("deliveries", 10, ","), ("RSS MB", 7, ".1f"), ("seen", 7, ","), ("ETag URLs", 9, ",")),
    *(("ETag objs", 9, ","), ("ETag JSON MB", 12, ".1f"), ("roles", 6, ","), ("facts", 6, ",")),
    ("objects", 10, ","),
)


def sample(service: Service, sent: int) -> dict[str, float]:
    # Private attributes, only read: the bot's own objects are what is measured.
    roles, names = service.permissions, service.names
    return {
        "deliveries": sent,
        "RSS MB": rss_kib() / 1024,
        "seen": len(service.seen),
        "ETag URLs": len(service.github.cache),
        "ETag objs": service.github.cache.currsize,  # its bound: JSON objects held
        # The same, measured as JSON text: what the decoded JSON it holds is worth.
        "ETag JSON MB": sum(len(json.dumps(v[2])) for v in service.github.cache.values()) / 1e6,
        "roles": len(roles._cache) if roles else 0,
        "facts": len(names.client._projects) if names else 0,
        "objects": len(gc.get_objects()),  # gc-tracked: containers, not str or int
    }


def metric(service: Service, family: str, *labels: str) -> str:
    """One of the bot's Prometheus counters, summed by some of its labels."""
    found: Counter = Counter()
    for fam in service.metrics.registry.collect():
        for s in fam.samples if fam.name == family else ():
            if s.name.endswith("_total"):
                found[" ".join(s.labels[label] for label in labels)] += int(s.value)
    return ", ".join(f"{k} {v:,}" for k, v in sorted(found.items()))


async def bench(total: int) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--fakes", stdin=PIPE, stdout=PIPE
    )
    assert child.stdin and child.stdout
    urls = json.loads(await child.stdout.readline())
    settings = settings_for(SimpleNamespace(url=urls["github"]), pypi_url=urls["pypi"])
    # The fakes' frozen clock: TTL caches never expire, only their size bounds them.
    rules = load_rules(settings.rules_path)
    service = Service(settings, rules, policy=FAST, clock=DEFAULT_NOW.timestamp)
    # Not aiohttp's TestClient: it keeps every response until it is closed (~5 KB each).
    server, session = TestServer(make_app(service, grace=5)), aiohttp.ClientSession()
    answers, rows, levels, problems = Counter(), [], Counter(), Counter()

    def tally(record: logging.LogRecord) -> bool:  # the bot's log lines, counted
        levels[record.levelname.lower()] += 1
        if record.levelno >= logging.WARNING:
            problems[str(record.msg)] += 1
        return True

    with open(os.devnull, "w") as devnull:
        logs.setup(stream=devnull)  # formatted as in production, written nowhere
        logging.getLogger().handlers[0].addFilter(tally)
        try:
            await server.start_server()
            webhook = server.make_url("/webhook")
            await service.github.login()  # learned once per process, as in production
            started, cpu = time.perf_counter(), time.process_time()
            stream, opened = deliveries(), (b"", {})
            for sent in range(total + 1):
                if sent % (total // 10) == 0:
                    await service.queue.join()
                    gc.collect()
                    rows.append(sample(service, sent))
                if sent == total:
                    break
                if service.queue.depth > 200:  # backpressure, far below the queue's limit
                    await service.queue.join()
                event, data, seed = next(stream)
                if seed:
                    async with session.post(urls["control"] + "/seed", json=seed) as r:
                        made = await r.json()
                    if "comment" in seed:
                        data["comment"]["id"] = made["id"]
                if event == "redeliver":
                    raw, headers = opened
                else:
                    raw = json.dumps(data).encode()
                    headers = headers_for(event, raw)  # a new delivery id
                    if seed and "issue" in seed:
                        opened = raw, headers
                async with session.post(webhook, data=raw, headers=headers) as resp:
                    answers[resp.status] += 1
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            await session.close()
            await server.close()
            child.stdin.close()
            tail = json.loads((await child.stdout.read()) or "{}")
            await child.wait()
            logging.getLogger().handlers.clear()

    print(" ".join(f"{name:>{width}}" for name, width, _ in COLUMNS))
    for row in rows:
        print(" ".join(f"{row[name]:>{width}{spec}}" for name, width, spec in COLUMNS))
    mid, last = rows[5], rows[-1]
    grew, half = last["RSS MB"] - mid["RSS MB"], (last["deliveries"] - mid["deliveries"]) / 1000
    print(
        f"\nRSS after {total:,} deliveries: {last['RSS MB']:.1f} MB "
        f"(before the first: {rows[0]['RSS MB']:.1f} MB)"
    )
    print(
        f"growth over the last half ({mid['deliveries']:,} -> {total:,}): {grew:+.1f} MB, "
        f"{grew * 1024 / half:+.1f} KB per 1,000 deliveries"
    )
    # Not roles: its 5-minute TTL runs on the real clock, and bounds it first. A cache that
    # evicts by weight is full a little below its bound: within 1% counts as full.
    bounds = {"seen": SEEN_MAX, "ETag objs": service.github.cache.maxsize, "facts": 1024}
    filling = [
        f"{k} {mid[k]:,} -> {last[k]:,} of {n:,}"
        for k, n in bounds.items()
        if mid[k] < 0.99 * n and last[k] > mid[k]
    ]
    print("caches still filling in the last half: " + ("; ".join(filling) or "none"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"throughput: {total / elapsed:,.0f} deliveries/s ({elapsed:,.1f} s, samples included;"
        f" CPU: bot process {cpu:,.0f} s, fakes {children.ru_utime + children.ru_stime:,.0f} s)"
    )
    print("HTTP answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(answers.items())))
    # Answered (queued, duplicate, ignored; ok: ping), then worked (done, failed, own_event).
    print("deliveries by outcome: " + metric(service, "bot_deliveries", "outcome"))
    print("GitHub requests: " + metric(service, "bot_github_requests", "method", "status"))
    print("bot log lines: " + ", ".join(f"{k} {v:,}" for k, v in levels.most_common()))
    for msg, count in problems.most_common(5):
        print(f"  {count:,} x {msg}")
    print(f"fake GitHub contract violations: {tail.get('contract_violations')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 deliveries (CI smoke run)")
    parser.add_argument("--deliveries", type=int, help="how many (default 100,000)")
    parser.add_argument("--fakes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fakes:
        asyncio.run(serve_fakes())
        return 0
    total = args.deliveries or (2_000 if args.quick else 100_000)
    asyncio.run(bench(max(10, total - total % 10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
