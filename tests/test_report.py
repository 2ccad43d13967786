"""The queue report (README, "Queue report") against a seeded fake GitHub: every figure
computed by hand below, from issues, comments, events and closes at known times; then the
dashboard issue the sweep keeps (one issue, edited in place) and the `/report` page."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from bot.adapters.github import AmbiguousWrite
from bot.core import markers
from bot.core.queue_report import compute
from bot.core.rules import Report, Rules, load_rules
from bot.runtime.config import ConfigError
from bot.runtime.report import build, parse_when, run_report_command, view_of, write_dashboard
from bot.runtime.service import Service
from bot.runtime.sweep import sweep
from bot.runtime.webhook import make_app
from tests.conftest import BOT_LOGIN, FAST, REPO, ROOT, TOKEN, run_bot, service_for, settings_for

AWAITING = "status: awaiting response"
RULES = load_rules(ROOT / "rules.yaml")
SINCE = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
UNTIL = datetime(2026, 1, 26, tzinfo=UTC)  # three weeks later, excluded
NOW = datetime(2026, 2, 1, tzinfo=UTC)  # when the report is run: things changed since UNTIL
STAFF, DI = "ewdurbin", "di"  # maintainers (MEMBER)
ACTIONS = "github-actions[bot]"


def t(days: float, hours: float = 0) -> datetime:
    """A time in the window: `days` and `hours` after SINCE (Monday, 5 January 2026)."""
    return SINCE + timedelta(days=days, hours=hours)


def after(start: datetime, hours: float) -> datetime:
    return start + timedelta(hours=hours)


def issue(github, number, label, user, created, **kw):
    github.add_issue(
        REPO,
        number=number,
        title=kw.pop("title", f"Request {number}"),
        body=kw.pop("body", "Please help."),
        user=user,
        labels=[label] if label else [],
        created_at=created,
        **kw,
    )


def say(github, number, user, when, body="ok", association=None, **kw):
    github.add_comment(
        REPO, number, body, user=user, association=association, created_at=when, **kw
    )


def staff(github, number, when, who=STAFF):
    say(github, number, who, when, "We are on it.", association="MEMBER")


def close(github, number, who, when, reason="completed"):
    github.add_event(REPO, number, "closed", who, when, state_reason=reason, apply=True)


def ours(github, number, when, kind, state=None, **kw):
    """A comment by this bot, with a maintainer's association: it must count for nothing."""
    body = markers.compose("Bot text.", kind, state)
    say(github, number, BOT_LOGIN, when, body, association="MEMBER", **kw)


