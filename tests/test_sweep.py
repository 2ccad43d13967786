"""The sweep against the fake GitHub, through the real client: what it writes, what it reads,
and that a second pass right after the first writes nothing."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import bot.features.lifecycle.decide as lifecycle
from bot.core import markers
from bot.core.rules import Rules, load_rules
from bot.runtime.sweep import run_sweep_command, sweep
from tests.conftest import BOT_LOGIN, REPO, ROOT, TOKEN, service_for, settings_for

AWAITING = "status: awaiting response"
RULES = load_rules(ROOT / "rules.yaml")
REPO_RULES = RULES.for_repo(REPO)


class Sweeper:
    """A started service (its queue, its GitHub client and ETag cache) that sweeps REPO."""

    def __init__(self, github, rules: Rules = RULES, *, dry_run: bool = False, concurrency=8):
        self.service = service_for(github, rules, dry_run=dry_run, concurrency=concurrency)

    async def __aenter__(self):
        await self.service.start()
        self.api = await self.service.github.api_for_repo(REPO)
        return self

    async def __aexit__(self, *exc):
        await self.service.stop()

    async def __call__(self):
        return await sweep(self.service, self.api, REPO)


def with_repo_rules(repo_rules) -> Rules:
    return replace(RULES, repositories={REPO: repo_rules})


@pytest.fixture
async def api(github):
    """One sweeper for the whole test: later runs reuse the first run's conditional requests."""
    async with Sweeper(github) as sweeper:
        yield sweeper


def days_ago(github, days: float):
    return github.now() - timedelta(days=days)


TEXTS = {
    "account-recovery": ("Account recovery request", "I lost my 2FA device."),
    "limit request": ("File Limit Request: widgets - 200 MiB", "Our wheels are 150 MiB."),
    "PEP 541": ("PEP 541 Request: widgets", "The project is abandoned."),
    "network": ("Connection timeout", "pip times out when downloading."),
}


def seed(github, number, *, labels=("account-recovery",), age=60.0, user="alice", **kw):
    title, body = TEXTS[labels[0]]
    github.add_issue(
        REPO,
        number=number,
        title=title,
        body=body,
        user=user,
        labels=labels,
        created_at=days_ago(github, age),
        **kw,
    )


def staff_comment(github, number, age):
    github.add_comment(
        REPO,
        number,
        "We sent you an email.",
        user="staff",
        association="MEMBER",
        created_at=days_ago(github, age),
    )


def wait_on_requester(github, number, waited, *, age=None, category="account-recovery"):
    """An issue that staff answered and put in the requester's court `waited` days ago."""
    seed(github, number, labels=(category, AWAITING), age=age or waited + 1)
    staff_comment(github, number, waited)
    github.add_event(REPO, number, "labeled", "staff", days_ago(github, waited), label=AWAITING)


def bot_comment(github, number, age, kind, state):
    github.add_comment(
        REPO,
        number,
        markers.compose("text", kind, state),
        user=BOT_LOGIN,
        created_at=days_ago(github, age),
    )


def posted(github, number):
    return [c["body"] for c in github.comments(REPO, number) if c["user"]["login"] == BOT_LOGIN]


async def run(api, github):
    return await api()


async def test_one_sweep_acts_exactly_where_due_and_a_second_writes_nothing(api, github):
    wait_on_requester(github, 1, 20)  # nudge
    wait_on_requester(github, 2, 10)  # too early
    wait_on_requester(github, 3, 35)  # nudged 8 days ago: close
    since = lifecycle.iso(days_ago(github, 35))
    bot_comment(github, 3, 8, "nudge", {"since": since})
    wait_on_requester(github, 4, 35, category="limit request")  # replied after the nudge
    bot_comment(github, 4, 8, "nudge", {"since": lifecycle.iso(days_ago(github, 35))})
    github.add_comment(REPO, 4, "Here it is.", user="alice", created_at=days_ago(github, 2))
    seed(github, 5, age=8)  # unanswered recovery: overdue (too old for the catch-up)
    seed(github, 6, age=5)
    staff_comment(github, 6, 1)  # answered
    seed(github, 7, age=5, labels=("account-recovery", "overdue"))  # flag we put, now answered
    github.add_event(REPO, 7, "labeled", BOT_LOGIN, days_ago(github, 2), label="overdue")
    staff_comment(github, 7, 1)
    wait_on_requester(github, 8, 40)
    github.add_event(REPO, 8, "labeled", "staff", days_ago(github, 1), label="on hold", apply=True)
    seed(github, 9, age=1)  # too young
    staff_comment(github, 9, 0.5)  # (and answered: not for the catch-up either)
    seed(github, 10, age=50, pull_request=True)
    seed(github, 11, age=50, locked=True)
    seed(github, 12, age=50, labels=("network",))  # no response limit
    github.reset_calls()

    report = await run(api, github)

    writes = {(w.method, w.path.rsplit("/issues/", 1)[-1]) for w in github.writes}
    assert writes == {
        ("POST", "1/comments"),
        ("POST", "3/comments"),
        ("PATCH", "3"),
        ("POST", "5/labels"),
        ("DELETE", "7/labels/overdue"),
    }
    [nudge] = posted(github, 1)
    assert "@alice" in nudge and "20 days" in nudge
    assert github.issue(REPO, 3)["state"] == "closed"
    assert github.issue(REPO, 3)["state_reason"] == "not_planned"
    assert "Closing due to lack of response" in posted(github, 3)[-1]
    assert github.issue(REPO, 4)["state"] == "open"
    assert [x["name"] for x in github.issue(REPO, 5)["labels"]] == ["account-recovery", "overdue"]
    assert report.writes == 5 and not report.failed and not report.budget_exhausted
    # Oldest first, stopping at the first issue too young for any clock (#9); neither the
    # young, the exempt nor the limitless issues had their history read.
    listed = [c for c in github.calls if c.path == f"/repos/{REPO}/issues"]
    clocks = [c for c in listed if c.query["direction"] == "asc"]
    assert clocks and all(c.query["sort"] == "created" for c in clocks)
    # ...and one page of the newest issues, for the catch-up.
    assert [c.query["direction"] for c in listed if c not in clocks] == ["desc"]
    touched = {c.path.split("/")[5] for c in github.calls if "/issues/" in c.path}
    assert not touched & {"8", "9", "10", "11", "12"}

    github.reset_calls()
    again = await run(api, github)
    assert github.writes == [] and again.writes == 0
    # Unchanged answers come back as 304s: almost free.
    assert sum(1 for c in github.calls if c.status == 200) <= 8


