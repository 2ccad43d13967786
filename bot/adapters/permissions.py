"""Who is a maintainer: the collaborator-permission API's `role_name`, cached briefly."""

from __future__ import annotations

import time
from collections.abc import Callable

import cachetools
import re2

from bot.adapters.github import Api

# The legacy `permission` field, for servers (older GHES) without `role_name`.
_LEGACY = {"admin": "admin", "write": "write", "read": "read", "none": "none"}
# A GitHub login (an App's ends in "[bot]"); anything else has no role and is never asked about.
_LOGIN = re2.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


class Permissions:
    def __init__(self, ttl: float = 300, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache: cachetools.TTLCache[tuple[str, str], str] = cachetools.TTLCache(
            maxsize=4096, ttl=ttl, timer=clock
        )

    async def role(self, api: Api, repo: str, user: str) -> str:
        if not _LOGIN.fullmatch(user):
            return "none"
        key = (repo.lower(), user.lower())
        role = self._cache.get(key)
        if role is None:
            data = await api.permission(repo, user)
            if data is None:
                role = "none"
            else:
                role = str(
                    data.get("role_name") or _LEGACY.get(str(data.get("permission")), "none")
                )
            self._cache[key] = role
        return role