def seed_queue(github, *, dashboard: bool = True) -> None:
    """The repository the figures below are computed from by hand."""
    github.set_now(NOW)
    # --- account-recovery (target: 2 days = 48 h) ---------------------------------------
    # #1, opened Mon 5 Jan 00:00: a workflow's and this bot's comments (both with a
    # maintainer's association; the bot's edited days later), the author's own comment,
    # then staff after 10 h. First response 10 h.
    issue(github, 1, "account-recovery", "alice", t(0))
    say(github, 1, ACTIONS, after(t(0), 0.1), "Thanks for filing.", association="MEMBER")
    ours(github, 1, after(t(0), 0.2), "triage", updated_at=after(t(0), 90))
    say(github, 1, "alice", after(t(0), 1), "Any news?")
    staff(github, 1, after(t(0), 10))
    # #2, opened Tue 6 Jan: triage asked for a field (the bot's label), staff answered after
    # 30 h (first response 30 h), the bot took its label off after that (staff helped: not
    # a completed verification); then the author wrote on Fri 9 Jan 00:00 and again later:
    # waiting on maintainers since 9 Jan 00:00 = 17 days before UNTIL = 408 h.
    issue(github, 2, "account-recovery", "bob", t(1))
    github.add_event(REPO, 2, "labeled", BOT_LOGIN, after(t(1), 0.1), label=AWAITING)
    ours(github, 2, after(t(1), 0.1), "triage", {"awaiting": "done", "was_missing": True})
    staff(github, 2, after(t(1), 30))
    github.add_event(REPO, 2, "unlabeled", BOT_LOGIN, after(t(1), 50), label=AWAITING)
    say(github, 2, "bob", t(4), "Here it is.")
    say(github, 2, "bob", t(6), "Hello?")
    # #3, opened Wed 7 Jan: closed (completed) by staff after 60 h, Fri 9 Jan 12:00, with
    # no comment: the close is the first response, 60 h.
    issue(github, 3, "account-recovery", "carol", t(2))
    close(github, 3, STAFF, after(t(2), 60))
    # #4, opened Thu 8 Jan: its author closed it (not planned) 5 h later: no response.
    issue(github, 4, "account-recovery", "dave", t(3))
    close(github, 4, "dave", after(t(3), 5), "not_planned")
    # #5, opened Sat 20 Dec 2025, before the window, never answered: waiting since then,
    # 37 days (11 to 31 Dec, 26 in January) = 888 h. A nudge before the window.
    issue(github, 5, "account-recovery", "erin", datetime(2025, 12, 20, tzinfo=UTC))
    ours(github, 5, datetime(2025, 12, 25, tzinfo=UTC), "nudge", {"since": "2025-12-20"})
    # #6, opened Tue 20 Jan: triage asked for a field, the author answered 24 h later and
    # the bot took its label off: a verification completed without staff. Unanswered, 6
    # days (144 h) old at UNTIL: waiting 144 h; a bot's comment afterwards changes nothing.
    issue(github, 6, "account-recovery", "frank", t(15))
    github.add_event(REPO, 6, "labeled", BOT_LOGIN, after(t(15), 0.1), label=AWAITING)
    ours(github, 6, after(t(15), 0.1), "triage", {"awaiting": "done", "was_missing": True})
    say(github, 6, "frank", after(t(15), 24), "Added my username.")
    github.add_event(REPO, 6, "unlabeled", BOT_LOGIN, after(t(15), 24.1), label=AWAITING)
    say(github, 6, ACTIONS, after(t(15), 48), "Still open.", association="MEMBER")
    # #7, opened Sat 24 Jan 12:00, 36 h before UNTIL: unanswered but younger than the
    # target; a stranger spoke last, so it does not wait on the maintainers.
    issue(github, 7, "account-recovery", "gina", t(19, 12))
    say(github, 7, "zed", t(20), "+1, same here")
    # #8, opened Sat 10 Jan: staff answered after 20 h and put the awaiting label on; they
    # took it off on 27 Jan, after UNTIL: at UNTIL it waits on its requester. A nudge by
    # the bot on Tue 20 Jan.
    issue(github, 8, "account-recovery", "hank", t(5))
    staff(github, 8, after(t(5), 20))
    github.add_event(REPO, 8, "labeled", STAFF, after(t(5), 20), label=AWAITING, apply=True)
    ours(github, 8, t(15), "nudge", {"since": "2026-01-10T20:00:00Z"})
    github.add_event(
        REPO, 8, "unlabeled", STAFF, datetime(2026, 1, 27, tzinfo=UTC), label=AWAITING, apply=True
    )
    # #9, opened Sun 11 Jan: the bot closed it for lack of response 10 h later (no
    # response: bots never count), the author reopened it on Tue 13 Jan, staff answered on
    # Tue 13 Jan 02:00: first response 50 h.
    issue(github, 9, "account-recovery", "ivan", t(6))
    ours(github, 9, after(t(6), 10), "close-no-response", {"since": "2026-01-11T00:00:00Z"})
    close(github, 9, BOT_LOGIN, after(t(6), 10), "not_planned")
    github.add_event(REPO, 9, "reopened", "ivan", t(8), apply=True)
    staff(github, 9, t(8, 2))
    # #10, opened Wed 14 Jan by a maintainer, who comments on it (their own: no response);
    # another maintainer after 4 h. Closed on 28 Jan, after UNTIL: open at UNTIL.
    issue(github, 10, "account-recovery", DI, t(9), author_association="MEMBER")
    say(github, 10, DI, after(t(9), 1), "More details.", association="MEMBER")
    staff(github, 10, after(t(9), 4))
    close(github, 10, STAFF, datetime(2026, 1, 28, tzinfo=UTC))
    # #11: a pull request with the label is not counted.
    issue(github, 11, "account-recovery", "pat", t(2), pull_request=True)
    # --- PEP 541 (target: 7 days = 168 h) -----------------------------------------------
    # #20, opened Mon 5 Jan 12:00, answered after 100 h.
    issue(github, 20, "PEP 541", "lara", t(0, 12))
    staff(github, 20, after(t(0, 12), 100))
    # #21, opened Mon 12 Jan, never answered: 14 days = 336 h at UNTIL.
    issue(github, 21, "PEP 541", "mike", t(7))
    # --- no category --------------------------------------------------------------------
    # #31, opened Wed 7 Jan, answered after 3 h and closed (completed) on Thu 8 Jan.
    issue(github, 31, None, "nina", t(2))
    staff(github, 31, after(t(2), 3))
    close(github, 31, STAFF, t(3))
    # #30, opened and closed before the window: it counts nowhere.
    issue(github, 30, "PEP 541", "olaf", datetime(2025, 11, 1, tzinfo=UTC))
    close(github, 30, STAFF, datetime(2025, 12, 1, tzinfo=UTC))
    # #40: a dashboard this bot opened: not a request, never counted.
    if dashboard:
        issue(github, 40, None, BOT_LOGIN, t(1), body=markers.compose("Figures.", "dashboard"))


