"""The running bot: settings, rules, the GitHub client, the work queue and the dispatcher.
`process` works one delivery; the web layer only verifies, records and queues."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp
import cachetools
from gidgethub import sansio

from bot.adapters.github import GitHub, RetryPolicy
from bot.adapters.name_lookup import NameLookup
from bot.core.model import is_bot
from bot.core.rules import Rules
from bot.runtime import dispatch
from bot.runtime.config import Settings
from bot.runtime.logs import event, log_context
from bot.runtime.metrics import Metrics
from bot.runtime.workqueue import Job, WorkQueue

log = logging.getLogger(__name__)

# Deliveries remembered to refuse redeliveries: GitHub redelivers within hours, not days.
SEEN_TTL_SECONDS = 24 * 3600
SEEN_MAX = 100_000
# JSON objects the ETag cache keeps (see github.GitHub).
CACHE_OBJECTS = 10_000


def issue_number(payload: Mapping[str, Any]) -> int | None:
    for key in ("issue", "pull_request"):
        item = payload.get(key)
        if isinstance(item, Mapping) and isinstance(item.get("number"), int):
            return item["number"]
    return None


def repository(payload: Mapping[str, Any]) -> str | None:
    repo = payload.get("repository")
    if isinstance(repo, Mapping) and isinstance(repo.get("full_name"), str):
        return repo["full_name"]
    return None


# Parts of a delivery the bot relies on, and the JSON type each must have when present.
_ENVELOPE = {
    "action": str,
    "repository": Mapping,
    "sender": Mapping,
    "installation": Mapping,
    "issue": Mapping,
    "comment": Mapping,
    "label": Mapping,
    "changes": Mapping,
}


# Event names become a metric label: any other name (a header an unverified dry-run delivery
# can set to anything) is counted as "other", so the series stay few.
_EVENT_LABELS = frozenset({"issues", "issue_comment", "installation", "pull_request", "push"})


def event_label(name: str) -> str:
    return name if name in _EVENT_LABELS else "other"


def malformed(payload: Mapping[str, Any]) -> str | None:
    """Why a delivery's envelope is not what GitHub sends, or None. Checked before routing,
    so that no handler meets, say, a list where an action name should be."""
    for key, kind in _ENVELOPE.items():
        if key in payload and payload[key] is not None and not isinstance(payload[key], kind):
            return f"'{key}' is not a JSON {'string' if kind is str else 'object'}"
    return None


class Service:
    def __init__(
        self,
        settings: Settings,
        rules: Rules,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        concurrency: int = 8,
        background: bool = False,
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.policy = policy
        self.clock = clock
        self.metrics = Metrics()
        self.router = dispatch.compose()
        self.queue = WorkQueue(concurrency=concurrency, on_depth=self.metrics.queue_depth.set)
        self.seen: cachetools.TTLCache[str, bool] = cachetools.TTLCache(
            maxsize=SEEN_MAX, ttl=SEEN_TTL_SECONDS, timer=clock
        )
        self.session: aiohttp.ClientSession | None = None
        self.github: GitHub | None = None
        self.services: dict[str, Any] = {}
        # Scheduled work, on for `serve`: the sweep (rules: lifecycle.sweep_interval_minutes)
        # and the refresh of PyPI's project names.
        self.background = background
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        self.github = GitHub(
            self.settings,
            self.session,
            policy=self.policy,
            metrics=self.metrics,
            clock=self.clock,
            # Room for a sweep of pypi/support (some thousand open issues: pages, comments and
            # events), so the next pass over it is mostly 304s; about 50 MB at most.
            cache_size=CACHE_OBJECTS,
        )
        if any(r.name_intelligence.enabled for r in self.rules.repositories.values()):
            names = NameLookup.for_index(self.session, self.settings.pypi_url, clock=self.clock)
            self.services["names"] = names
            if self.background:
                self._tasks.append(asyncio.create_task(names.keep_index_fresh(), name="names"))
        self.queue.start()
        if self.background:
            from bot.runtime.sweep import periodic_sweep

            self._tasks.append(asyncio.create_task(periodic_sweep(self), name="periodic-sweep"))

    async def stop(self, grace: float = 25.0) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        unfinished = await self.queue.close(grace)
        for delivery_id in unfinished:
            event(
                log,
                "shutdown: delivery not finished",
                level=logging.ERROR,
                delivery_id=delivery_id,
                outcome="unfinished",
            )
        if self.session is not None:
            await self.session.close()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def accept(self, sansio_event: sansio.Event) -> str:
        """Decide at once what becomes of a verified delivery; queue it if there is work.
        Returns the outcome: queued, duplicate, ignored."""
        data = sansio_event.data
        outcome = self._triage_delivery(sansio_event)
        if outcome == "queued":
            repo = repository(data)
            number = issue_number(data)
            key = (repo, number) if number is not None else sansio_event.delivery_id
            self.seen[sansio_event.delivery_id] = True
            self.queue.submit(
                Job(key, sansio_event.delivery_id, lambda: self.process(sansio_event))
            )
        self.metrics.deliveries.labels(event_label(sansio_event.event), outcome).inc()
        return outcome

    def _triage_delivery(self, sansio_event: sansio.Event) -> str:
        if sansio_event.delivery_id in self.seen:
            return "duplicate"
        data = sansio_event.data
        if self.rules.for_repo(repository(data)) is None:
            return "ignored"  # not a repository the rules configure
        sender = data.get("sender") if isinstance(data.get("sender"), Mapping) else {}
        if self.rules.bot.ignore_other_bots and is_bot(sender.get("login"), sender.get("type")):
            return "ignored"
        if not dispatch.handles(self.router, sansio_event):
            return "ignored"
        return "queued"

    async def process(self, sansio_event: sansio.Event) -> None:
        data = sansio_event.data
        repo = repository(data)
        started = time.monotonic()
        with log_context(
            delivery_id=sansio_event.delivery_id,
            event=sansio_event.event,
            action=data.get("action"),
            repository=repo,
            issue=issue_number(data),
        ):
            outcome = "done"
            try:
                assert self.github is not None and repo is not None
                installation = data.get("installation")
                installation_id = (
                    installation.get("id") if isinstance(installation, Mapping) else None
                )
                api = await self.github.api(installation_id)
                bot_login = self.rules.bot.login or await self.github.login()
                sender = data.get("sender") if isinstance(data.get("sender"), Mapping) else {}
                if bot_login and str(sender.get("login", "")).lower() == bot_login.lower():
                    outcome = "own_event"
                else:
                    repo_rules = self.rules.for_repo(repo)
                    assert repo_rules is not None
                    ctx = dispatch.Context(
                        api=api,
                        rules=self.rules,
                        repo_rules=repo_rules,
                        repo=repo,
                        bot_login=bot_login,
                        now=self.now(),
                        delivery_id=sansio_event.delivery_id,
                        metrics=self.metrics,
                        services=self.services,
                    )
                    if await dispatch.dispatch(self.router, sansio_event, ctx):
                        outcome = "failed"
            except Exception as exc:
                outcome = "failed"
                event(
                    log,
                    "delivery failed",
                    level=logging.ERROR,
                    error=f"{type(exc).__name__}: {exc}",
                )
            if outcome == "failed":
                # Forget it, so that a redelivery from GitHub's UI is worked again.
                self.seen.pop(sansio_event.delivery_id, None)
            self.metrics.deliveries.labels(event_label(sansio_event.event), outcome).inc()
            event(
                log,
                "delivery worked",
                outcome=outcome,
                ms=round((time.monotonic() - started) * 1000, 1),
            )
