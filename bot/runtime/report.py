"""The queue report, read from GitHub (README, "Queue report"): `python -m bot report`, the
dashboard issue the sweep keeps current, and the cached page `GET /report` serves.

What is read, and no more: every open issue, then the issues updated since the window
began (each list oldest first, so an unchanged page is a 304), and each of those issues'
timeline, through the client's conditional requests (a 304 costs no rate-limit point). The
figures themselves are pure (`bot.core.queue_report`), and so are their views
(`bot.core.report_views`).

The dashboard is one issue the bot opens once and then edits in place (no comments, no
notifications beyond the first), found again by the marker ending its body, in an issue the
bot itself opened: the repository's issue list filtered by creator, which, unlike search, is
consistent at once. A create whose answer is lost is looked for before it is ever tried
again, so the dashboard is never duplicated, across restarts and sweeps alike.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

from bot.adapters.github import GITHUB_ERRORS, Api
from bot.core import markers
from bot.core.model import History, Issue, Snapshot, iso, parse_time
from bot.core.queue_report import QueueReport, compute
from bot.core.report_views import View, html_page, markdown
from bot.core.rules import RepoRules, Rules
from bot.runtime.apply import why, write_once
from bot.runtime.config import ConfigError, Settings, one_repository
from bot.runtime.logs import error_text, event

if TYPE_CHECKING:
    from bot.runtime.service import Service

log = logging.getLogger(__name__)

DASHBOARD = "dashboard"
# Timelines read at once: enough to hide latency, few enough for GitHub's secondary limits.
CONCURRENCY = 8
# Conditional-request cache of a `report` command, in JSON objects (one run's listing pages
# and timelines: some thousands of issues).
REPORT_CACHE_SIZE = 20_000


def view_of(rules: RepoRules) -> View:
    cfg = rules.report
    return View(cfg.title, cfg.longest_waiting, cfg.refresh_hours)


# --- progress, for long reads on the command line ---------------------------------------------


class Progress:
    """Progress on a stream (stderr): redrawn in place on a terminal, otherwise a plain line
    every tenth of the way (and every 1,000 issues listed), so a log gets a few lines rather
    than thousands."""

    WIDTH = 30
    TALLY_EVERY = 1000

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._shown = -1
        self._open = False  # a line being redrawn, not yet ended

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def note(self, text: str) -> None:
        self._write(("\n" if self._open else "") + text + "\n")
        self._open = False

    def tally(self, what: str, count: int) -> None:
        """A count whose end is not known yet (issues listed so far)."""
        if self.tty:
            self._write(f"\r{what}: {count}")
            self._open = True
        elif count % self.TALLY_EVERY == 0:
            self.note(f"{what}: {count}")

    def step(self, what: str, done: int, total: int) -> None:
        if self.tty:
            filled = self.WIDTH * done // max(1, total)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self._write(f"\r{what} [{bar}] {done}/{total}")
            self._open = True
            if done >= total:
                self._write("\n")
                self._open = False
            return
        tenth = 10 * done // max(1, total)
        if tenth != self._shown:
            self._shown = tenth
            self.note(f"{what}: {done}/{total}")


class _Quiet(Progress):
    def __init__(self) -> None:
        super().__init__(stream=None)

    def note(self, text: str) -> None:
        pass

    def tally(self, what: str, count: int) -> None:
        pass

    def step(self, what: str, done: int, total: int) -> None:
        pass


QUIET = _Quiet()


# --- reading ----------------------------------------------------------------------------------


def window(now: datetime, days: float) -> tuple[datetime, datetime]:
    """The default window: `days` up to now (to the second)."""
    until = now.replace(microsecond=0)
    return until - timedelta(days=days), until


async def list_issues(
    api: Api, repo: str, since: datetime, until: datetime, progress: Progress = QUIET
) -> list[Issue]:
    """The issues the figures need: those open now, then those updated since `since`. In
    that order, an issue that closes or reopens while the lists are read is in the second.
    The second list starts at the start of `since`'s day (UTC), so runs on one day read
    the same pages (304s when nothing changed)."""
    found: dict[int, Issue] = {}
    opened = {"state": "open", "sort": "created", "direction": "asc", "per_page": 100}
    listed = 0
    async for data in api.iterate(f"/repos/{repo}/issues", opened):
        issue = Issue.from_api(data, repo)
        found[issue.number] = issue
        listed += 1
        progress.tally("listing issues", listed)
    day = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    updated = {"state": "all", "since": iso(day), "sort": "created", "direction": "asc"}
    async for data in api.iterate(f"/repos/{repo}/issues", {**updated, "per_page": 100}):
        issue = Issue.from_api(data, repo)
        if issue.updated_at >= since or issue.state == "open":
            found[issue.number] = issue
        listed += 1
        progress.tally("listing issues", listed)
    return [
        issue
        for issue in sorted(found.values(), key=lambda i: i.number)
        if not issue.is_pull_request and issue.created_at < until
    ]


async def read_snapshots(
    api: Api,
    repo: str,
    since: datetime,
    until: datetime,
    bot_login: str | None,
    progress: Progress = QUIET,
) -> list[Snapshot]:
    issues = await list_issues(api, repo, since, until, progress)
    progress.note(f"{repo}: {len(issues)} issues open now or updated since {iso(since)}")
    slots = asyncio.Semaphore(CONCURRENCY)
    done = 0

    async def one(issue: Issue) -> Snapshot:
        nonlocal done
        async with slots:
            timeline = await api.timeline(repo, issue.number)
        done += 1
        progress.step("reading timelines", done, len(issues))
        return Snapshot(issue, History.from_timeline(timeline, bot_login))

    return list(await asyncio.gather(*(one(i) for i in issues)))


async def build(
    api: Api,
    repo: str,
    rules: RepoRules,
    since: datetime,
    until: datetime,
    bot_login: str | None,
    progress: Progress = QUIET,
) -> QueueReport:
    snapshots = await read_snapshots(api, repo, since, until, bot_login, progress)
    return compute(repo, snapshots, rules, since, until)


# --- the dashboard issue ----------------------------------------------------------------------


async def find_dashboards(
    api: Api, repo: str, bot_login: str, title: str | None = None
) -> list[Issue]:
    """The issues the bot opened whose body ends with the dashboard's marker, oldest first;
    if there is none, the oldest the bot opened with the dashboard's `title` (someone took
    the marker out of its body)."""
    marked, titled = [], []
    async for data in api.issues_by(repo, bot_login):
        issue = Issue.from_api(data, repo)
        if issue.is_pull_request or issue.author.lower() != bot_login.lower():
            continue
        if markers.in_issue(issue, DASHBOARD, bot_login) is not None:
            marked.append(issue)
        elif title is not None and issue.title == title:
            titled.append(issue)
    return marked or titled[:1]


async def find_dashboard(api: Api, repo: str, bot_login: str) -> Issue | None:
    """The oldest issue the bot opened whose body ends with the dashboard's marker."""
    found = await find_dashboards(api, repo, bot_login)
    return found[0] if found else None