ZERO = {"count": 0, "mean": None, "median": None, "p90": None}


def empty(label: str | None, target: float | None) -> dict:
    return {
        "label": label,
        "opened": 0,
        "closed": 0,
        "closed_completed": 0,
        "closed_not_planned": 0,
        "open_at_end": 0,
        "unanswered": 0,
        "first_response_hours": ZERO,
        "target_hours": target,
        "within_target_pct": None,
        "waiting_on_requester": 0,
        "waiting_on_maintainers": [],
    }


EXPECTED = {
    "repository": REPO,
    "since": "2026-01-05T00:00:00Z",
    "until": "2026-01-26T00:00:00Z",
    "categories": {
        "account-recovery": {
            "label": "account-recovery",
            # opened in the window: #1 #2 #3 #4 #6 #7 #8 #9 #10 (not #5: older; not #11: a PR)
            "opened": 9,
            # closed in the window: #3 (completed), #4 and #9 (not planned; #9 was reopened)
            "closed": 3,
            "closed_completed": 1,
            "closed_not_planned": 2,
            # open at UNTIL: #1 #2 #5 #6 #7 #8 #9 #10 (#10 closed only on 28 Jan)
            "open_at_end": 8,
            # no first response: #4 (closed by its author), #6, #7
            "unanswered": 3,
            # hours: #10 4, #1 10, #8 20, #2 30, #9 50, #3 60 -> n = 6
            # mean = (4 + 10 + 20 + 30 + 50 + 60) / 6 = 174 / 6 = 29.0
            # median = (20 + 30) / 2 = 25.0
            # p90 (inclusive): m = n - 1 = 5; divmod(9 * 5, 10) = (4, 5);
            #   (x[4] * 5 + x[5] * 5) / 10 = (50 * 5 + 60 * 5) / 10 = 55.0
            "first_response_hours": {"count": 6, "mean": 29.0, "median": 25.0, "p90": 55.0},
            "target_hours": 48.0,  # maintainer_response_days 2 x 24
            # answered, or older than 48 h at UNTIL: all but #7 (36 h old) -> 8 issues;
            # answered within 48 h: #1 (10), #2 (30), #8 (20), #10 (4) -> 4; 100 x 4 / 8
            "within_target_pct": 50.0,
            "waiting_on_requester": 1,  # #8 (its label came off after UNTIL)
            "waiting_on_maintainers": [
                {"number": 5, "waiting_hours": 888.0},  # since 20 Dec: 37 days x 24
                {"number": 2, "waiting_hours": 408.0},  # since 9 Jan: 17 days x 24
                {"number": 6, "waiting_hours": 144.0},  # since 20 Jan: 6 days x 24
            ],
        },
        "pep-541": {
            "label": "PEP 541",
            "opened": 2,  # #20, #21
            "closed": 0,
            "closed_completed": 0,
            "closed_not_planned": 0,
            "open_at_end": 2,
            "unanswered": 1,  # #21
            # one value (#20, 100 h): mean, median and p90 are that value
            "first_response_hours": {"count": 1, "mean": 100.0, "median": 100.0, "p90": 100.0},
            "target_hours": 168.0,  # 7 x 24
            # #20 within 168 h; #21 unanswered and 14 days old: 100 x 1 / 2
            "within_target_pct": 50.0,
            "waiting_on_requester": 0,
            "waiting_on_maintainers": [{"number": 21, "waiting_hours": 336.0}],  # 14 x 24
        },
        "limit-request": empty("limit request", 336.0),  # 14 x 24
        "mass-name-squat": empty("mass name squat", None),
        "network": empty("network", None),
        "organization": empty("org support/request", None),
        "uncategorised": {
            **empty(None, None),
            "opened": 1,  # #31 (not #40, the bot's own dashboard)
            "closed": 1,
            "closed_completed": 1,
            "first_response_hours": {"count": 1, "mean": 3.0, "median": 3.0, "p90": 3.0},
        },
    },
    "weekly": [
        {
            # 5-11 Jan. account-recovery opened #1 #2 #3 #4 #8 #9; closed #3 (9 Jan), #4
            # (8 Jan), #9 (11 Jan); open at 12 Jan 00:00: #1 #2 #5 #8 (#9 reopened 13 Jan);
            # median of 10, 30, 60, 20, 50 = 30. PEP 541: #20 (100 h). Other: #31 (3 h).
            "week_start": "2026-01-05",
            "open": {"account-recovery": 4, "pep-541": 1, "uncategorised": 0},
            "opened": {"account-recovery": 6, "pep-541": 1, "uncategorised": 1},
            "closed": {"account-recovery": 3, "pep-541": 0, "uncategorised": 1},
            "median_first_response_hours": {
                "account-recovery": 30.0,
                "pep-541": 100.0,
                "uncategorised": 3.0,
            },
        },
        {
            # 12-18 Jan: #10 opened (4 h); #9 reopened; open: #1 #2 #5 #8 #9 #10. #21.
            "week_start": "2026-01-12",
            "open": {"account-recovery": 6, "pep-541": 2, "uncategorised": 0},
            "opened": {"account-recovery": 1, "pep-541": 1, "uncategorised": 0},
            "closed": {"account-recovery": 0, "pep-541": 0, "uncategorised": 0},
            "median_first_response_hours": {
                "account-recovery": 4.0,
                "pep-541": None,
                "uncategorised": None,
            },
        },
        {
            # 19-25 Jan: #6, #7 opened, unanswered; open at UNTIL: the 8 above.
            "week_start": "2026-01-19",
            "open": {"account-recovery": 8, "pep-541": 2, "uncategorised": 0},
            "opened": {"account-recovery": 2, "pep-541": 0, "uncategorised": 0},
            "closed": {"account-recovery": 0, "pep-541": 0, "uncategorised": 0},
            "median_first_response_hours": {
                "account-recovery": None,
                "pep-541": None,
                "uncategorised": None,
            },
        },
    ],
    "bot": {
        "verification_completed": 1,  # #6 (#2's was ended after staff answered)
        "nudges": 1,  # #8 on 20 Jan (#5's was before the window)
        "closed_no_response": 1,  # #9
        "reopened_after_bot_close": 1,  # #9
    },
}
QUIET_CATEGORIES = ("limit-request", "mass-name-squat", "network", "organization")


