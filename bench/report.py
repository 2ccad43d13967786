"""Benchmark the queue report against a fake GitHub repository of thousands of issues.

    python bench/report.py            # 5,000 issues over two years
    python bench/report.py --quick    # 300 issues, a CI smoke run

The fake (tests/fake_github.FakeGitHub) runs in-process on a loopback port. The report is
read three times through one started service (one client, one conditional-request cache,
as the `report` command gets it): run 1 cold, run 2 over the unchanged history (every page
and timeline a 304, which costs no rate-limit point), run 3 after one new comment. Printed
per run: API calls by kind, rate-limit points, wall time, peak traced memory (client and
fake server together, since both run in this process), and the time to compute and render
the figures from what was read.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestServer  # noqa: E402

from bot.adapters.github import RetryPolicy  # noqa: E402
from bot.core import markers  # noqa: E402
from bot.core.queue_report import compute  # noqa: E402
from bot.core.report_views import View, html_page, markdown  # noqa: E402
from bot.core.rules import load_rules  # noqa: E402
from bot.runtime.config import Settings  # noqa: E402
from bot.runtime.report import REPORT_CACHE_SIZE, read_snapshots, window  # noqa: E402
from bot.runtime.service import Service  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402

REPO = "pypi/support"
TOKEN = "bench-token"
BOT = "pypi-support-bot"
AWAITING = "status: awaiting response"
POLICY = RetryPolicy(attempts=3, backoff=0.01, max_wait=1, write_spacing=0)
STAFF = ("ewdurbin", "di", "miketheman")

# label, title, weight, median first response in hours (a log-normal spread around it)
CATEGORIES = [
    ("account-recovery", "Account recovery request", 45, 36),
    ("PEP 541", "PEP 541 Request: widgets", 20, 150),
    ("limit request", "File Limit Request: widgets - 200 MiB", 15, 100),
    ("network", "SSL error from pip", 5, 200),
    ("mass name squat", "Mass name squat by user: bob", 5, 48),
    (None, "Question about my project", 10, 72),
]


class _NoContract:
    """The fake checks every exchange against GitHub's OpenAPI; the bench has no use for it."""

    def request_problems(self, *args, **kwargs):
        return []

    def check_response(self, *args, **kwargs):
        return []


def seed(fake: FakeGitHub, n: int, rng: random.Random, days: float = 730) -> Counter:
    """Issues opened over `days`, most answered by staff and closed; a workflow's and the
    bot's comments on each; some waiting on their requester, some nudged and closed by the
    bot, a few reopened afterwards."""
    now = fake.now()
    mix: Counter = Counter()
    weights = [c[2] for c in CATEGORIES]
    for number in range(1, n + 1):
        label, title, _, median = rng.choices(CATEGORIES, weights)[0]
        created = now - timedelta(days=rng.uniform(0, days))
        user = f"user{number}"
        fake.add_issue(
            REPO,
            number=number,
            title=title,
            body="Please help.",
            user=user,
            labels=[label] if label else [],
            created_at=created,
        )

        def at(hours: float, created=created):
            return min(now, created + timedelta(hours=hours))

        fake.add_comment(
            REPO, number, "Thanks for filing.", user="github-actions[bot]", created_at=at(0.01)
        )
        fake.add_comment(
            REPO, number, markers.compose("Triage.", "triage"), user=BOT, created_at=at(0.02)
        )
        response = rng.lognormvariate(0, 1) * median
        if rng.random() < 0.3:
            fake.add_comment(REPO, number, "Any news?", user=user, created_at=at(response / 2))
        if at(response) < now and rng.random() < 0.9:
            who = rng.choice(STAFF)
            fake.add_comment(
                REPO,
                number,
                "We sent an email.",
                user=who,
                association="MEMBER",
                created_at=at(response),
            )
            fate = rng.random()
            if fate < 0.6 and at(response * 3) < now:
                reason = "completed" if rng.random() < 0.8 else "not_planned"
                fake.add_event(
                    REPO, number, "closed", who, at(response * 3), state_reason=reason, apply=True
                )
                mix["closed by staff"] += 1
            elif fate < 0.75:
                fake.add_event(
                    REPO, number, "labeled", who, at(response), label=AWAITING, apply=True
                )
                state = {"since": at(response).strftime("%Y-%m-%dT%H:%M:%SZ")}
                if at(response + 14 * 24) < now:
                    body = markers.compose("Nudge.", "nudge", state)
                    fake.add_comment(REPO, number, body, user=BOT, created_at=at(response + 336))
                    mix["nudged"] += 1
                if at(response + 30 * 24) < now:
                    body = markers.compose("Closing.", "close-no-response", state)
                    fake.add_comment(REPO, number, body, user=BOT, created_at=at(response + 720))
                    fake.add_event(
                        REPO,
                        number,
                        "closed",
                        BOT,
                        at(response + 720),
                        state_reason="not_planned",
                        apply=True,
                    )
                    mix["closed by the bot"] += 1
                    if rng.random() < 0.05:
                        fake.add_event(
                            REPO, number, "reopened", user, at(response + 800), apply=True
                        )
                        mix["reopened"] += 1
                else:
                    mix["awaiting"] += 1
            elif rng.random() < 0.5:
                fake.add_comment(
                    REPO, number, "Thanks, and?", user=user, created_at=at(response * 2)
                )
        mix[label or "uncategorised"] += 1
    return mix