async def test_a_reply_after_the_nudge_prevents_the_close(api, github):
    wait_on_requester(github, 1, 20, category="limit request")
    wait_on_requester(github, 2, 20, category="limit request")
    await run(api, github)
    assert len(posted(github, 1)) == 1 and len(posted(github, 2)) == 1
    github.advance(days=1)
    github.add_comment(REPO, 1, "Sorry, here is the info.", user="alice")
    github.advance(days=14)
    await run(api, github)
    assert github.issue(REPO, 1)["state"] == "open"
    assert len(posted(github, 1)) == 1
    assert github.issue(REPO, 2)["state"] == "closed"


async def test_bot_activity_does_not_restart_the_clock(api, github):
    wait_on_requester(github, 1, 20)
    github.add_comment(REPO, 1, "beep", user="other-bot[bot]", created_at=days_ago(github, 10))
    await run(api, github)
    assert len(posted(github, 1)) == 1


async def test_dry_run_writes_nothing_and_says_why(github):
    wait_on_requester(github, 1, 20)
    seed(github, 2, age=8)
    github.reset_calls()
    async with Sweeper(github, dry_run=True) as dry:
        report = await dry()
    assert github.writes == []
    lines = report.lines()
    assert any("#1: set_comment (nudge)" in x and "requester clock" in x for x in lines)
    assert any("#2: add_labels 'overdue'" in x and "maintainer clock" in x for x in lines)


async def test_the_command_prints_planned_actions_in_dry_run(github):
    wait_on_requester(github, 1, 20)
    out: list[str] = []
    status = await run_sweep_command(
        settings_for(github),
        RULES,
        REPO,
        True,
        out=out.append,
        clock=lambda: github.now().timestamp(),
    )
    assert status == 0 and github.writes == []
    assert any("requester clock" in x and "20.0 days" in x for x in out)
    assert out[-1].startswith(f"{REPO}: ")


async def test_the_write_budget_ends_a_run_and_the_next_carries_on(github, caplog):
    for n in range(1, 6):
        seed(github, n, age=8)
    repo_rules = replace(REPO_RULES, lifecycle=replace(REPO_RULES.lifecycle, write_budget=2))
    async with Sweeper(github, with_repo_rules(repo_rules), concurrency=1) as run_once:
        with caplog.at_level(logging.WARNING):
            report = await run_once()
        assert report.budget_exhausted and report.writes == 2 and len(github.writes) == 2
        assert any("write budget" in r.getMessage() for r in caplog.records)
        await run_once()
        await run_once()
    flagged = [n for n in range(1, 6) if "overdue" in str(github.issue(REPO, n)["labels"])]
    assert flagged == [1, 2, 3, 4, 5]


async def test_two_sweeps_at_once_post_one_nudge(api, github):
    wait_on_requester(github, 1, 20)
    # Both in one process (the scheduled sweep and `sweep` run by hand, say): the work queue
    # works the issue for one, then the other finds the nudge there.
    await asyncio.gather(api(), api())
    assert len(posted(github, 1)) == 1


async def test_snoozed_issue_is_left_alone(api, github):
    wait_on_requester(github, 1, 40)
    until = lifecycle.iso(github.now() + timedelta(days=2))
    bot_comment(github, 1, 1, "snooze", {"until": until})
    github.reset_calls()
    await run(api, github)
    assert github.writes == []