async def close_duplicates(api: Api, repo: str, extra: list[Issue]) -> None:
    """Dashboards beyond the first (two processes that opened one at the same moment): the
    bot's own issues, closed so that one stays current."""
    for issue in extra:
        if issue.state == "open":
            event(log, "dashboard: closing a duplicate", repository=repo, issue=issue.number)
            await api.update_issue(repo, issue.number, state="closed", state_reason="not_planned")


def computed_at(issue: Issue | None, bot_login: str) -> datetime | None:
    """When the figures a dashboard shows were computed (the end of their window)."""
    state = markers.in_issue(issue, DASHBOARD, bot_login) if issue is not None else None
    until = parse_time(state.get("until")) if state else None
    return until if until is not None and until.year > 1970 else None


def dashboard_body(report: QueueReport, view: View) -> str:
    return markers.compose(markdown(report, view), DASHBOARD, {"until": iso(report.until)})


@dataclass
class DashboardOutcome:
    number: int | None = None
    action: str = "none"  # created, edited, unchanged, none


async def write_dashboard(
    api: Api, repo: str, report: QueueReport, view: View, bot_login: str, found: Issue | None
) -> DashboardOutcome:
    """Edit the dashboard in place, or open it when there is none (never twice: a create
    whose answer is lost is looked for, for longer than the client's timeout, before it is
    tried again)."""
    body = dashboard_body(report, view)
    if found is not None:
        if found.body == body and found.title == view.title:
            return DashboardOutcome(found.number, "unchanged")
        await api.update_issue(repo, found.number, title=view.title, body=body)
        return DashboardOutcome(found.number, "edited")

    async def create() -> DashboardOutcome:
        created = await api.create_issue(repo, view.title, body)
        return DashboardOutcome(int(created.get("number") or 0) or None, "created")

    async def opened() -> DashboardOutcome | None:
        found = await find_dashboard(api, repo, bot_login)
        return DashboardOutcome(found.number, "created") if found is not None else None

    return await write_once(
        api, create, opened, "dashboard found after an unclear answer", repository=repo
    )


