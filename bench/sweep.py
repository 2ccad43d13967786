"""The sweep on a pypi/support-like tracker, on GitHub's terms.

    python bench/sweep.py            # 5,000 open issues (run 1 takes minutes: writes are paced)
    python bench/sweep.py --quick    # 300 issues, a CI smoke run

The fake GitHub (tests/fake_github.FakeGitHub, on a loopback port) enforces GitHub's secondary
limits: 80 comments a minute, 500 an hour, and no write while another is being answered. The
tracker is the 2024 one: 10% of the open issues wait on their requester (the awaiting label),
the rest are an older backlog waiting on the maintainers.

Three scenarios, each run twice as two processes run it (a fresh service per run, the second
reusing the first's conditional-request answers from disk, as `python -m bot sweep` from cron):

- like-for-like with actions/stale: only the waiting-on-requester clock, a budget large enough
  for every due nudge. actions/stale needed 1,503 requests on such a repository (issue 13);
- the shipped rules, with a budget large enough for everything;
- the shipped rules with a small budget: every requester-facing write before any flag.

Printed per run: requests, rate-limit points, 304s, writes, secondary-limit refusals, the
smallest interval between two writes, and where the first maintainer-facing write came.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestServer  # noqa: E402

from bot.adapters.github import RetryPolicy  # noqa: E402
from bot.core.rules import Rules, load_rules  # noqa: E402
from bot.runtime.config import Settings  # noqa: E402
from bot.runtime.service import Service  # noqa: E402
from bot.runtime.sweep import sweep  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

REPO = "pypi/support"
TOKEN = "bench-token"
BOT = "pypi-support-bot"
AWAITING = "status: awaiting response"
STALE_REQUESTS = 1503  # actions/stale on the same repository, as measured for issue 13

CATEGORIES = [  # label, title, body, weight
    ("account-recovery", "Account recovery request", "### PyPI Username\n\nsomeone\n", 45),
    ("PEP 541", "PEP 541 Request: widgets", "### Project to be claimed\n\nwidgets\n", 25),
    ("limit request", "File Limit Request: widgets - 200 MiB", "### New Limit\n\n200\n", 10),
    ("network", "SSL error from pip", "### My Platform\n\nLinux\n", 5),
    (None, "Question about my project", "How do I do this?", 15),
]


class _NoContract:
    """The fake checks every exchange against GitHub's OpenAPI; the bench has no use for it."""

    def request_problems(self, *args, **kwargs):
        return []

    def check_response(self, *args, **kwargs):
        return []


def seed(fake: FakeGitHub, n: int, rng: random.Random) -> tuple[set[int], set[int]]:
    """The tracker; returns the issues whose requester is due a nudge, and those whose
    requester answered (the truth to check the sweep against)."""
    now = fake.now()
    due: set[int] = set()
    answered: set[int] = set()
    for number in range(1, n + 1):
        label, title, body, _ = rng.choices(CATEGORIES, [c[3] for c in CATEGORIES])[0]
        user = f"user{number}"
        waiting = rng.random() < 0.10
        age = rng.uniform(20, 120) if waiting else min(900.0, 30 + rng.expovariate(1 / 250))
        created = now - timedelta(days=age)
        labels = [x for x in (label, AWAITING if waiting else None) if x]
        fake.add_issue(
            REPO,
            number=number,
            title=title,
            body=body,
            user=user,
            labels=labels,
            created_at=created,
        )
        staff_at = created + timedelta(days=rng.uniform(0.5, 10))
        if waiting:
            asked = now - timedelta(days=rng.uniform(0, min(age - 11, 40)))
            staff_at = min(staff_at, asked - timedelta(days=1))
        fake.add_comment(
            REPO,
            number,
            "We need a little more from you.",
            user="staff",
            association="MEMBER",
            created_at=staff_at,
        )
        if not waiting:
            if rng.random() < 0.5:
                later = staff_at + timedelta(days=rng.uniform(1, 20))
                fake.add_comment(REPO, number, "Any news?", user=user, created_at=min(later, now))
            continue
        fake.add_event(REPO, number, "labeled", "staff", asked, label=AWAITING, apply=True)
        if rng.random() < 0.1:  # the requester answered; the label is still on
            fake.add_comment(
                REPO,
                number,
                "Here it is.",
                user=user,
                created_at=min(now, asked + timedelta(hours=rng.uniform(1, 48))),
            )
            answered.add(number)
        elif (now - asked).days >= 14:
            due.add(number)
    return due, answered


def stale_like(rules: Rules) -> Rules:
    """Only the waiting-on-requester clock, and a budget for everything."""
    repo = rules.for_repo(REPO)
    assert repo is not None
    repo = replace(
        repo,
        categories=tuple(replace(c, maintainer_response_days=None) for c in repo.categories),
        lifecycle=replace(
            repo.lifecycle,
            write_budget=100_000,
            reachability=replace(repo.lifecycle.reachability, enabled=False),
        ),
    )
    return replace(rules, repositories={REPO: repo})