async def test_pep541_reminder_then_ready(api, github):
    seed(github, 1, labels=("PEP 541", "pep541: owner contacted"), age=60)
    staff_comment(github, 1, 59)
    attempts = [lifecycle.iso(days_ago(github, 15))]
    bot_comment(github, 1, 15, "pep541-clock", {"attempts": attempts})  # as /pep541 contacted
    await run(api, github)
    assert "attempt 2 of 3" in posted(github, 1)[-1]
    github.reset_calls()
    await run(api, github)
    assert github.writes == []
    github.advance(days=28)
    await run(api, github)
    labels = [x["name"] for x in github.issue(REPO, 1)["labels"]]
    assert "pep541: ready for decision" in labels
    assert "ready for a decision" in posted(github, 1)[-1]
    github.reset_calls()
    await run(api, github)
    assert github.writes == []


async def test_the_sweep_catches_up_new_issues_the_bot_never_answered(github):
    def new(number, minutes, **kw):
        github.add_issue(
            REPO,
            number=number,
            title="PEP 541 Request: widgets",
            body="The project is abandoned.",
            user=kw.pop("user", "alice"),
            created_at=github.now() - timedelta(minutes=minutes),
            **kw,
        )

    new(1, 20)  # missed: no comment 20 minutes on
    new(2, 2)  # its delivery may still be on the way
    new(3, 20)
    github.add_comment(REPO, 3, "Thanks!", user=BOT_LOGIN)  # answered
    new(4, 20, user="ewdurbin", author_association="MEMBER")  # triage leaves these alone
    new(5, 8 * 24 * 60)  # a week old and quiet: for people, not for triage
    async with Sweeper(github, dry_run=True) as dry:
        report = await dry()
    assert report.caught_up == [1]
    assert any(n == 1 and a.kind == "set_comment" for n, a in report.planned)
    assert github.writes == []

    async with Sweeper(github) as run_once:
        report = await run_once()
    assert report.caught_up == [1]
    assert [label["name"] for label in github.issue(REPO, 1)["labels"]] == ["PEP 541"]
    # The triage comment, and the name report as the delivery would have made it.
    kinds = [markers.trailing(c["body"])[0] for c in github.comments(REPO, 1)]
    assert kinds == ["triage", "name-report"]
    assert all(not github.comments(REPO, n) for n in (2, 4, 5))


async def sweep_command(github, cache_dir) -> tuple[int, str]:
    """`python -m bot sweep` in its own process, as cron runs it, against the fake GitHub."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sweep",
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": github.url,
            "BOT_RULES": str(ROOT / "rules.yaml"),
            "BOT_CACHE_DIR": str(cache_dir),
            "PYPI_URL": "http://127.0.0.1:9",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_a_second_sweep_process_reuses_the_first_ones_answers(github, tmp_path):
    github.set_clock(lambda: datetime.now(UTC))  # the child process reads the real clock
    for n in range(1, 4):
        wait_on_requester(github, n, 20)  # a nudge each
    for n in range(4, 30):
        wait_on_requester(github, n, 3)  # waiting, nothing due
    github.add_user(BOT_LOGIN)
    status, out = await sweep_command(github, tmp_path)
    assert status == 0, out
    assert [len(posted(github, n)) for n in range(1, 4)] == [1, 1, 1]
    assert list(tmp_path.glob("github-*.json.gz"))  # kept on disk, under a hashed name
    assert TOKEN not in "".join(p.read_bytes().hex() for p in tmp_path.iterdir())
    github.reset_calls()
    used = github.rate_limit()["used"]
    status, out = await sweep_command(github, tmp_path)
    assert status == 0, out
    assert github.writes == []
    # Only what the first run's own writes changed costs a point: the listing's page.
    assert github.rate_limit()["used"] - used <= 3
    assert sum(1 for c in github.calls if c.status == 304) >= 1


async def test_a_flag_never_flaps_across_sweeps(api, github):
    # A complete recovery request the bot never answered (it was down), 3 days old: the
    # sweep's catch-up answers it, the clock flags it (2-day target), and the bot's own
    # comment is no maintainer's answer: the next sweeps leave the flag alone.
    github.add_issue(
        REPO,
        number=1,
        title="Account recovery request",
        body=(
            "### PyPI Username\n\nalice\n\n### Reason for request\n\nI lost my 2FA phone.\n\n"
            "### Recovery Codes\n\n- [X] I never generated or have lost access to the "
            "recovery codes\n\n### Code of Conduct\n\n- [X] I agree to follow the PSF Code of "
            "Conduct\n"
        ),
        user="alice",
        created_at=days_ago(github, 3),
    )
    await run(api, github)
    caught_up = [markers.trailing(body)[0] for body in posted(github, 1)]
    assert caught_up == ["triage", "recovery-note"]
    assert "overdue" in {x["name"] for x in github.issue(REPO, 1)["labels"]}
    for _ in range(3):
        github.advance(hours=1)
        github.reset_calls()
        await run(api, github)
        assert github.writes == []
    # A maintainer's answer takes it off, once.
    github.add_comment(REPO, 1, "We sent you an email.", user="staff", association="MEMBER")
    await run(api, github)
    assert "overdue" not in {x["name"] for x in github.issue(REPO, 1)["labels"]}
