"""The sweep: the catch-up of new issues no delivery was worked for, then the lifecycle
clocks, in the order people feel them: the requester's (nudges, closes for no response), the
PEP 541 reachability clock's reminders, and last the maintainers' overdue flags. A run that
reaches its write budget stops; the next one starts again from the most urgent work, since
every decision is made from what is on GitHub.

Every issue is worked as a delivery is (`Service.work_issue`: snapshot, decide, apply the
difference), through the same work queue, so a delivery and the sweep never work one issue
at the same time, and working it twice writes nothing the second time.

Cheap by construction: each pass lists only the issues its clock can concern, filtered by
GitHub where GitHub can filter (the awaiting label; the PEP 541 start label; issues updated
recently enough to cross a response target), oldest first (the longest waits; creation order
also keeps pages stable while the pass's own writes move issues' update times); a pre-filter
on the listing (`lifecycle.could_act`) skips what cannot be due; an issue's decision reads
its timeline only (one conditional request), taking the issue itself
from the listing unless this process worked on it since. Unchanged answers are 304s, free of
rate-limit points; `python -m bot sweep` keeps them between runs on disk.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import bot.features.lifecycle.decide as lifecycle
from bot.adapters.github import Api
from bot.core.actions import Action
from bot.core.model import Issue, Snapshot, iso
from bot.core.recognition import skip_reason
from bot.core.rules import RepoRules, Rules
from bot.core.trigger import CATCH_UP, Trigger
from bot.runtime.apply import Budget
from bot.runtime.config import ConfigError, Settings
from bot.runtime.logs import error_text, event, log_context
from bot.runtime.reconcile import read_snapshot
from bot.runtime.service import Service, issue_key

logger = logging.getLogger(__name__)

# Issues worked at once: enough to hide latency, few enough for GitHub's secondary limits.
CONCURRENCY = 8
# Conditional-request cache for a `sweep` command, in JSON objects: one run's pages and
# timelines, so the re-read before each write is a 304.
SWEEP_CACHE_SIZE = 20_000
# A new issue's delivery is given this long before the sweep works the issue itself...
CATCH_UP_AFTER = timedelta(minutes=10)
# ...and an issue older than this without any comment is left for people: it is not new.
CATCH_UP_WITHIN = timedelta(days=7)


@dataclass
class SweepReport:
    repo: str
    listed: int = 0  # open issues read from the listing
    candidates: int = 0  # issues that passed the pre-filter
    histories: int = 0  # issues whose comments/events were read
    planned: list[tuple[int, Action]] = field(default_factory=list)
    writes: int = 0
    failed: list[int] = field(default_factory=list)
    caught_up: list[int] = field(default_factory=list)  # missed new issues worked (or planned)
    budget_exhausted: bool = False
    error: str | None = None
    dashboard: str | None = None  # what became of the dashboard issue ("#7 edited")
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out: list[str] = []
        for number, action in self.planned:
            out += lifecycle.explain(number, [action])
        return out


@dataclass(frozen=True)
class Pass:
    """One pass of a sweep: which issues to list, and what the issues found are worked for."""

    trigger: str  # the sweep trigger's action: a lifecycle clock, or the catch-up
    params: dict[str, Any]  # the listing's query
    wants: Callable[[Issue], bool]  # the pre-filter on the listing
    pages: int | None = None  # at most this many pages (None: all)


OLDEST_FIRST = {"sort": "created", "direction": "asc"}


def passes(rules: RepoRules, now: datetime, bot_login: str | None) -> list[Pass]:
    """The sweep's passes for a repository, most urgent first. The bot's own issues (its
    dashboard) are no requests: every pass leaves them alone."""

    def clock(name: str) -> Callable[[Issue], bool]:
        return lambda issue: (
            not _ours(issue, bot_login) and lifecycle.could_act(issue, rules, now, name)
        )

    open_issues = {"state": "open", "per_page": 100}
    found = [
        Pass(
            CATCH_UP,
            {**open_issues, "sort": "created", "direction": "desc"},
            lambda issue: _missed(issue, rules, now, bot_login),
            pages=1,
        ),
        Pass(
            lifecycle.REQUESTER,
            {**open_issues, "labels": rules.triage.awaiting_label, **OLDEST_FIRST},
            clock(lifecycle.REQUESTER),
        ),
    ]
    watched = lifecycle.reachability_label(rules)
    if watched is not None:
        found.append(
            Pass(
                lifecycle.REACHABILITY,
                {**open_issues, "labels": watched, **OLDEST_FIRST},
                clock(lifecycle.REACHABILITY),
            )
        )
    window = lifecycle.maintainer_window_days(rules)
    if window is not None:
        since = now - timedelta(days=window)
        found.append(
            Pass(
                lifecycle.MAINTAINER,
                {**open_issues, "since": iso(since), **OLDEST_FIRST},
                clock(lifecycle.MAINTAINER),
            )
        )
    return found


def _ours(issue: Issue, bot_login: str | None) -> bool:
    return bot_login is not None and issue.author.lower() == bot_login.lower()


def _missed(issue: Issue, rules: RepoRules, now: datetime, bot_login: str | None) -> bool:
    """On the listing alone: a new issue the bot never answered, and should have."""
    return (
        not issue.is_pull_request
        and not _ours(issue, bot_login)
        and issue.comment_count == 0
        and CATCH_UP_AFTER <= now - issue.created_at <= CATCH_UP_WITHIN
        and skip_reason(issue, rules) is None
    )


async def _work(
    service: Service,
    api: Api,
    issue: Issue,
    read_at: float,
    trigger: Trigger,
    report: SweepReport,
    budget: Budget | None,
    snapshot: Snapshot | None = None,
) -> list[Action]:
    """Work one issue through the queue; what was done (or, in dry-run, would be)."""
    repo, number = issue.repo, issue.number
    with log_context(repository=repo, issue=number):
        worked = await service.queue.run(
            issue_key(repo, number),
            f"sweep:{repo}#{number}",
            lambda: service.work_issue(
                api,
                repo,
                number,
                trigger,
                budget=budget,
                listed=issue,
                listed_at=read_at,
                snapshot=snapshot,
            ),
        )
    report.histories += 1
    done = worked.applied.done
    report.planned += [(number, a) for a in done]
    if not api.dry_run:
        report.writes += len(done)
    if worked.failed:
        report.failed.append(number)
    for line in lifecycle.explain(number, done):
        event(logger, "sweep: acting", repository=repo, action=line)
    return done


async def _candidates(api: Api, repo: str, one: Pass, report: SweepReport) -> list[Issue]:
    """The pass's whole listing, filtered on itself (read before any write, so that the
    pass's own writes cannot move pages under it)."""
    found = []
    async for data in api.iterate(f"/repos/{repo}/issues", one.params, pages=one.pages):
        issue = Issue.from_api(data, repo)
        report.listed += 1
        if one.wants(issue):
            report.candidates += 1
            found.append(issue)
    return found


