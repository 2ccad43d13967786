"""The running bot: settings, rules, the GitHub client, the work queue. `accept` decides at
once what becomes of a verified delivery; every piece of work on an issue (a delivery, the
sweep, its catch-up) goes through `work_issue`, behind the work queue's one-at-a-time order
for that issue."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import cachetools

from bot.adapters.account_lookup import AccountLookup
from bot.adapters.github import Api, CacheFile, GitHub, RetryPolicy
from bot.adapters.name_lookup import NameLookup
from bot.adapters.permissions import Permissions
from bot.adapters.pypi import PyPIClient
from bot.core.model import Issue, Snapshot
from bot.core.rules import Rules
from bot.core.trigger import Trigger
from bot.features.base import NameFacts
from bot.runtime import reconcile
from bot.runtime.apply import Budget
from bot.runtime.config import Settings
from bot.runtime.delivery import Delivery, Refused, Seen, decode, ignored_on_receipt
from bot.runtime.logs import error_text, event, log_context
from bot.runtime.metrics import Metrics
from bot.runtime.report import Reports
from bot.runtime.workqueue import Job, WorkQueue

log = logging.getLogger(__name__)

# Deliveries remembered to refuse redeliveries: GitHub redelivers within hours, not days.
SEEN_TTL_SECONDS = 24 * 3600
SEEN_MAX = 100_000
# JSON objects the ETag cache keeps (see github.GitHub).
CACHE_OBJECTS = 10_000


# Event names become a metric label: any other name (a header an unverified dry-run delivery
# can set to anything) is counted as "other", so the series stay few.
_EVENT_LABELS = frozenset({"issues", "issue_comment", "installation", "pull_request", "push"})


def event_label(name: str) -> str:
    return name if name in _EVENT_LABELS else "other"


class Service:
    def __init__(
        self,
        settings: Settings,
        rules: Rules,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        concurrency: int = 8,
        cache_size: int = CACHE_OBJECTS,
        github: Any = None,
        names: NameFacts | None = None,
    ) -> None:
        """`github` and `names` stand in for GitHub and PyPI (`bot demo` plays both
        offline, see bot.adapters.offline); by default `start` connects to the real ones."""
        self.settings = settings
        self.rules = rules
        self.policy = policy
        self.clock = clock
        self.cache_size = cache_size
        self.metrics = Metrics()
        self.queue = WorkQueue(concurrency=concurrency, on_depth=self.metrics.queue_depth.set)
        self.seen = Seen(SEEN_TTL_SECONDS, SEEN_MAX, clock)
        self.session: aiohttp.ClientSession | None = None
        self.github: GitHub | None = github
        self.cache_file: CacheFile | None = None
        self.permissions = Permissions()
        # When this process last worked each issue (monotonic): a listing read before that is
        # stale for that issue. Bounded; an issue forgotten is simply read afresh.
        self.worked_at: cachetools.LRUCache[tuple[str, int], float] = cachetools.LRUCache(
            maxsize=SEEN_MAX
        )
        self.names: NameFacts | None = names
        self.reports = Reports(self)  # the queue reports: the dashboard, the /report page
        self.accounts: AccountLookup | None = None
        # Scheduled work (`start_scheduled`, for `serve` once it listens): the sweep (rules:
        # lifecycle.sweep_interval_minutes) and the refresh of PyPI's project names.
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        if self.github is None:
            self.github = GitHub(
                self.settings,
                self.session,
                policy=self.policy,
                metrics=self.metrics,
                clock=self.clock,
                # Room for a sweep of pypi/support (some thousand open issues: pages and
                # timelines), so the next pass over it is mostly 304s; about 50 MB at most.
                cache_size=self.cache_size,
            )
            if self.settings.cache_dir is not None:
                self.cache_file = CacheFile(self.settings.cache_dir, self.settings)
                loaded = self.cache_file.load(self.github.cache)
                event(log, "github: conditional-request cache loaded", entries=loaded)
        repos = self.rules.repositories.values()
        # One client for PyPI, so the name report and the recovery note share its circuit
        # breaker: when PyPI is down, neither keeps asking.
        pypi = PyPIClient(self.session, self.settings.pypi_url, clock=self.clock)
        if self.accounts is None and any(r.recovery_evidence.enabled for r in repos):
            test_pypi = PyPIClient(self.session, self.settings.test_pypi_url, clock=self.clock)
            self.accounts = AccountLookup(pypi, test_pypi, clock=self.clock)
        if self.names is None and any(r.name_intelligence.enabled for r in repos):
            self.names = NameLookup(pypi)
        self.queue.start()

    def start_scheduled(self) -> None:
        """Start the scheduled work of `serve`: the index of PyPI's project names, kept
        fresh, and the periodic sweep."""
        from bot.runtime.sweep import periodic_sweep

        if isinstance(self.names, NameLookup):
            self._tasks.append(asyncio.create_task(self.names.keep_index_fresh(), name="names"))
        if not (self.settings.token or self.settings.app_id):
            # Anonymous reads of a whole tracker would exhaust GitHub's 60-an-hour limit at
            # once, and nothing could be written anyway.
            event(
                log,
                "no GitHub credentials: the scheduled sweep is off "
                "(`python -m bot sweep --dry-run` with a token shows what it would do)",
            )
            return
        self._tasks.append(asyncio.create_task(periodic_sweep(self), name="periodic-sweep"))

    @property
    def stopping(self) -> bool:
        """Shutting down: deliveries are refused (503) while queued work finishes."""
        return not self.queue.accepting

    async def stop(self, grace: float = 25.0) -> None:
        """Refuse new work, give queued work up to `grace` seconds, then close. A second
        call does nothing (`serve` stops the service itself, then the app's cleanup asks)."""
        if self._stopped:
            return
        self._stopped = True
        self.queue.accepting = False  # from now on deliveries get 503
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.reports.stop()
        unfinished = await self.queue.close(grace)
        for delivery_id in unfinished:
            event(
                log,
                "shutdown: delivery not finished",
                level=logging.ERROR,
                delivery_id=delivery_id,
                outcome="unfinished",
            )
        if self.cache_file is not None and self.github is not None:
            self.cache_file.save(self.github.cache)
        if self.session is not None:
            await self.session.close()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def accept(self, delivery: Delivery) -> str:
        """Decide at once, on its envelope, what becomes of a delivery past the receipt's checks;
        queue it if it may be work. Returns the outcome: queued, duplicate, ignored."""
        envelope = delivery.envelope
        if delivery.id in self.seen:
            outcome = "duplicate"
        elif why := ignored_on_receipt(envelope, self.rules):
            outcome = "ignored"
            self._log_ignored(delivery, why)
        else:
            outcome = "queued"
            repo, number = envelope.repository_name, envelope.number
            assert repo is not None and number is not None
            job = Job(issue_key(repo, number), delivery.id, lambda: self.process(delivery))
            self.queue.submit(job)  # first: a delivery refused (QueueFull, a 503) is not seen
            self.seen.add(delivery.id)
        self.metrics.delivery(event_label(delivery.event), outcome)
        return outcome

    def _log_ignored(self, delivery: Delivery, why: str) -> None:
        event(
            log,
            "delivery ignored",
            delivery_id=delivery.id,
            event=delivery.event,
            action=delivery.envelope.action,
            repository=delivery.envelope.repository_name,
            why=why,
        )

    async def api_for(self, installation_id: int | None) -> Api:
        assert self.github is not None, "the service is not started"
        return await self.github.api(installation_id)

    async def bot_login(self) -> str | None:
        assert self.github is not None, "the service is not started"
        return self.rules.bot.login or await self.github.login()

    async def work_issue(
        self,
        api: Api,
        repo: str,
        number: int,
        trigger: Trigger,
        *,
        budget: Budget | None = None,
        listed: Issue | None = None,
        listed_at: float | None = None,
        snapshot: Snapshot | None = None,
    ) -> reconcile.Worked:
        """Work one issue now (callers queue this behind the issue's other work). `listed`:
        the issue as a listing read at `listed_at` (monotonic) showed it, used instead of a
        fresh read unless this process worked the issue since."""
        repo_rules = self.rules.for_repo(repo)
        assert repo_rules is not None
        key = issue_key(repo, number)
        if self.worked_at.get(key, float("-inf")) >= (listed_at or 0.0):
            listed = snapshot = None  # worked on since it was read: read it afresh
        lookups = reconcile.GitHubLookups(
            api, repo, repo_rules, self.permissions, self.names, self.accounts
        )
        try:
            return await reconcile.work(
                api,
                repo,
                number,
                trigger,
                repo_rules,
                self.now(),
                bot_login=await self.bot_login(),
                lookups=lookups,
                metrics=self.metrics,
                budget=budget,
                listed=listed,
                snapshot=snapshot,
            )
        finally:
            self.worked_at[key] = time.monotonic()

    async def process(self, delivery: Delivery) -> None:
        """Work a queued delivery: decode its body, and work its issue if a feature wants it."""
        envelope = delivery.envelope
        repo, number = envelope.repository_name, envelope.number
        assert repo is not None and number is not None
        started = time.monotonic()
        with log_context(
            delivery_id=delivery.id,
            event=delivery.event,
            action=envelope.action,
            repository=repo,
            issue=number,
        ):
            outcome = "done"
            try:
                outcome = await self._work_delivery(delivery, repo, number)
            except Refused as exc:
                # Only a body GitHub would never send (the receipt checked the rest): not
                # worked, and not forgotten either, since a redelivery would fail the same way.
                outcome = "refused"
                event(log, "delivery refused", level=logging.ERROR, error=str(exc))
            except Exception as exc:
                outcome = "failed"
                event(
                    log,
                    "delivery failed",
                    level=logging.ERROR,
                    error=error_text(exc),
                )
            if outcome == "failed":
                # Forget it, so that a redelivery from GitHub's UI is worked again.
                self.seen.forget(delivery.id)
            self.metrics.delivery(event_label(delivery.event), outcome)
            event(
                log,
                "delivery worked",
                outcome=outcome,
                ms=round((time.monotonic() - started) * 1000, 1),
            )

    async def _work_delivery(self, delivery: Delivery, repo: str, number: int) -> str:
        """The outcome of working a delivery: done, failed, own_event or ignored."""
        repo_rules = self.rules.for_repo(repo)
        assert repo_rules is not None
        data = decode(delivery.body)
        trigger = Trigger.from_delivery(delivery.event, data)
        if not reconcile.wanted_by(trigger, repo_rules):
            why = f"no feature acts on {delivery.event}.{trigger.action} here"
            self._log_ignored(delivery, why)
            return "ignored"
        api = await self.api_for(delivery.envelope.installation_id)
        bot_login = await self.bot_login()
        if bot_login is None and not api.dry_run:
            # Without it none of its own comments is recognised: it would post them again.
            # Failed, so that GitHub shows it and a redelivery works it.
            event(
                log,
                "delivery not worked: the bot's login is unknown "
                "(GitHub did not say; set bot.login in the rules file)",
                level=logging.ERROR,
            )
            return "failed"
        if bot_login and trigger.sender.lower() == bot_login.lower():
            return "own_event"
        worked = await self.work_issue(api, repo, number, trigger)
        return "failed" if worked.failed else "done"


def issue_key(repo: str, number: int) -> tuple[str, int]:
    """The work queue's key: all work on one issue is done one piece at a time."""
    return (repo.lower(), number)
