"""PyPI accounts as a running service, for account recovery: does an account exist, which
projects it has a role on, and what the JSON API says of each (its last release, its source
repository, its ownership). One client per index (PyPI, TestPyPI), each behind its circuit
breaker; what it said is reused for 10 minutes (a project's facts by the client, which the
name report shares), so triage and the recovery note, working the same request one after the
other, ask the index once.

Never raises for what the index does: a part that could not be checked is said so in the
`Account` (its `error`, or a project's), and the rest is still given."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import cachetools

from bot.adapters.pypi import PyPIClient, PyPITooLarge, PyPIUnavailable
from bot.core.names import normalize
from bot.core.pypi import ProjectFacts
from bot.core.recovery import Account, ProjectEvidence
from bot.core.rules import MAX_RECOVERY_PROJECTS

log = logging.getLogger(__name__)

#: How long what the index said about an account (it exists, its projects) is reused.
FACTS_TTL_SECONDS = 10 * 60
#: Project documents asked for at once, for one account.
CONCURRENT_PROJECTS = 4
#: Names of the projects beyond the bound that a note lists (the rest are counted).
MAX_OTHERS = 20

UNREACHABLE = "{index} could not be reached"


class AccountLookup:
    def __init__(
        self,
        pypi: PyPIClient,
        test_pypi: PyPIClient | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clients = {False: pypi, True: test_pypi}
        self._exists: cachetools.TTLCache[tuple[bool, str], tuple[bool, str | None]] = (
            cachetools.TTLCache(maxsize=1024, ttl=FACTS_TTL_SECONDS, timer=clock)
        )
        self._roles: cachetools.TTLCache[tuple[bool, str], tuple[int, tuple]] = cachetools.TTLCache(
            maxsize=256, ttl=FACTS_TTL_SECONDS, timer=clock
        )

    def index_url(self, test: bool) -> str:
        client = self.clients[test]
        return client.base_url if client is not None else ""

    async def account(self, username: str, *, test: bool, limit: int) -> Account:
        """What the index says of the account: whether it exists, then its projects (the
        first `limit` as the index lists them, owner roles first), each with its facts."""
        client = self.clients[test]
        index = "TestPyPI" if test else "PyPI"
        unreachable = UNREACHABLE.format(index=index)
        if client is None:
            return Account(username, test, error=f"{index} is not configured")
        user = username.lower()
        try:
            known = self._exists.get((test, user))
            if known is None:
                known = self._exists[test, user] = await client.user_exists(username)
            exists, canonical = known
        except PyPIUnavailable as exc:
            log.warning("%s account %s not checked: %s", index, user, exc.reason)
            return Account(username, test, error=unreachable)
        if not exists:
            return Account(username, test, exists=False)
        try:
            listing = self._roles.get((test, user))
            if listing is None:
                listing = _listing(await client.user_packages(username))
                self._roles[test, user] = listing
        except PyPIUnavailable as exc:
            log.warning("%s projects of %s not listed: %s", index, user, exc.reason)
            why = unreachable
            if isinstance(exc, PyPITooLarge):
                why = f"its list of projects is over {exc.limit // 2**20} MiB, too large"
            return Account(username, test, exists=True, canonical=canonical, error=why)
        total, head = listing
        chosen = head[:limit]
        others = [name for _, name in head[limit:]]
        gate = asyncio.Semaphore(CONCURRENT_PROJECTS)

        async def evidence(role: str, name: str) -> ProjectEvidence:
            async with gate:
                facts, error = await _project(client, name, unreachable)
            return ProjectEvidence(name, role, facts, error)

        projects = await asyncio.gather(*(evidence(role, name) for role, name in chosen))
        return Account(
            username,
            test,
            exists=True,
            canonical=canonical,
            projects=tuple(projects),
            total=total,
            others=tuple(others[:MAX_OTHERS]),
        )


async def _project(
    client: PyPIClient, name: str, unreachable: str
) -> tuple[ProjectFacts | None, str | None]:
    try:
        return await client.project_facts(name), None
    except PyPITooLarge as exc:
        return None, f"its JSON document is over {exc.limit // 2**20} MiB, too large"
    except PyPIUnavailable as exc:
        log.warning("project %s not checked: %s", normalize(name), exc.reason)
        return None, unreachable


def _listing(roles: list[tuple[str, str]]) -> tuple[int, tuple[tuple[str, str], ...]]:
    """How many projects the account has a role on, and the first few (each once, with its
    first, highest role): as many as any note looks up and names, so a cached listing stays
    small whatever the account's size."""
    listed: dict[str, tuple[str, str]] = {}
    for role, name in roles:
        listed.setdefault(normalize(name), (role, name))
    head = tuple(itertools.islice(listed.values(), MAX_RECOVERY_PROJECTS + MAX_OTHERS))
    return len(listed), head


@contextlib.asynccontextmanager
async def open_accounts(pypi_url: str, test_pypi_url: str) -> AsyncIterator[AccountLookup]:
    """An account service with its own session, for one command (`plan`, `backtest`)."""
    async with aiohttp.ClientSession() as session:
        yield AccountLookup(PyPIClient(session, pypi_url), PyPIClient(session, test_pypi_url))