async def _run_pass(
    service: Service,
    api: Api,
    repo: str,
    one: Pass,
    report: SweepReport,
    budget: Budget | None,
    log: logging.Logger,
) -> None:
    """The pass's issues, the longest waits first: each one's timeline is read (reads run
    side by side), then they are worked one after another in order of urgency, each from
    the snapshot just read unless this process worked the issue since."""
    trigger = Trigger.sweep(one.trigger)
    rules = service.rules.for_repo(repo)
    assert rules is not None
    bot_login = await service.bot_login()
    slots = asyncio.Semaphore(CONCURRENCY)

    def failed(number: int, what: str, exc: Exception) -> None:
        report.failed.append(number)
        event(
            log,
            what,
            level=logging.ERROR,
            repository=repo,
            issue=number,
            error=error_text(exc),
        )

    async def read(issue: Issue) -> tuple[Issue, float, Snapshot | None]:
        async with slots:
            read_at = time.monotonic()
            try:
                snapshot = await read_snapshot(api, repo, issue.number, bot_login, issue)
            except Exception as exc:
                failed(issue.number, "sweep: issue not read", exc)
                return issue, read_at, None
            return issue, read_at, snapshot

    read_all = await asyncio.gather(*(read(i) for i in await _candidates(api, repo, one, report)))
    ready = [(i, at, s) for i, at, s in read_all if s is not None]
    if one.trigger != CATCH_UP:
        ready.sort(key=lambda r: (lifecycle.waiting_since(r[2], rules, one.trigger), r[0].number))
    for issue, read_at, snapshot in ready:
        if budget is not None and budget.exhausted:
            return
        try:
            done = await _work(service, api, issue, read_at, trigger, report, budget, snapshot)
            if done and one.trigger == CATCH_UP:
                report.caught_up.append(issue.number)
        except Exception as exc:
            failed(issue.number, "sweep: issue failed", exc)


async def sweep(
    service: Service, api: Api, repo: str, *, log: logging.Logger = logger
) -> SweepReport:
    """Every pass over `repo`, most urgent first, within the run's write budget. In dry-run
    (the api's), nothing is written: the planned actions are in the report."""
    started = time.monotonic()
    report = SweepReport(repo)
    rules = service.rules.for_repo(repo)
    assert rules is not None
    now = service.now()
    dry_run = api.dry_run
    if await service.bot_login() is None and not dry_run:
        # Without it the bot cannot recognise its own markers and would nudge again and again.
        report.error = "the bot's login is unknown: set bot.login in the rules file"
        event(log, "sweep: not run", level=logging.ERROR, repository=repo, error=report.error)
        return report
    budget = None if dry_run else Budget(rules.lifecycle.write_budget)
    for one in passes(rules, now, await service.bot_login()):
        if budget is not None and budget.exhausted:
            break
        try:
            await _run_pass(service, api, repo, one, report, budget, log)
        except Exception as exc:
            report.error = error_text(exc)
            event(
                log,
                "sweep: listing failed",
                level=logging.ERROR,
                repository=repo,
                sweep_pass=one.trigger,
                error=report.error,
            )
    if (rules.report.dashboard or rules.report.page) and (budget is None or budget.take()):
        # Maintainer-facing, so last; a write of the budget like any other.
        await refresh_report(service, api, repo, report, log)
    report.budget_exhausted = budget is not None and budget.exhausted
    if report.budget_exhausted:
        event(
            log,
            "sweep: write budget reached; the next run carries on with the most urgent",
            level=logging.WARNING,
            repository=repo,
            write_budget=rules.lifecycle.write_budget,
            writes=report.writes,
        )
    report.seconds = round(time.monotonic() - started, 3)
    event(
        log,
        "sweep done",
        repository=repo,
        dry_run=dry_run,
        listed=report.listed,
        candidates=report.candidates,
        histories=report.histories,
        planned=len(report.planned),
        writes=report.writes,
        failed=len(report.failed),
        caught_up=len(report.caught_up),
        dashboard=report.dashboard,
        budget_exhausted=report.budget_exhausted,
        seconds=report.seconds,
    )
    return report