# --- the service's side: the schedule, the page's cache ---------------------------------------


@dataclass
class Page:
    html: str
    report: QueueReport
    computed_at: datetime


@dataclass
class RefreshOutcome:
    repo: str
    computed: bool = False
    dashboard: DashboardOutcome = field(default_factory=DashboardOutcome)
    error: str | None = None
    seconds: float = 0.0


class Reports:
    """The service's queue reports: refreshed by the sweep when due (`refresh_hours`), the
    dashboard written, the page kept for `GET /report`. One refresh per repository at once."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.pages: dict[str, Page] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[RefreshOutcome]] = {}

    def page(self, repo: str) -> Page | None:
        return self.pages.get(repo.lower())

    def _page_due(self, repo: str, rules: RepoRules, now: datetime) -> bool:
        if not rules.report.page:
            return False
        page = self.page(repo)
        hours = rules.report.refresh_hours
        return page is None or now - page.computed_at >= timedelta(hours=hours)

    async def refresh(self, api: Api, repo: str, *, log_to: logging.Logger = log) -> RefreshOutcome:
        """Recompute the report if the dashboard or the page is due, then write the dashboard
        (if it was due) and keep the page. Nothing is read when neither is due but the list
        of the bot's issues (one call; a 304 when nothing changed)."""
        rules = self.service.rules.for_repo(repo)
        assert rules is not None
        lock = self._locks.setdefault(repo.lower(), asyncio.Lock())
        outcome = RefreshOutcome(repo)
        started = time.monotonic()
        async with lock:
            cfg = rules.report
            now = self.service.now()
            bot_login = await self.service.bot_login()
            found = None
            dashboard_due = False
            if cfg.dashboard:
                if bot_login is None:
                    # Without it the bot cannot find its dashboard again, and would open one
                    # on every sweep.
                    outcome.error = "the bot's login is unknown: set bot.login in the rules file"
                else:
                    boards = await find_dashboards(api, repo, bot_login, cfg.title)
                    found = boards[0] if boards else None
                    await close_duplicates(api, repo, boards[1:])
                    last = computed_at(found, bot_login)
                    dashboard_due = last is None or now - last >= timedelta(hours=cfg.refresh_hours)
            if not (dashboard_due or self._page_due(repo, rules, now)):
                return outcome
            since, until = window(now, cfg.window_days)
            report = await build(api, repo, rules, since, until, bot_login)
            outcome.computed = True
            view = view_of(rules)
            if cfg.page:
                self.pages[repo.lower()] = Page(
                    html_page(report, view, computed_at=until), report, until
                )
            if dashboard_due and bot_login is not None:
                outcome.dashboard = await write_dashboard(api, repo, report, view, bot_login, found)
                if outcome.dashboard.action in ("created", "edited"):
                    self.service.metrics.actions.labels(
                        "dashboard", "dry_run" if api.dry_run else "done"
                    ).inc()
        outcome.seconds = round(time.monotonic() - started, 3)
        event(
            log_to,
            "report refreshed",
            repository=repo,
            issues=report.issues,
            dashboard=outcome.dashboard.action,
            dashboard_issue=outcome.dashboard.number,
            page=cfg.page,
            seconds=outcome.seconds,
        )
        return outcome

    def refresh_soon(self, repo: str) -> None:
        """Start a refresh in the background unless one is running (for a page asked for
        before the first one was computed)."""
        task = self._tasks.get(repo.lower())
        if task is not None and not task.done():
            return

        async def run() -> RefreshOutcome:
            assert self.service.github is not None
            api = await self.service.github.api_for_repo(repo)
            return await self.refresh(api, repo)

        task = asyncio.create_task(run(), name=f"report:{repo}")
        task.add_done_callback(_log_failure)
        self._tasks[repo.lower()] = task

    async def wait(self, repo: str) -> RefreshOutcome | None:
        task = self._tasks.get(repo.lower())
        return await task if task is not None else None

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        event(log, "report failed", level=logging.ERROR, error=error_text(task.exception()))