def expected_weekly() -> list[dict]:
    """The weekly series with the categories that saw nothing (all zeros and nulls)."""
    weeks = []
    for week in EXPECTED["weekly"]:
        full = {"week_start": week["week_start"]}
        for key in ("open", "opened", "closed", "median_first_response_hours"):
            zero = None if key.startswith("median") else 0
            values = dict(week[key])
            full[key] = {
                name: values.get(name, zero)
                for name in ("account-recovery", "pep-541", *QUIET_CATEGORIES, "uncategorised")
            }
        weeks.append(full)
    return weeks


async def test_report_json_through_the_command_line_gives_the_hand_computed_figures(github):
    seed_queue(github)
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "BOT_RULES": str(ROOT / "rules.yaml"),
    }
    args = ("report", "--format", "json", "--since", "2026-01-05", "--until", "2026-01-26")
    # The child reads the fake GitHub over a real port: run it off the event loop.
    done = await asyncio.to_thread(run_bot, *args, env=env)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["categories"] == EXPECTED["categories"]
    assert figures["weekly"] == expected_weekly()
    assert figures == {**EXPECTED, "weekly": expected_weekly()}
    # Read: the 10 issues open now (#1 #2 #5-#9 #20 #21 #40), and the 4 closed ones
    # updated since 5 Jan (#3 #4 #10 #31); not #30, nor the pull request. Not a terminal:
    # plain progress lines, one per tenth of the way at most.
    progress = [x for x in done.stderr.splitlines() if x.startswith("reading timelines")]
    assert progress[-1] == "reading timelines: 14/14" and len(progress) <= 11
    assert f"{REPO}: 14 issues open now or updated since 2026-01-05T00:00:00Z" in done.stderr
    assert github.writes == []