async def refresh_report(
    service: Service, api: Api, repo: str, report: SweepReport, log: logging.Logger
) -> None:
    """The queue report, when it is due: the dashboard issue edited (or opened, once), the
    page `GET /report` serves recomputed (README, "Queue report")."""
    try:
        outcome = await service.reports.refresh(api, repo, log_to=log)
    except Exception as exc:
        report.error = f"queue report: {type(exc).__name__}: {exc}"
        event(log, "sweep: queue report failed", level=logging.ERROR, error=report.error)
        return
    if outcome.error is not None:
        event(log, "sweep: no dashboard", level=logging.WARNING, error=outcome.error)
    elif outcome.dashboard.action != "none":
        number = f"#{outcome.dashboard.number}" if outcome.dashboard.number else "(new issue)"
        action = outcome.dashboard.action
        report.dashboard = f"{number} {'would be ' + action if api.dry_run else action}"


async def sweep_all(
    service: Service,
    *,
    repo_filter: str | None = None,
    log: logging.Logger = logger,
) -> list[SweepReport]:
    rules = service.rules
    if repo_filter is not None and rules.for_repo(repo_filter) is None:
        raise ConfigError(f"--repo {repo_filter}: not in the rules file")
    assert service.github is not None
    reports = []
    for repo in rules.repositories:
        if repo_filter is not None and repo.lower() != repo_filter.lower():
            continue
        try:
            api = await service.github.api_for_repo(repo)
        except Exception as exc:
            report = SweepReport(repo, error=error_text(exc))
            event(log, "sweep: no access", level=logging.ERROR, repository=repo, error=report.error)
            reports.append(report)
            continue
        reports.append(await sweep(service, api, repo, log=log))
    return reports


async def run_sweep_command(
    settings: Settings,
    rules: Rules,
    repo_filter: str | None,
    dry_run: bool,
    *,
    out: Callable[[str], Any] = print,
    clock: Callable[[], float] | None = None,
) -> int:
    """`python -m bot sweep`: one pass over every configured repository (or one), then exit.
    Returns the exit status: 0, or 1 when a repository could not be swept or an issue failed."""
    from dataclasses import replace

    settings = replace(settings, dry_run=dry_run or settings.dry_run)
    service = Service(
        settings, rules, cache_size=SWEEP_CACHE_SIZE, **({"clock": clock} if clock else {})
    )
    await service.start()
    try:
        reports = await sweep_all(service, repo_filter=repo_filter)
    finally:
        await service.stop()
    status = 0
    for report in reports:
        if settings.dry_run:
            for line in report.lines():
                out(f"{report.repo}{line}")
        summary = (
            f"{report.repo}: {report.listed} listed, {report.candidates} checked, "
            f"{len(report.planned)} {'planned' if settings.dry_run else 'done'}"
        )
        if report.budget_exhausted:
            summary += " (write budget reached: the next run carries on)"
        if report.caught_up:
            verb = "to triage" if settings.dry_run else "triaged"
            summary += f", {len(report.caught_up)} missed new issues {verb}"
        if report.dashboard:
            summary += f", dashboard {report.dashboard}"
        if report.failed:
            summary += f", {len(report.failed)} failed"
        if report.error:
            summary += f"; error: {report.error}"
            status = 1
        if report.failed:
            status = 1
        out(summary)
    return status


async def periodic_sweep(service: Service, *, first_delay: float | None = None) -> None:
    """Run the sweep inside `serve`, each repository every `sweep_interval_minutes`. Started
    as a task by `Service.start` and cancelled by `Service.stop`."""
    rules = service.rules
    # A random start spreads instances (and restarts) apart.
    await asyncio.sleep(random.uniform(10, 60) if first_delay is None else first_delay)
    due = dict.fromkeys(rules.repositories, 0.0)
    while True:
        for repo, repo_rules in rules.repositories.items():
            if time.monotonic() < due[repo]:
                continue
            due[repo] = time.monotonic() + repo_rules.lifecycle.sweep_interval_minutes * 60
            try:
                assert service.github is not None
                api = await service.github.api_for_repo(repo)
                await sweep(service, api, repo)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                event(
                    logger,
                    "sweep failed",
                    level=logging.ERROR,
                    repository=repo,
                    error=error_text(exc),
                )
        await asyncio.sleep(max(1.0, min(due.values()) - time.monotonic()))
