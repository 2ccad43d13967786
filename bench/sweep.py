"""Benchmark the lifecycle sweep against a fake GitHub repository with thousands of open issues.

    python bench/sweep.py            # 5,000 open issues
    python bench/sweep.py --quick    # 300 issues, a CI smoke run

The fake (tests/fake_github.FakeGitHub) runs in-process on a loopback port (aiohttp's test
server). Two approaches, each with its own client and conditional-request cache, each run
over the same repository (naive twice, the sweep three times):
- naive: list every open issue, then one comments and one events call per issue;
- sweep: bot.runtime.sweep (listing oldest first with an early stop, a pre-filter on the
  listing, each candidate's timeline, a fresh read of the issue before each write), through
  the service's work queue as `serve` runs it.
The naive pass only plans (it writes nothing); the sweep acts, so its second run must write
nothing (it re-reads, once, the issues the first run changed) and its third shows what an
unchanged repository costs. Printed per run: API calls by kind,
rate-limit points (a 304 costs none), writes, wall time, and peak traced memory (client and
fake server together, since both run in this process).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

import bot.features.lifecycle.decide as lifecycle  # noqa: E402
from bot.adapters.github import GitHub, RetryPolicy  # noqa: E402
from bot.core import markers  # noqa: E402
from bot.core.model import Comment, History, Issue, IssueEvent, Snapshot  # noqa: E402
from bot.core.rules import load_rules  # noqa: E402
from bot.runtime.config import Settings  # noqa: E402
from bot.runtime.service import Service  # noqa: E402
from bot.runtime.sweep import sweep  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

REPO = "pypi/support"
TOKEN = "bench-token"
BOT = "pypi-support-bot"
AWAITING = "status: awaiting response"
POLICY = RetryPolicy(
    attempts=3,
    backoff=0.01,
    max_wait=1,
    write_spacing=0,
    content_per_minute=None,
    content_per_hour=None,
)

CATEGORIES = [  # label, title, body, weight
    ("account-recovery", "Account recovery request", "### PyPI Username\n\nalice\n", 45),
    ("PEP 541", "PEP 541 Request: widgets", "### Project to be claimed\n\nwidgets\n", 25),
    ("limit request", "File Limit Request: widgets - 200 MiB", "### New Limit\n\n200\n", 10),
    ("network", "SSL error from pip", "### My Platform\n\nLinux\n", 5),
    ("mass name squat", "Mass name squat by user: bob", "squatting\n", 5),
    (None, "Question about my project", "How do I do this?", 10),
]


class _NoContract:
    """The fake checks every exchange against GitHub's OpenAPI; the bench has no use for it."""

    def request_problems(self, *args, **kwargs):
        return []

    def check_response(self, *args, **kwargs):
        return []


def seed(fake: FakeGitHub, n: int, rng: random.Random) -> Counter:
    """A realistic mix: mostly answered, old issues; some waiting on their requester, some
    overdue, a few on hold, assigned, locked, pull requests or under a PEP 541 clock."""
    now = fake.now()
    mix: Counter = Counter()
    weights = [c[3] for c in CATEGORIES]
    for number in range(1, n + 1):
        label, title, body, _ = rng.choices(CATEGORIES, weights)[0]
        age = min(1500.0, rng.expovariate(1 / 200))
        created = now - timedelta(days=age)
        labels = [label] if label else []
        extra = rng.random()
        if extra < 0.03:
            labels.append("on hold")
            mix["on hold"] += 1
        fake.add_issue(
            REPO,
            number=number,
            title=title,
            body=body,
            user=f"user{number}",
            labels=labels,
            created_at=created,
            assignees=["staff"] if 0.03 <= extra < 0.05 else [],
            locked=0.05 <= extra < 0.06,
            pull_request=0.06 <= extra < 0.08,
        )
        comments = rng.choice([0, 1, 1, 2, 2, 3, 4])
        answered = comments and rng.random() < 0.75
        t = created
        for i in range(comments):
            t = min(now, t + timedelta(days=rng.uniform(0, age / (comments + 1))))
            staff = answered and i == 0
            fake.add_comment(
                REPO,
                number,
                "We have sent you an email." if staff else "Any news?",
                user="staff" if staff else f"user{number}",
                association="MEMBER" if staff else "NONE",
                created_at=t,
            )
        if answered and rng.random() < 0.15 and age > 1:
            wait = rng.uniform(0, min(age, 60))
            fake.add_event(
                REPO,
                number,
                "labeled",
                "staff",
                now - timedelta(days=wait),
                label=AWAITING,
                apply=True,
            )
            mix["awaiting"] += 1
        if label == "PEP 541" and rng.random() < 0.1 and age > 1:
            start = now - timedelta(days=rng.uniform(0, min(age, 60)))
            state = {"attempts": [start.strftime("%Y-%m-%dT%H:%M:%SZ")]}
            fake.add_comment(
                REPO,
                number,
                "Clock\n\n" + markers.marker("pep541-clock", state),
                user=BOT,
                created_at=start,
            )
            mix["pep541 clock"] += 1
        mix[label or "uncategorised"] += 1
    return mix