# --- the command ------------------------------------------------------------------------------


def parse_when(value: str, option: str) -> datetime:
    """A date (`2026-01-01`, midnight UTC) or a time (`2026-01-01T12:00:00Z`; UTC unless it
    says otherwise)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{option}: expected a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ), "
            f"got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    # GitHub's issues are from 2008 on; far dates are typos (and the weeks of a window that
    # reached year 1 or 9999 could not be counted).
    if not EARLIEST <= parsed <= LATEST:
        raise ConfigError(f"{option}: {value!r} is outside {EARLIEST:%Y} to {LATEST:%Y}")
    return parsed


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def render(report: QueueReport, rules: RepoRules, fmt: str) -> str:
    view = replace(view_of(rules), refresh_hours=None)
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return html_page(report, view, computed_at=report.until) + "\n"
    return f"# {view.title}\n\n{markdown(report, view)}\n"


def write_output(text: str, path: str | None, out: Callable[[str], Any]) -> None:
    """To `path` (written whole, then moved into place: never half a report), or `out`."""
    if path is None:
        out(text.rstrip("\n"))
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".report-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"--output {path}: {exc.strerror or exc}") from None


async def run_report_command(
    settings: Settings,
    rules: Rules,
    repo: str | None,
    since: datetime | None,
    until: datetime | None,
    fmt: str,
    output: str | None,
    *,
    out: Callable[[str], Any] = print,
    progress: Progress | None = None,
    clock: Callable[[], float] | None = None,
) -> int:
    """`python -m bot report`: the figures over [since, until) from GitHub, in one format.
    The GitHub client comes from a `Service` started with the settings and rules, as the
    `sweep` command's does (and with the same conditional-request cache)."""
    from bot.runtime.service import Service

    repo, repo_rules = one_repository(rules, repo)
    progress = progress or Progress()
    service = Service(
        settings, rules, cache_size=REPORT_CACHE_SIZE, **({"clock": clock} if clock else {})
    )
    now = service.now()
    default_since, default_until = window(now, repo_rules.report.window_days)
    until = until or default_until
    since = since or until - (default_until - default_since)
    if since >= until:
        raise ConfigError(f"--since {iso(since)} is not before --until {iso(until)}")
    await service.start()
    try:
        assert service.github is not None
        api = await service.github.api_for_repo(repo)
        bot_login = await service.bot_login()
        if bot_login is None:
            progress.note(
                "warning: the bot's login is unknown (set bot.login in the rules file or "
                "GITHUB_TOKEN): its own comments may be counted as a maintainer's"
            )
        report = await build(api, repo, repo_rules, since, until, bot_login, progress)
    except GITHUB_ERRORS as exc:
        raise ConfigError(f"{repo}: could not read the issues from GitHub ({why(exc)})") from None
    finally:
        await service.stop()
    write_output(render(report, repo_rules, fmt), output, out)
    return 0