async def test_a_second_run_over_an_unchanged_history_costs_no_rate_limit_point(github):
    seed_queue(github)
    out: list[str] = []
    clock = {"clock": lambda: NOW.timestamp()}
    settings = settings_for(github)
    quiet = _Lines()
    args = (settings, RULES, REPO, SINCE, UNTIL, "json")
    assert await run_report_command(*args, None, out=out.append, progress=quiet, **clock) == 0
    first = json.loads(out[-1])
    assert first["bot"] == EXPECTED["bot"]
    # Within one client (the command's, as the lead's persistent cache will keep it between
    # runs), every page and timeline read again is a 304.
    service = Service(settings, RULES, policy=FAST, **clock)
    await service.start()
    try:
        api = await service.github.api_for_repo(REPO)
        login = await service.bot_login()
        report = await build(api, REPO, RULES.for_repo(REPO), SINCE, UNTIL, login)
        github.reset_calls()
        again = await build(api, REPO, RULES.for_repo(REPO), SINCE, UNTIL, login)
    finally:
        await service.stop()
    assert again.to_json() == report.to_json() == first
    assert github.calls and {c.status for c in github.calls} == {304}


class _Lines:
    """A progress sink for tests (not a terminal)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self.lines.append(text)

    def tally(self, what: str, count: int) -> None:
        pass

    def step(self, what: str, done: int, total: int) -> None:
        self.lines.append(f"{what}: {done}/{total}")


def test_dates_are_utc_and_bad_ones_are_named():
    assert parse_when("2026-01-05", "--since") == SINCE
    assert parse_when("2026-01-05T02:00:00+02:00", "--since") == SINCE
    with pytest.raises(ConfigError, match="--until: expected a date"):
        parse_when("next week", "--until")


def test_a_bad_window_or_repository_is_one_clear_line():
    env = {"BOT_RULES": str(ROOT / "rules.yaml"), "GITHUB_API_URL": "http://127.0.0.1:9"}
    done = run_bot("report", "--since", "2026-02-01", "--until", "2026-01-01", env=env)
    assert done.returncode == 1
    assert "error: --since 2026-02-01T00:00:00Z is not before --until" in done.stderr
    done = run_bot("report", "--repo", "someone/else", env=env)
    assert (
        done.returncode == 1 and "error: --repo someone/else: not in the rules file" in done.stderr
    )


async def test_a_github_error_is_one_clear_line(github):
    github.inject("GET", rf"^/repos/{REPO}/issues$", status=404, times=None)
    with pytest.raises(
        ConfigError, match=r"could not read the issues from GitHub \(GitHub answered 404\)"
    ):
        await run_report_command(
            settings_for(github), RULES, REPO, SINCE, UNTIL, "json", None, progress=_Lines()
        )


# --- the dashboard issue and the page -----------------------------------------------------------


def with_report(**changes) -> Rules:
    repo_rules = RULES.for_repo(REPO)
    cfg = Report(dashboard=True, page=True, window_days=21, refresh_hours=24, **changes)
    return replace(RULES, repositories={REPO: replace(repo_rules, report=cfg)})


def dashboards(github) -> list[dict]:
    return [
        data
        for data in github.issues(REPO)
        if data["user"]["login"] == BOT_LOGIN
        and markers.read(data["body"], "dashboard") is not None
    ]


@pytest.fixture
async def service(github):
    started = []

    async def make(rules: Rules | None = None) -> Service:
        rules = rules or with_report()
        s = service_for(github, rules)
        await s.start()
        started.append(s)
        return s

    yield make
    for s in started:
        await s.stop()


async def sweep_once(service: Service):
    api = await service.github.api_for_repo(REPO)
    return await sweep(service, api, REPO)


async def test_two_sweeps_leave_one_dashboard_edited_in_place(github, service):
    seed_queue(github)
    github.set_now(UNTIL)  # the window: the 21 days before now
    # #40, which the bot opened with the dashboard's marker, is found again, not duplicated.
    bot = await service()
    first = await sweep_once(bot)
    [board] = dashboards(github)
    assert board["number"] == 40 and first.dashboard == "#40 edited"
    body = board["body"]
    assert markers.read(body, "dashboard") == {"until": "2026-01-26T00:00:00Z"}
    assert (
        "| account-recovery | 9 | 3 (1 / 2) | 8 | 25.0 · 29.0 · 55.0 (6) | 2.0 d | 50.0 %" in body
    )
    assert f"[#5](https://github.com/{REPO}/issues/5) Request 5 — waiting 37.0 d" in body
    assert "```mermaid\n%%{init" in body and "xychart-beta" in body
    assert "    line [4, 6, 8]" in body  # account-recovery's weekly backlog
    github.reset_calls()

    second = await sweep_once(bot)  # right after: not due, nothing computed or written
    assert second.dashboard is None and github.writes == []
    # The report was not read (its listing is of issues of every state updated since the
    # window began; the sweep's own listings are of open issues).
    assert not [c for c in github.calls if c.query.get("state") == "all" and "since" in c.query]
    assert not [c for c in github.calls if c.path.startswith(f"/repos/{REPO}/issues/40")]

    github.advance(hours=25)  # due again: edited in place, still one issue
    staff(github, 5, github.now() - timedelta(hours=1))
    third = await sweep_once(bot)
    assert third.dashboard == "#40 edited"
    [again] = dashboards(github)
    assert again["number"] == 40 and again["body"] != body
    assert "[#5]" not in again["body"]  # answered: no longer waiting
    edits = [w for w in github.writes if w.path == f"/repos/{REPO}/issues/40"]
    assert [w.method for w in edits] == ["PATCH"] and set(edits[0].json) == {"title", "body"}
    # The bot never sorts, labels or comments on its own dashboard.
    assert github.comments(REPO, 40) == [] and github.issue(REPO, 40)["labels"] == []


async def test_the_dashboard_is_opened_once_across_restarts_and_lost_answers(github, service):
    seed_queue(github, dashboard=False)
    github.set_now(UNTIL)
    # GitHub opens the issue but the answer is lost: the bot looks for it before retrying.
    github.inject(
        "POST", rf"^/repos/{REPO}/issues$", status=None, reset_connection=True, after=True
    )
    first = await service()
    outcome = await sweep_once(first)
    [board] = dashboards(github)
    assert outcome.dashboard == f"#{board['number']} created"
    assert board["title"] == "Support queue dashboard"
    assert len([w for w in github.writes if w.method == "POST" and w.path.endswith("/issues")]) == 1
    # A restart (a new service, nothing in memory) a day later edits the same issue.
    github.advance(hours=24)
    restarted = await service()
    await asyncio.gather(sweep_once(restarted), sweep_once(restarted))  # two at once, too
    assert [b["number"] for b in dashboards(github)] == [board["number"]]
    # Nothing else: no triage comment, no label, no catch-up of the bot's own new issue.
    assert github.comments(REPO, board["number"]) == []


async def test_a_lost_dashboard_is_not_opened_again_blind(github, service):
    # GitHub opens the issue but the answer is lost, and the bot's issues cannot be listed
    # while it looks: it cannot know the dashboard is missing, so it does not open another.
    bot = await service()
    api = await bot.github.api_for_repo(REPO)
    rules = with_report().for_repo(REPO)
    report = compute(REPO, [], rules, SINCE, UNTIL)
    github.inject(
        "POST", rf"^/repos/{REPO}/issues$", status=None, reset_connection=True, after=True
    )
    github.inject("GET", rf"^/repos/{REPO}/issues$", status=502, times=None)
    with pytest.raises(AmbiguousWrite):
        await write_dashboard(api, REPO, report, view_of(rules), BOT_LOGIN, None)
    assert len([w for w in github.writes if w.method == "POST"]) == 1
    assert len(dashboards(github)) == 1  # the one GitHub made


async def test_a_title_from_outside_cannot_mention_or_break_the_dashboard(github, service):
    seed_queue(github)
    github.set_now(UNTIL)
    github.edit_issue(REPO, 5, title="@pypi/admins <!-- x --> [click](https://evil.example) | `")
    await sweep_once(await service())
    [board] = dashboards(github)
    line = next(x for x in board["body"].splitlines() if x.startswith("- [#5]"))
    assert "@\u200dpypi/admins" in line and "&lt;\\!-- x --&gt;" in line
    assert "](https://evil" not in line and "\\[click\\]" in line
    assert markers.trailing(board["body"]) == ("dashboard", {"until": "2026-01-26T00:00:00Z"})


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "xlink:href", "action")]


async def test_the_report_page_is_self_contained_html_with_svg_charts(aiohttp_client, github):
    seed_queue(github)
    github.set_now(UNTIL)
    github.edit_issue(REPO, 6, title='<script>alert(1)</script><a href="https://x.example">')
    clock = lambda: github.now().timestamp()  # noqa: E731
    svc = Service(settings_for(github), with_report(), policy=FAST, clock=clock)
    client = await aiohttp_client(make_app(svc, grace=5))
    first = await client.get("/report")
    assert first.status == 503 and first.headers["Retry-After"] == "30"  # being prepared
    await svc.reports.wait(REPO)
    page = await client.get("/report")
    assert page.status == 200 and page.content_type == "text/html"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    text = await page.text()
    parsed = _Page()
    parsed.feed(text)
    # The backlog, opened and closed, and the first responses of the three categories with
    # a target and of the uncategorised issues (which had one).
    assert parsed.tags.count("svg") == 6
    assert {"polyline", "rect", "circle", "table"} <= set(parsed.tags)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    # Its only links are to the repository's issues; nothing is loaded from anywhere.
    assert parsed.urls and all(
        re.fullmatch(rf"https://github\.com/{REPO}/issues/\d+", u) for u in parsed.urls
    )
    assert "url(" not in text and "@import" not in text and "src=" not in text
    assert "<td>account-recovery</td><td>9</td>" in text and "waiting 37.0 d" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;https://x.example&quot;" in text
    other = await client.get("/report?repo=someone/else")
    assert other.status == 404


async def test_the_page_is_off_unless_the_rules_enable_it(bot):
    answer = await bot.client.get("/report")
    assert answer.status == 404
    assert "report.page" in (await answer.json())["error"]


async def test_markdown_goes_whole_to_the_output_file(github, tmp_path):
    seed_queue(github)
    target = tmp_path / "queue.md"
    args = (settings_for(github), RULES, REPO, SINCE, UNTIL, "markdown", str(target))
    assert await run_report_command(*args, out=pytest.fail, progress=_Lines()) == 0
    text = target.read_text()
    assert text.startswith("# Support queue dashboard\n")
    assert "| PEP 541 | 2 | 0 (0 / 0) | 2 | 100.0 · 100.0 · 100.0 (1) | 7.0 d | 50.0 %" in text
    assert text.count("xychart-beta") == 4  # the backlog, and the three targets
    assert [p.name for p in tmp_path.iterdir()] == ["queue.md"]  # no temporary file left
    with pytest.raises(ConfigError, match=r"--output .*/missing/queue\.md"):
        await run_report_command(
            *args[:-1], str(tmp_path / "missing" / "queue.md"), progress=_Lines()
        )


def test_progress_is_a_bar_on_a_terminal_and_few_lines_otherwise():
    import io

    from bot.runtime.report import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty, log = Terminal(), io.StringIO()
    for stream in (tty, log):
        progress = Progress(stream)
        for listed in range(1, 2501):
            progress.tally("listing issues", listed)
        progress.note("2500 issues")
        for done in range(1, 1001):
            progress.step("reading timelines", done, 1000)
    shown = tty.getvalue()
    assert shown.count("\r") == 3500 and "\rlisting issues: 2500\n2500 issues\n" in shown
    assert shown.endswith("\rreading timelines [" + "#" * 30 + "] 1000/1000\n")
    lines = log.getvalue().splitlines()
    assert lines[:3] == ["listing issues: 1000", "listing issues: 2000", "2500 issues"]
    assert lines[3] == "reading timelines: 1/1000" and lines[-1] == "reading timelines: 1000/1000"
    assert len(lines) == 3 + 11 and "\r" not in log.getvalue()


def test_the_report_section_is_validated_strictly(tmp_path):
    text = (ROOT / "rules.yaml").read_text()
    path = tmp_path / "rules.yaml"

    def check(section: str) -> str:
        path.write_text(text.replace("    name_intelligence:", section + "    name_intelligence:"))
        done = run_bot("check", str(path), env={})
        assert done.returncode == 1
        return done.stdout

    out = check("    report:\n      dashbord: true\n      refresh_hours: 0\n")
    assert "unknown key 'dashbord' (did you mean 'dashboard'?)" in out
    assert "refresh_hours: must be at least 1" in out
    out = check('    report:\n      title: "two\\nlines"\n')
    assert "report.title: expected one line of 1 to 256 characters" in out
    out = check("    report: {longest_waiting: 50}\n")
    assert "report.longest_waiting: at most 20" in out


async def test_a_dry_run_sweep_writes_no_dashboard(github, service):
    seed_queue(github, dashboard=False)
    github.set_now(UNTIL)
    dry = service_for(github, with_report(), dry_run=True)
    await dry.start()
    try:
        outcome = await sweep_once(dry)
    finally:
        await dry.stop()
    assert github.writes == [] and outcome.dashboard == "(new issue) would be created"


async def test_a_marker_counts_only_in_the_bots_issue_and_duplicates_are_closed(github, service):
    seed_queue(github, dashboard=False)
    github.set_now(UNTIL)
    board = markers.compose("Figures.", "dashboard")
    issue(github, 50, None, "mallory", t(1), body=board)  # someone else's: not trusted
    issue(github, 51, None, BOT_LOGIN, t(2), body=board)  # the bot's: the dashboard
    issue(github, 52, None, BOT_LOGIN, t(3), body=board)  # a second one (two processes)
    outcome = await sweep_once(await service())
    assert outcome.dashboard == "#51 edited"
    assert github.issue(REPO, 52)["state"] == "closed" and github.issue(REPO, 50)["body"] == board
    assert [b["number"] for b in dashboards(github) if b["state"] == "open"] == [51]


async def test_a_dashboard_whose_marker_was_edited_away_is_found_by_its_title(github, service):
    seed_queue(github, dashboard=False)
    github.set_now(UNTIL)
    issue(github, 60, None, BOT_LOGIN, t(2), title="Support queue dashboard", body="Edited.")
    outcome = await sweep_once(await service())
    assert outcome.dashboard == "#60 edited"
    assert [b["number"] for b in dashboards(github)] == [60]  # its marker is back


def test_a_dashboard_of_years_stays_within_githubs_limit_for_an_issue_body():
    from bot.core.model import History, Issue, Snapshot
    from bot.core.queue_report import compute
    from bot.core.report_views import View, markdown

    rules = RULES.for_repo(REPO)
    since = UNTIL - timedelta(days=3650)
    snapshots = [
        Snapshot(
            Issue(
                REPO,
                n,
                f"Request {n} " + "x" * 200,
                author="someone",
                labels=(label,),
                created_at=since + timedelta(days=n),
                html_url=f"https://github.com/{REPO}/issues/{n}",
            ),
            History(bot_login=BOT_LOGIN),
        )
        for n in range(1, 3000)
        for label in ("account-recovery",)
    ]
    report = compute(REPO, snapshots, rules, since, UNTIL)
    assert len(report.weekly) == 522
    body = markdown(report, View(longest_waiting=20))
    assert len(markers.compose(body, "dashboard", {"until": "x"})) <= 65_536
    assert "## Figures" in body and "[#1](" in body  # the table and the oldest wait stay
    assert body.count("xychart-beta") == 4 and body.count("- [#") == 20
    # Under a tighter limit the lists get shorter first, then the charts go.
    shorter = markdown(report, View(longest_waiting=20), limit=30_000)
    assert len(shorter) <= 30_000 and shorter.count("- [#") == 1
    assert shorter.count("xychart-beta") == 1  # the backlog's; the targets' went
    least = markdown(report, View(longest_waiting=20), limit=8_000)
    assert len(least) <= 8_000 and "xychart" not in least and "too many weeks" in least
    assert "| account-recovery |" in least


def test_an_export_without_events_is_read_from_the_issues_own_state():
    from bot.core.model import History, Issue, Snapshot
    from bot.core.queue_report import compute

    closed = Issue(
        REPO,
        1,
        "x",
        author="a",
        labels=("account-recovery",),
        state="closed",
        state_reason="not_planned",
        created_at=t(1),
        closed_at=t(8),
    )
    report = compute(REPO, [Snapshot(closed, History())], RULES.for_repo(REPO), SINCE, UNTIL)
    figures = report.category("account-recovery")
    assert (figures.opened, figures.closed, figures.closed_not_planned) == (1, 1, 1)
    assert figures.open_at_end == 0
    # Open at the end of the first week (12 Jan), closed on 13 Jan.
    assert [w.open["account-recovery"] for w in report.weekly] == [1, 0, 0]


def test_a_verification_completed_is_counted_whatever_case_its_label_events_show():
    # The awaiting label renamed in case between the bot's labeled and unlabeled events (each
    # event names the label as it was then): one verification, completed without staff.
    from bot.core.model import Comment, History, Issue, IssueEvent, Snapshot

    rules = RULES.for_repo(REPO)
    opened = UNTIL - timedelta(days=6)
    triage = markers.compose("Please add your username.", "triage", {"awaiting": "done"})
    events = (
        IssueEvent("labeled", BOT_LOGIN, at=opened + timedelta(hours=1), label=AWAITING),
        IssueEvent("unlabeled", BOT_LOGIN, at=opened + timedelta(hours=25), label=AWAITING.upper()),
    )
    comments = (
        Comment(1, BOT_LOGIN, "Bot", body=triage, created_at=opened + timedelta(hours=1)),
        Comment(2, "frank", body="Added it.", created_at=opened + timedelta(hours=24)),
    )
    issue = Issue(REPO, 6, "Recovery", author="frank", labels=("account-recovery",))
    snapshot = Snapshot(
        replace(issue, created_at=opened), History(comments, events, bot_login=BOT_LOGIN)
    )
    report = compute(REPO, [snapshot], rules, UNTIL - timedelta(days=21), UNTIL)
    assert report.bot.verification_completed == 1
