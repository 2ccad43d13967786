"""Resident memory of the bot across 100,000 webhook deliveries: its caches are bounded, so
once they are full its RSS stays flat.

    python bench/memory.py                      # 100,000 deliveries
    python bench/memory.py --quick              # 2,000 deliveries, a CI smoke run
    python bench/memory.py --deliveries 300000  # long enough for every cache to fill

The bot (Service + make_app) runs in this process and gets signed POST /webhook requests over
loopback from aiohttp's TestClient; its queue works every delivery against the fake GitHub
and fake PyPI (tests/fake_github.py, tests/fake_pypi.py). Those run in a child process
(this file with --fakes): they keep every issue, comment and request in memory, and that
growth is theirs, not the bot's. The RSS measured (VmRSS, after gc.collect(), every 10% of
the run) is this process's: the bot plus the small, constant harness that sends deliveries.

Each "cycle" is the life of one issue: opened (a complete PEP 541 form naming a new project,
a PEP 541 form with placeholders, the recovery form, or free text), the author's reply
(with /close on recovery requests), the author's edit completing the placeholder form, a
maintainer's comment with a command, the bot's own `labeled` event, an event the bot
ignores (a ping, an installation, another bot's label) and, every other cycle, a redelivery
of the `opened` delivery (same id: a duplicate). Delivery ids are unique otherwise. Issue
numbers cycle through --issues (2,000) so that the fake stays fast: before an issue is
opened again the fake forgets its old comments and events (POST /seed on the child).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bench.name_index import rss_kib
from bench.triage_calls import RECOVERY
from bot import logs
from bot.rules import load_rules
from bot.service import SEEN_MAX, Service
from bot.webhook import make_app
from tests.conftest import BOT_LOGIN, FAST, REPO, TOKEN, headers_for, payload, settings_for
from tests.fake_github import DEFAULT_NOW, FakeGitHub
from tests.fake_pypi import FakePyPI
from tests.test_triage_flow import COMPLETE
from tests.test_webhook import PEP541_INCOMPLETE

MAINTAINERS = ("di", "ewdurbin", "miketheman")
COMMANDS = ("/label on hold", "/unlabel on hold", "/awaiting")
LABELS = {0: ["PEP 541"], 1: ["PEP 541", "status: awaiting response"], 2: ["account-recovery"]}
FREE_TEXT = "Uploading fails with 400 Bad Request since yesterday. What should I do?"


async def serve_fakes() -> None:
    """The child: fake GitHub and PyPI on loopback ports, and /seed to (re)create an issue."""
    # No rate limits: the fake's frozen clock would never start a new window.
    github = FakeGitHub(core_limit=10**9, search_limit=10**9)
    github.add_token(TOKEN, BOT_LOGIN)
    github.add_repo(REPO)
    for login in MAINTAINERS:
        github.set_permission(REPO, login, "maintain")
    pypi = FakePyPI()

    async def seed(request: web.Request) -> web.Response:
        data = await request.json()
        if "comment" in data:  # a comment must exist for the bot to react to it
            return web.json_response({"id": github.add_comment(REPO, **data["comment"])["id"]})
        # The fake has no API to delete an issue; reusing a number must start from nothing.
        github._repos[REPO.lower()].issues.pop(data["number"], None)
        github.add_issue(REPO, number=data["number"], **data["issue"])
        if data["project"]:
            pypi.add_project(data["project"], releases={"0.1": ["2016-03-01T00:00:00Z"]})
        github.reset_calls()  # the fakes' request logs would grow for ever
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
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # parent closes it
    for runner in runners:
        await runner.cleanup()
    print(json.dumps({"contract_violations": github.contract_violations[:3]}), flush=True)


def deliveries(issues: int) -> Iterator[tuple[str, dict[str, Any] | None, dict | None]]:
    """(event, payload, what the fakes need first, or None), cycle after cycle; the event
    "redeliver" means: send the cycle's `opened` delivery again."""
    for c in range(10**9):
        n, kind, author, name = c % issues + 1, c % 4, f"requester-{c}", f"project-{c}"
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
            done = COMPLETE.replace("widgets", name)
            edited = payload("issues.edited.1", **{**issue, "body": done}, labels=labels)
            edited["changes"] = {"body": {"from": body}}
            yield "issues", edited, None
        note = f"Thanks, looking into it.\n\n{COMMANDS[c % 3]}"
        yield comment(issue, labels, MAINTAINERS[c % 3], note, "MEMBER")
        # GitHub tells the bot about its own writes too: worked, then dropped as "own_event".
        own = payload("issues.labeled.1", **issue, labels=labels)
        own["label"], own["sender"]["login"] = {"name": "PEP 541"}, BOT_LOGIN
        yield "issues", own, None
        if c % 3 == 0:
            yield "ping", payload("ping.none.1"), None
        elif c % 3 == 1:
            yield "installation", payload("installation.created.1"), None
        else:  # another bot's event (ignore_other_bots)
            other = payload("issues.labeled.1", **issue, labels=labels)
            other["sender"].update(login="dependabot[bot]", type="Bot")
            yield "issues", other, None
        if c % 2 == 0:  # as from the "Redeliver" button: same delivery id, same body
            yield "redeliver", None, None


def comment(issue: dict, labels: list, login: str, text: str, association: str) -> tuple:
    data = payload("issue_comment.created.1", **issue, labels=labels, comments=1)
    data["comment"].update(body=text, author_association=association)
    data["comment"]["user"] = {**data["comment"]["user"], "login": login, "type": "User"}
    data["sender"]["login"] = login
    seed = {"number": issue["number"], "body": text, "user": login, "association": association}
    return "issue_comment", data, {"comment": seed}