def with_budget(rules: Rules, budget: int) -> Rules:
    repo = rules.for_repo(REPO)
    assert repo is not None
    repo = replace(repo, lifecycle=replace(repo.lifecycle, write_budget=budget))
    return replace(rules, repositories={REPO: repo})


async def run(fake: FakeGitHub, url: str, rules: Rules, cache_dir: str, spacing: float) -> dict:
    """One `python -m bot sweep` process: a fresh service, its cache from disk."""
    policy = RetryPolicy(write_spacing=spacing)
    settings = Settings(token=TOKEN, api_url=url, cache_dir=cache_dir)
    service = Service(settings, rules, policy=policy)
    fake.reset_calls()
    fake.refusals.clear()
    used = fake.rate_limit()["used"]
    started = time.perf_counter()
    await service.start()
    try:
        report = await sweep(service, await service.github.api_for_repo(REPO), REPO)
    finally:
        await service.stop()
    writes = [c for c in fake.calls if c.is_write and c.status and c.status < 400]
    gaps = [b.at - a.at for a, b in itertools.pairwise(writes)]
    flags = [i for i, w in enumerate(writes) if "/labels" in w.path and "overdue" in str(w)]
    people = [i for i, w in enumerate(writes) if w.path.endswith("/comments")]
    return {
        "requests": len(fake.calls),
        "points": fake.rate_limit()["used"] - used,
        "304s": sum(1 for c in fake.calls if c.status == 304),
        "writes": len(writes),
        "nudged": {n for n, a in report.planned if getattr(a, "marker", "") == "nudge"},
        "refusals": len(fake.refusals),
        "min_gap_s": min(gaps) if gaps else None,
        "requester_before_flags": not flags or not people or max(people) < min(flags),
        "budget_reached": report.budget_exhausted,
        "seconds": time.perf_counter() - started,
    }


def show(name: str, row: dict) -> None:
    gap = f"{row['min_gap_s']:.2f} s" if row["min_gap_s"] is not None else "-"
    print(
        f"{name:<28} requests {row['requests']:>6}  points {row['points']:>5}  "
        f"304s {row['304s']:>5}  writes {row['writes']:>4} (nudges {len(row['nudged']):>4})  "
        f"refusals {row['refusals']}  min gap {gap}  "
        f"requester first: {'yes' if row['requester_before_flags'] else 'NO'}"
        f"{'  budget reached' if row['budget_reached'] else ''}  {row['seconds']:.0f} s"
    )


async def main(n: int, spacing: float, seed_value: int) -> None:
    shipped = load_rules(ROOT / "rules.yaml")
    scenarios = [
        ("like-for-like (stale)", stale_like(shipped)),
        ("shipped rules", with_budget(shipped, 100_000)),
        ("shipped rules, budget 40", with_budget(shipped, 40)),
    ]
    for name, rules in scenarios:
        fake = FakeGitHub(contract=_NoContract(), core_limit=10_000_000)
        fake.set_clock(lambda: datetime.now(UTC))
        fake.add_token(TOKEN, BOT)
        fake.add_repo(REPO)
        fake.enforce_secondary_limits()
        due, answered = seed(fake, n, random.Random(seed_value))
        server = TestServer(fake.app, host="127.0.0.1")
        await server.start_server()
        url = str(server.make_url("")).rstrip("/")
        print(f"{name}: {n} open issues, {len(due)} requesters due a nudge")
        with tempfile.TemporaryDirectory() as cache_dir:
            for i in (1, 2):
                row = await run(fake, url, rules, cache_dir, spacing)
                show(f"  run {i}", row)
                if i == 1:
                    # Due by the time the run ended (it takes minutes: a wait may cross the
                    # 14 days meanwhile); never anyone who answered.
                    missed = due - row["nudged"]
                    wrong = row["nudged"] & answered
                    print(f"  due but not nudged: {len(missed)}; answered but nudged: {len(wrong)}")
                if name.startswith("like") and i == 1:
                    share = row["requests"] / STALE_REQUESTS
                    print(f"  run 1 against actions/stale's {STALE_REQUESTS}: {share:.2f}x")
        await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 issues, fast writes (CI)")
    parser.add_argument("--issues", type=int, default=None)
    parser.add_argument("--spacing", type=float, default=None, help="seconds between writes")
    parser.add_argument("--seed", type=int, default=541)
    args = parser.parse_args()
    issues = args.issues or (300 if args.quick else 5000)
    spacing = args.spacing if args.spacing is not None else (0.0 if args.quick else 1.0)
    asyncio.run(main(issues, spacing, args.seed))