def kind_of(method: str, path: str) -> str:
    tail = path.split(f"/repos/{REPO}/", 1)[-1]
    return "GET issues (listing)" if tail == "issues" else f"{method} {tail.split('/')[-1]}"


async def measure(fake: FakeGitHub, label: str, coro) -> dict:
    fake.reset_calls()
    used = fake.rate_limit()["used"]
    tracemalloc.reset_peak()
    started = time.perf_counter()
    result = await coro
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    statuses = Counter(c.status for c in fake.calls)
    return {
        "run": label,
        "calls": len(fake.calls),
        "304s": statuses.get(304, 0),
        "points": fake.rate_limit()["used"] - used,
        "seconds": seconds,
        "peak_mb": peak / 2**20,
        "kinds": Counter(kind_of(c.method, c.path) for c in fake.calls),
        "result": result,
    }


async def main(n: int, seed_value: int) -> None:
    rng = random.Random(seed_value)
    fake = FakeGitHub(contract=_NoContract(), core_limit=10_000_000)
    fake.add_token(TOKEN, BOT)
    fake.add_repo(REPO)
    started = time.perf_counter()
    mix = seed(fake, n, rng)
    print(f"seeded {n} issues in {time.perf_counter() - started:.1f} s: {dict(mix)}")
    rules = load_rules(ROOT / "rules.yaml")
    repo_rules = rules.for_repo(REPO)
    assert repo_rules is not None
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    settings = Settings(token=TOKEN, api_url=url)
    now = fake.now()
    since, until = window(now, repo_rules.report.window_days)
    service = Service(
        settings,
        rules,
        policy=POLICY,
        cache_size=REPORT_CACHE_SIZE,
        clock=lambda: fake.now().timestamp(),
    )
    tracemalloc.start()
    rows = []
    try:
        await service.start()
        api = await service.github.api_for_repo(REPO)
        read = lambda: read_snapshots(api, REPO, since, until, BOT)  # noqa: E731
        rows.append(await measure(fake, "run 1 (cold)", read()))
        rows.append(await measure(fake, "run 2 (same)", read()))
        open_issue = next(i for i in fake.issues(REPO) if i["state"] == "open")
        fake.add_comment(REPO, open_issue["number"], "Any news?", user=open_issue["user"]["login"])
        rows.append(await measure(fake, "run 3 (+1 comment)", read()))
    finally:
        await service.stop()
        tracemalloc.stop()
        await server.close()
    for row in rows:
        print(
            f"{row['run']:<19} calls {row['calls']:>6}  (304: {row['304s']:>6})  "
            f"points {row['points']:>6}  {row['seconds']:>7.2f} s  peak {row['peak_mb']:>7.1f} MiB"
        )
        print(
            "                    " + ", ".join(f"{k}: {v}" for k, v in sorted(row["kinds"].items()))
        )
    snapshots = rows[-1]["result"]
    started = time.perf_counter()
    report = compute(REPO, snapshots, repo_rules, since, until)
    view = View(refresh_hours=repo_rules.report.refresh_hours)
    body, page = markdown(report, view), html_page(report, view, computed_at=until)
    figures = time.perf_counter() - started
    recovery = report.category("account-recovery")
    print(
        f"figures from {report.issues} issues computed and rendered in {figures:.2f} s "
        f"(dashboard body {len(body):,} characters, page {len(page):,} bytes); "
        f"account-recovery: opened {recovery.opened}, first response median "
        f"{recovery.first_response.median} h, within target {recovery.within_target_pct} %"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 issues (CI smoke run)")
    parser.add_argument("--issues", type=int, default=None)
    parser.add_argument("--seed", type=int, default=541)
    args = parser.parse_args()
    asyncio.run(main(args.issues or (300 if args.quick else 5000), args.seed))