def kind_of(method: str, path: str) -> str:
    tail = path.split(f"/repos/{REPO}/", 1)[-1]
    parts = tail.split("/")
    if method == "GET":
        if tail == "issues":
            return "GET list issues"
        if len(parts) == 2:
            return "GET issue"
        return f"GET {parts[-1]}"
    if parts[-1] == "comments":
        return f"{method} comment"
    if "labels" in parts:
        return f"{method} label"
    return f"{method} issue"


async def naive(api, rules, now) -> int:
    """List everything, then one comments and one events call per issue; plan only."""
    issues = [Issue.from_api(d, REPO) async for d in api.iterate(f"/repos/{REPO}/issues")]
    sem = asyncio.Semaphore(8)
    planned = 0

    async def one(issue: Issue) -> None:
        nonlocal planned
        async with sem:
            comments = await api.comments(REPO, issue.number)
            events = await api.events(REPO, issue.number)
        history = History(
            tuple(Comment.from_api(c) for c in comments),
            tuple(IssueEvent.from_api(e) for e in events),
            bot_login=BOT,
        )
        planned += len(lifecycle.decide(Snapshot(issue, history), rules, now))

    await asyncio.gather(*(one(i) for i in issues))
    return planned


async def measure(fake: FakeGitHub, label: str, coro) -> dict:
    fake.reset_calls()
    lifecycle._categories.clear()  # each run recognises its issues afresh
    used = fake.rate_limit()["used"]
    tracemalloc.reset_peak()
    started = time.perf_counter()
    result = await coro
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    kinds = Counter(kind_of(c.method, c.path) for c in fake.calls)
    statuses = Counter(c.status for c in fake.calls)
    return {
        "run": label,
        "calls": len(fake.calls),
        "304s": statuses.get(304, 0),
        "points": fake.rate_limit()["used"] - used,
        "writes": len(fake.writes),
        "seconds": seconds,
        "peak_mb": peak / 2**20,
        "kinds": kinds,
        "result": result,
    }


def show(row: dict) -> None:
    print(
        f"{row['run']:<14} calls {row['calls']:>6}  (304: {row['304s']:>6})  "
        f"points {row['points']:>6}  writes {row['writes']:>4}  "
        f"{row['seconds']:>7.2f} s  peak {row['peak_mb']:>7.1f} MiB"
    )
    print("               " + ", ".join(f"{k}: {v}" for k, v in sorted(row["kinds"].items())))


async def main(n: int, seed_value: int) -> None:
    rng = random.Random(seed_value)
    fake = FakeGitHub(contract=_NoContract(), core_limit=10_000_000)
    fake.add_token(TOKEN, BOT)
    fake.add_repo(REPO)
    started = time.perf_counter()
    mix = seed(fake, n, rng)
    print(f"seeded {n} open issues in {time.perf_counter() - started:.1f} s: {dict(mix)}")
    rules = load_rules(ROOT / "rules.yaml").for_repo(REPO)
    assert rules is not None
    # The bench measures whole passes: lift the write budget (200 in the shipped rules).
    rules = replace(rules, lifecycle=replace(rules.lifecycle, write_budget=1_000_000))
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    settings = Settings(token=TOKEN, api_url=url)
    now = fake.now()
    tracemalloc.start()
    rows = []
    try:
        async with aiohttp.ClientSession() as session:
            client = GitHub(settings, session, policy=POLICY, cache_size=50_000)
            api = await client.api_for_repo(REPO)
            rows.append(await measure(fake, "naive #1", naive(api, rules, now)))
            rows.append(await measure(fake, "naive #2", naive(api, rules, now)))
        all_rules = load_rules(ROOT / "rules.yaml")
        all_rules = replace(all_rules, repositories={REPO: rules})
        service = Service(
            settings, all_rules, policy=POLICY, cache_size=50_000, clock=lambda: now.timestamp()
        )
        await service.start()
        try:
            api = await service.github.api_for_repo(REPO)
            for i in (1, 2, 3):
                rows.append(await measure(fake, f"sweep #{i}", sweep(service, api, REPO)))
        finally:
            await service.stop()
    finally:
        tracemalloc.stop()
        await server.close()
    for row in rows:
        show(row)
    first, second = rows[2]["result"], rows[3]["result"]
    print(
        f"sweep #1: listed {first.listed}, checked {first.candidates}, "
        f"planned/done {len(first.planned)} ({Counter(a.kind for _, a in first.planned)}); "
        f"naive planned {rows[0]['result']}"
    )
    print(f"sweep #2: writes {second.writes} (expected 0)")
    if second.writes or rows[3]["writes"] or rows[4]["writes"]:
        raise SystemExit("a repeated sweep wrote something")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 issues (CI smoke run)")
    parser.add_argument("--issues", type=int, default=None)
    parser.add_argument("--seed", type=int, default=541)
    args = parser.parse_args()
    asyncio.run(main(args.issues or (300 if args.quick else 5000), args.seed))
