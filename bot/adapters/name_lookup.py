"""Name intelligence as a running service: one PyPI client behind its circuit breaker, the
index of every project name kept fresh on a schedule, and a short cache of project facts so
that a request edited five times asks PyPI once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import cachetools

from bot.adapters.pypi import NameIndexRefresher, PyPIClient, PyPITooLarge, PyPIUnavailable
from bot.core.names import NameIndex, normalize
from bot.core.pypi import ProjectFacts

log = logging.getLogger(__name__)

#: How long facts about one project are reused.
FACTS_TTL_SECONDS = 10 * 60
#: How often the list of every project is asked for again (conditionally: 304 when unchanged).
INDEX_REFRESH_SECONDS = 6 * 3600
#: After a failed refresh, the next try comes sooner, but never in a storm.
INDEX_RETRY_SECONDS = 15 * 60

UNREACHABLE = "PyPI could not be reached"


class NameLookup:
    def __init__(
        self,
        client: PyPIClient,
        refresher: NameIndexRefresher | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.refresher = refresher or NameIndexRefresher(client)
        self._facts: cachetools.TTLCache[str, ProjectFacts | None] = cachetools.TTLCache(
            maxsize=1024, ttl=FACTS_TTL_SECONDS, timer=clock
        )
        # Projects whose document is over the size cap: not downloaded again for a while,
        # however often a request naming one is edited.
        self._too_large: cachetools.TTLCache[str, str] = cachetools.TTLCache(
            maxsize=256, ttl=FACTS_TTL_SECONDS, timer=clock
        )

    @property
    def index_url(self) -> str:
        return self.client.base_url

    @property
    def index(self) -> NameIndex:
        return self.refresher.index

    async def facts(self, name: str) -> tuple[ProjectFacts | None, str | None]:
        """(facts or None for no such project, None) or (None, why it could not be checked)."""
        key = normalize(name)
        if key in self._facts:
            return self._facts[key], None
        if key in self._too_large:
            return None, self._too_large[key]
        try:
            facts = await self.client.project(name)
        except PyPITooLarge as exc:
            log.warning("PyPI facts for %s not checked: %s", key, exc.reason)
            why = f"PyPI's answer for this project is over {exc.limit // 2**20} MiB, too large"
            self._too_large[key] = why
            return None, why
        except PyPIUnavailable as exc:
            log.warning("PyPI facts for %s not checked: %s", key, exc.reason)
            return None, UNREACHABLE
        self._facts[key] = facts
        return facts, None

    async def keep_index_fresh(self) -> None:
        """Refresh the index now and then on a schedule; run as a task, cancel to stop."""
        while True:
            await self.refresher.refresh()
            ok = self.refresher.last_refresh_ok
            await asyncio.sleep(INDEX_REFRESH_SECONDS if ok else INDEX_RETRY_SECONDS)
