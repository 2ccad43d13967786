"""Name intelligence as a running service: one PyPI client behind its circuit breaker, the
index of every project name kept fresh on a schedule; project facts come from the client's
short cache, so that a request edited five times asks PyPI once."""

from __future__ import annotations

import asyncio
import logging

from bot.adapters.pypi import NameIndexRefresher, PyPIClient, PyPITooLarge, PyPIUnavailable
from bot.core.names import NameIndex, normalize
from bot.core.pypi import ProjectFacts

log = logging.getLogger(__name__)

#: How often the list of every project is asked for again (conditionally: 304 when unchanged).
INDEX_REFRESH_SECONDS = 6 * 3600
#: After a failed refresh, the next try comes sooner, but never in a storm.
INDEX_RETRY_SECONDS = 15 * 60

UNREACHABLE = "PyPI could not be reached"


class NameLookup:
    def __init__(self, client: PyPIClient, refresher: NameIndexRefresher | None = None) -> None:
        self.client = client
        self.refresher = refresher or NameIndexRefresher(client)

    @property
    def index_url(self) -> str:
        return self.client.base_url

    @property
    def index(self) -> NameIndex:
        return self.refresher.index

    async def facts(self, name: str) -> tuple[ProjectFacts | None, str | None]:
        """(facts or None for no such project, None) or (None, why it could not be checked)."""
        try:
            return await self.client.project_facts(name), None
        except PyPITooLarge as exc:
            log.warning("PyPI facts for %s not checked: %s", normalize(name), exc.reason)
            return (
                None,
                f"PyPI's answer for this project is over {exc.limit // 2**20} MiB, too large",
            )
        except PyPIUnavailable as exc:
            log.warning("PyPI facts for %s not checked: %s", normalize(name), exc.reason)
            return None, UNREACHABLE

    async def keep_index_fresh(self) -> None:
        """Refresh the index now and then on a schedule; run as a task, cancel to stop."""
        while True:
            await self.refresher.refresh()
            ok = self.refresher.last_refresh_ok
            await asyncio.sleep(INDEX_REFRESH_SECONDS if ok else INDEX_RETRY_SECONDS)
