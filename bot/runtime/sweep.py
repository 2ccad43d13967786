"""The sweep: one pass of the lifecycle clocks over a repository's open issues.

Cheap by construction:
- the open issues are listed page by page, oldest first (`sort=created&direction=asc`), and the
  listing stops at the first issue too young for any clock (`lifecycle.min_age_days`). Sorting
  by creation keeps pages stable (an update changes one page, not every later one), so the
  client's ETag cache answers unchanged pages with 304s that cost no rate-limit point;
- a pre-filter on the listing (`lifecycle.could_act`) skips issues no clock can act on;
- an issue's comments are fetched only when it has some, and its events only when they can
  change the outcome (a lifecycle label is on, or the clocks want to act);
- before acting, the issue, its comments and events are read again and the decision re-made,
  so two sweeps running at once (or a delivery worked meanwhile) do not double a comment;
- a per-run write budget ends the run early; the next run carries on where it is needed,
  since every decision is made from what is on GitHub.

It also catches up new issues that were never triaged (the bot was down, or GitHub kept
failing past the retries): from one page of the newest open issues, those still without a
comment some minutes after they were opened are worked as their `issues.opened` delivery
would have been.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from gidgethub import routing, sansio

import bot.features.lifecycle.decide as lifecycle
import bot.features.triage.decide as triage
from bot.adapters.github import Api, GitHub
from bot.core.actions import Action
from bot.core.model import History, Issue, IssueEvent, Snapshot
from bot.core.rules import RepoRules, Rules
from bot.runtime import dispatch, executor
from bot.runtime.config import ConfigError, Settings
from bot.runtime.logs import event, log_context
from bot.runtime.metrics import Metrics

logger = logging.getLogger(__name__)

# Issues worked at once: enough to hide latency, few enough for GitHub's secondary limits.
CONCURRENCY = 8
# Conditional-request cache for a `sweep` command, in JSON objects: one run's pages and
# histories, so the re-read before each write is a 304.
SWEEP_CACHE_SIZE = 20_000

# One writer per issue within a process (the periodic sweep and a delivery-triggered one);
# across processes, the fresh read just before writing narrows the race to one round trip.
_issue_locks: weakref.WeakValueDictionary[tuple[str, int], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _lock_for(repo: str, number: int) -> asyncio.Lock:
    key = (repo.lower(), number)
    lock = _issue_locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _issue_locks[key] = lock
    return lock


# A new issue's delivery is given this long before the sweep works the issue itself...
CATCH_UP_AFTER = timedelta(minutes=10)
# ...and an issue older than this without any comment is left for people: it is not new.
CATCH_UP_WITHIN = timedelta(days=7)


@dataclass
class CatchUp:
    """What the sweep needs to work a missed new issue as its delivery would have been."""

    router: routing.Router
    rules: Rules
    services: dict[str, Any] = field(default_factory=dict)


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
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out: list[str] = []
        for number, action in self.planned:
            out += lifecycle.explain(number, [action])
        return out


async def _history(api: Api, repo: str, issue: Issue, bot_login: str | None, *, events: bool):
    comments = await api.comments(repo, issue.number) if issue.comment_count else []
    fetched = await api.events(repo, issue.number) if events else []
    return History.from_api(comments, fetched, bot_login)


async def plan_issue(
    api: Api, repo: str, issue: Issue, rules: RepoRules, now: datetime, bot_login: str | None
) -> tuple[list[Action], Snapshot]:
    """Read what the clocks need, cheapest first, and decide."""
    history = await _history(api, repo, issue, bot_login, events=False)
    actions = lifecycle.decide(Snapshot(issue, history), rules, now)
    # Events only ever hold the clocks back (a later start, a label a human removed), so
    # without them a quiet issue stays quiet; read them when they can matter.
    if actions or lifecycle.lifecycle_labels(rules) & set(issue.labels):
        events = await api.events(repo, issue.number)
        history = replace(history, events=tuple(IssueEvent.from_api(e) for e in events))
        actions = lifecycle.decide(Snapshot(issue, history), rules, now)
    return actions, Snapshot(issue, history)


async def _fresh(
    api: Api, repo: str, number: int, rules: RepoRules, now: datetime, bot_login: str | None
) -> list[Action]:
    """Decide again from a fresh read, just before writing."""
    issue = Issue.from_api(await api.get_issue(repo, number), repo)
    history = await _history(api, repo, issue, bot_login, events=True)
    return lifecycle.decide(Snapshot(issue, history), rules, now)


async def list_candidates(api: Api, repo: str, rules: RepoRules, now: datetime, report):
    """Open issues old enough for a clock, oldest first, filtered on the listing alone."""
    young = now - timedelta(days=lifecycle.min_age_days(rules))
    params = {"state": "open", "sort": "created", "direction": "asc", "per_page": 100}
    async for data in api.iterate(f"/repos/{repo}/issues", params):
        issue = Issue.from_api(data, repo)
        if issue.created_at > young:
            break  # the rest are younger still
        report.listed += 1
        if lifecycle.could_act(issue, rules, now):
            report.candidates += 1
            yield issue


def _missed(issue: Issue, rules: RepoRules, now: datetime) -> bool:
    """On the listing alone: a new issue the bot never answered, and should have."""
    return (
        issue.comment_count == 0
        and CATCH_UP_AFTER <= now - issue.created_at <= CATCH_UP_WITHIN
        and triage.skip_reason(issue, rules) is None
    )


async def catch_up(
    api: Api,
    repo: str,
    rules: RepoRules,
    now: datetime,
    *,
    catch: CatchUp,
    report: SweepReport,
    dry_run: bool,
    bot_login: str | None,
    metrics: Metrics | None,
) -> None:
    """Work missed new issues (newest 100 open ones only: one call, 304 when unchanged)."""
    params = {"state": "open", "sort": "created", "direction": "desc", "per_page": 100}
    listing = await api.get(f"/repos/{repo}/issues", params)
    for data in listing if isinstance(listing, list) else []:
        issue = Issue.from_api(data, repo)
        if issue.is_pull_request or not _missed(issue, rules, now):
            continue
        if dry_run:
            plan = triage.decide(issue, History(bot_login=bot_login), rules, now=now)
            if plan.actions:
                report.caught_up.append(issue.number)
                report.planned += [(issue.number, a) for a in plan.actions]
            continue
        async with _lock_for(repo, issue.number):
            data = await api.get_issue(repo, issue.number)  # a delivery may have been worked
            issue = Issue.from_api(data, repo)
            if issue.state != "open" or not _missed(issue, rules, now):
                continue
            delivery_id = f"sweep:{repo}#{issue.number}"
            opened = sansio.Event(
                {
                    "action": "opened",
                    "issue": data,
                    "repository": {"full_name": repo},
                    "sender": data.get("user") or {},
                },
                event="issues",
                delivery_id=delivery_id,
            )
            ctx = dispatch.Context(
                api=api,
                rules=catch.rules,
                repo_rules=rules,
                repo=repo,
                bot_login=bot_login,
                now=now,
                delivery_id=delivery_id,
                metrics=metrics,
                services=catch.services,
            )
            with log_context(delivery_id=delivery_id, repository=repo, issue=issue.number):
                event(logger, "sweep: working a missed new issue")
                failed = await dispatch.dispatch(catch.router, opened, ctx)
            (report.failed if failed else report.caught_up).append(issue.number)


async def sweep(
    api: Api,
    repo: str,
    rules: RepoRules,
    now: datetime,
    *,
    dry_run: bool,
    log: logging.Logger = logger,
    bot_login: str | None = None,
    metrics: Metrics | None = None,
    concurrency: int = CONCURRENCY,
    catch: CatchUp | None = None,
) -> SweepReport:
    """One pass of the lifecycle clocks over `repo`, and (with `catch`) the catch-up of missed
    new issues. With `dry_run`, nothing is written: the planned actions are in the report."""
    started = time.monotonic()
    report = SweepReport(repo)
    budget = rules.lifecycle.write_budget
    if bot_login is None and not dry_run:
        # Without it the bot cannot recognise its own markers and would nudge again and again.
        report.error = "the bot's login is unknown: set bot.login in the rules file"
        event(log, "sweep: not run", level=logging.ERROR, repository=repo, error=report.error)
        return report
    queue: asyncio.Queue[Issue | None] = asyncio.Queue(maxsize=concurrency * 4)
    stop = asyncio.Event()

    async def work(issue: Issue) -> None:
        with log_context(repository=repo, issue=issue.number):
            actions, _ = await plan_issue(api, repo, issue, rules, now, bot_login)
            report.histories += 1
            if not actions:
                return
            if dry_run:
                report.planned += [(issue.number, a) for a in actions]
                return
            async with _lock_for(repo, issue.number):
                actions = await _fresh(api, repo, issue.number, rules, now, bot_login)
                if not actions:
                    return
                if report.writes + len(actions) > budget:
                    if not report.budget_exhausted:
                        report.budget_exhausted = True
                        event(
                            log,
                            "sweep: write budget reached; the next run carries on",
                            level=logging.WARNING,
                            repository=repo,
                            write_budget=budget,
                            writes=report.writes,
                        )
                    stop.set()
                    return
                report.writes += len(actions)  # reserved before awaiting: the budget is exact
                report.planned += [(issue.number, a) for a in actions]
                for line in lifecycle.explain(issue.number, actions):
                    event(log, "sweep: acting", repository=repo, action=line)
                await executor.apply(api, repo, issue.number, actions, metrics=metrics)

    async def worker() -> None:
        while True:
            issue = await queue.get()
            try:
                if issue is None:
                    return
                if stop.is_set():
                    continue
                await work(issue)
            except Exception as exc:
                number = issue.number if issue is not None else None
                report.failed.append(number or 0)
                event(
                    log,
                    "sweep: issue failed",
                    level=logging.ERROR,
                    repository=repo,
                    issue=number,
                    error=f"{type(exc).__name__}: {exc}",
                )
            finally:
                queue.task_done()

    workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    try:
        async for issue in list_candidates(api, repo, rules, now, report):
            if stop.is_set():
                break
            await queue.put(issue)
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        event(
            log, "sweep: listing failed", level=logging.ERROR, repository=repo, error=report.error
        )
    finally:
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers, return_exceptions=True)
    if catch is not None and not report.budget_exhausted:
        try:
            await catch_up(
                api,
                repo,
                rules,
                now,
                catch=catch,
                report=report,
                dry_run=dry_run,
                bot_login=bot_login,
                metrics=metrics,
            )
        except Exception as exc:
            report.error = f"{type(exc).__name__}: {exc}"
            event(log, "sweep: catch-up failed", level=logging.ERROR, error=report.error)
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
        budget_exhausted=report.budget_exhausted,
        seconds=report.seconds,
    )
    return report


async def sweep_all(
    github: GitHub,
    rules: Rules,
    now: datetime,
    *,
    repo_filter: str | None = None,
    dry_run: bool = False,
    metrics: Metrics | None = None,
    log: logging.Logger = logger,
    services: dict[str, Any] | None = None,
) -> list[SweepReport]:
    if repo_filter is not None and rules.for_repo(repo_filter) is None:
        raise ConfigError(f"--repo {repo_filter}: not in the rules file")
    bot_login = rules.bot.login or await github.login()
    reports = []
    for repo, repo_rules in rules.repositories.items():
        if repo_filter is not None and repo.lower() != repo_filter.lower():
            continue
        try:
            api = await github.api_for_repo(repo)
        except Exception as exc:
            report = SweepReport(repo, error=f"{type(exc).__name__}: {exc}")
            event(log, "sweep: no access", level=logging.ERROR, repository=repo, error=report.error)
            reports.append(report)
            continue
        reports.append(
            await sweep(
                api,
                repo,
                repo_rules,
                now,
                dry_run=dry_run,
                log=log,
                bot_login=bot_login,
                metrics=metrics,
                catch=CatchUp(dispatch.compose(), rules, services or {}),
            )
        )
    return reports


async def run_sweep_command(
    settings: Settings,
    rules: Rules,
    repo_filter: str | None,
    dry_run: bool,
    *,
    out: Callable[[str], Any] = print,
    now: datetime | None = None,
) -> int:
    """`python -m bot sweep`: one pass over every configured repository (or one), then exit.
    Returns the exit status: 0, or 1 when a repository could not be swept or an issue failed."""
    dry_run = dry_run or settings.dry_run
    async with aiohttp.ClientSession() as session:
        github = GitHub(settings, session, cache_size=SWEEP_CACHE_SIZE)
        reports = await sweep_all(
            github, rules, now or datetime.now(UTC), repo_filter=repo_filter, dry_run=dry_run
        )
    status = 0
    for report in reports:
        if dry_run:
            for line in report.lines():
                out(f"{report.repo}{line}")
        summary = (
            f"{report.repo}: {report.listed} listed, {report.candidates} checked, "
            f"{len(report.planned)} {'planned' if dry_run else 'done'}"
        )
        if report.budget_exhausted:
            summary += " (write budget reached: the next run carries on)"
        if report.caught_up:
            verb = "to triage" if dry_run else "triaged"
            summary += f", {len(report.caught_up)} missed new issues {verb}"
        if report.failed:
            summary += f", {len(report.failed)} failed"
        if report.error:
            summary += f"; error: {report.error}"
            status = 1
        if report.failed:
            status = 1
        out(summary)
    return status


async def periodic_sweep(service: Any, *, first_delay: float | None = None) -> None:
    """Run the sweep inside `serve`, each repository every `sweep_interval_minutes`. Start it
    as a task from `Service.start` and cancel it in `Service.stop`. Several instances may run
    it: every decision is re-made from a fresh read just before writing."""
    rules: Rules = service.rules
    # A random start spreads instances (and restarts) apart.
    await asyncio.sleep(random.uniform(10, 60) if first_delay is None else first_delay)
    due = dict.fromkeys(rules.repositories, 0.0)
    while True:
        for repo, repo_rules in rules.repositories.items():
            if time.monotonic() < due[repo]:
                continue
            due[repo] = time.monotonic() + repo_rules.lifecycle.sweep_interval_minutes * 60
            try:
                if service.github is None:
                    continue
                api = await service.github.api_for_repo(repo)
                bot_login = rules.bot.login or await service.github.login()
                await sweep(
                    api,
                    repo,
                    repo_rules,
                    service.now(),
                    dry_run=False,
                    bot_login=bot_login,
                    metrics=service.metrics,
                    catch=CatchUp(service.router, rules, service.services),
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                event(
                    logger,
                    "sweep failed",
                    level=logging.ERROR,
                    repository=repo,
                    error=f"{type(exc).__name__}: {exc}",
                )
        await asyncio.sleep(max(1.0, min(due.values()) - time.monotonic()))