def cache_sizes(service: Service) -> dict[str, int]:
    # Private attributes, read only: the objects themselves are what is measured.
    roles = service.services.get("permissions")
    names = service.services.get("names")
    return {
        "seen": len(service.seen),
        "etag": len(service.github.cache),
        "roles": len(roles._cache) if roles else 0,
        "facts": len(names._facts) if names else 0,
        "objects": len(gc.get_objects()),
    }


def metric(service: Service, family: str, *labels: str) -> str:
    """A Prometheus counter of the bot's, summed by some of its labels."""
    found: Counter = Counter()
    for fam in service.metrics.registry.collect():
        for s in fam.samples if fam.name == family else ():
            if s.name.endswith("_total"):
                found[" ".join(s.labels[label] for label in labels)] += int(s.value)
    return ", ".join(f"{k} {v:,}" for k, v in sorted(found.items()))


class Tally(logging.Handler):
    """Counts the bot's log lines by level (they are written to /dev/null)."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: Counter = Counter()
        self.errors: Counter = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.levels[record.levelname.lower()] += 1
        if record.levelno >= logging.WARNING:
            self.errors[str(record.msg)] += 1


async def bench(total: int, issues: int) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--fakes",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin and child.stdout
    urls = json.loads(await child.stdout.readline())
    settings = settings_for(SimpleNamespace(url=urls["github"]), pypi_url=urls["pypi"])
    # The fake's frozen clock: TTL caches then never expire, only their size bounds them.
    service = Service(
        settings, load_rules(settings.rules_path), policy=FAST, clock=DEFAULT_NOW.timestamp
    )
    client = TestClient(TestServer(make_app(service, grace=5)))
    control = aiohttp.ClientSession()
    tally = Tally()
    outcomes: Counter = Counter()
    rows = []
    with open(os.devnull, "w") as devnull:
        logs.setup(stream=devnull)  # real JSON formatting, as in production, written nowhere
        logging.getLogger().addHandler(tally)
        try:
            await client.start_server()
            await service.github.login()
            started = time.perf_counter()
            stream = deliveries(issues)
            for sent in range(total + 1):
                if sent % (total // 10) == 0:
                    await service.queue.join()
                    gc.collect()
                    rows.append((sent, rss_kib() / 1024, cache_sizes(service)))
                if sent == total:
                    break
                if service.queue.depth > 200:  # backpressure: never near the queue's limit
                    await service.queue.join()
                event, data, seed = next(stream)
                if seed:
                    async with control.post(urls["control"] + "/seed", json=seed) as r:
                        made = await r.json()
                    if "comment" in seed:
                        data["comment"]["id"] = made["id"]
                if event != "redeliver":
                    raw = json.dumps(data).encode()
                    headers = headers_for(event, raw)  # a new delivery id
                    if seed and "issue" in seed:
                        opened = raw, headers
                else:
                    raw, headers = opened
                async with client.post("/webhook", data=raw, headers=headers) as resp:
                    outcomes[resp.status] += 1
            elapsed = time.perf_counter() - started
        finally:
            await client.close()
            await control.close()
            child.stdin.close()
            tail = json.loads((await child.stdout.read()).decode() or "{}")
            await child.wait()
            logging.getLogger().removeHandler(tally)

    print(
        f"{'deliveries':>10} {'RSS MB':>7} {'seen':>7} {'ETags':>6} {'roles':>6} "
        f"{'facts':>6} {'objects':>9}"
    )
    for sent, rss, s in rows:
        print(
            f"{sent:>10,} {rss:>7.1f} {s['seen']:>7,} {s['etag']:>6,} {s['roles']:>6,} "
            f"{s['facts']:>6,} {s['objects']:>9,}"
        )
    (half, rss_half, s_half), (end, rss_end, s_end) = rows[5], rows[-1]
    grew = rss_end - rss_half
    print(f"\nRSS after {end:,} deliveries: {rss_end:.1f} MB (at start {rows[0][1]:.1f} MB)")
    print(
        f"growth over the last half ({half:,} -> {end:,}): {grew:+.1f} MB, "
        f"{grew * 1024 / ((end - half) / 1000):+.1f} KB per 1,000 deliveries"
    )
    bounds = {"seen": SEEN_MAX, "etag": service.github.cache.maxsize, "roles": 4096, "facts": 1024}
    filling = [
        f"{k} {s_half[k]:,} -> {s_end[k]:,} of {bound:,}"
        for k, bound in bounds.items()
        if s_end[k] > s_half[k] and s_half[k] < bound
    ]
    print("caches still filling in the last half: " + ("; ".join(filling) or "none"))
    print(f"throughput: {total / elapsed:,.0f} deliveries/s ({elapsed:.1f} s, samples included)")
    print("HTTP answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    # Answered (queued, duplicate, ignored, ok for pings), then worked (done, failed, own_event).
    print("deliveries by outcome: " + metric(service, "bot_deliveries", "outcome"))
    print("GitHub requests: " + metric(service, "bot_github_requests", "method", "status"))
    print("bot log lines: " + ", ".join(f"{k} {v:,}" for k, v in tally.levels.most_common()))
    for msg, count in tally.errors.most_common(5):
        print(f"  warning/error x{count:,}: {msg}")
    print(f"fake GitHub contract violations: {tail.get('contract_violations')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 deliveries (CI smoke run)")
    parser.add_argument("--deliveries", type=int, help="how many (default 100,000)")
    parser.add_argument("--issues", type=int, default=2000, help="issue numbers to cycle over")
    parser.add_argument("--fakes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fakes:
        asyncio.run(serve_fakes())
        return 0
    total = args.deliveries or (2_000 if args.quick else 100_000)
    asyncio.run(bench(max(10, total - total % 10), args.issues))
    return 0


if __name__ == "__main__":
    sys.exit(main())
