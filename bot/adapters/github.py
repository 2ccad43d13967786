"""The one place that talks to GitHub: auth, retries, rate limits, conditional requests, dry-run.

Features never build HTTP requests; they call `Api` methods, named for what they do.

- Auth: a token, or a GitHub App (JWT -> installation token per installation, cached until
  shortly before it expires), or none (dry-run, unauthenticated reads).
- One shared aiohttp session and one conditional-request cache (ETags: a 304 costs no
  rate-limit point).
- Retries with backoff and jitter for 5xx, timeouts and resets, secondary rate limits
  (`retry-after`) and an exhausted primary limit (wait for the reset), all within bounds.
  Creating a comment or an issue is not idempotent, so it is never retried blindly: the
  caller looks for what it made before trying again (see `bot.runtime.apply.write_once`).
- Dry-run: every would-be write is logged as one structured line and not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import logging
import os
import random
import tempfile
import time
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import cachetools
import gidgethub
import gidgethub.aiohttp
import gidgethub.apps

from bot.runtime.config import Settings
from bot.runtime.logs import error_text, event
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
USER_AGENT = "pypi-support-bot"
# Refresh an installation token this long before GitHub says it expires.
TOKEN_MARGIN_SECONDS = 300


class AmbiguousWrite(Exception):
    """A non-idempotent write failed in a way that leaves unknown whether GitHub did it."""


# What a call through `Api` raises when GitHub refused, failed or could not be reached (any
# other exception is a bug of ours, and is not caught as one of these).
GITHUB_ERRORS = (gidgethub.GitHubException, AmbiguousWrite, OSError, TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per request, the first included
    backoff: float = 1.0  # first backoff in seconds, doubled each time, with full jitter
    max_wait: float = 900.0  # longest single wait (retry-after, or a rate-limit reset)
    request_timeout: float = 30.0
    # GitHub's terms for integrations: mutating requests one at a time, at least a second
    # apart; content creation at most 80 a minute and 500 an hour (None: no limit, in tests).
    write_spacing: float = 1.0
    content_per_minute: int | None = 80
    content_per_hour: int | None = 500
    # After a create whose outcome is unknown, how often to look for what it made, and for
    # how long (None: twice the request timeout). Longer than the timeout, since GitHub may
    # still be writing when the client gives up.
    confirm_interval: float = 2.0
    confirm_for: float | None = None

    @property
    def confirm_window(self) -> float:
        return self.confirm_for if self.confirm_for is not None else 2 * self.request_timeout


def _retry_after(exc: gidgethub.HTTPException) -> float | None:
    headers = exc.headers or {}
    value = headers.get("retry-after")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


def _reset_in(headers: Any, now: float) -> float | None:
    reset = (headers or {}).get("x-ratelimit-reset")
    try:
        return max(0.0, float(reset) - now) if reset is not None else None
    except ValueError:
        return None


def _creates_content(method: str, url: str) -> bool:
    """A request that makes something new each time it is sent (a comment, an issue): not
    idempotent, and counted by GitHub's content-creation limits."""
    path = urllib.parse.urlsplit(url).path
    return method == "POST" and (path.endswith("/comments") or path.endswith("/issues"))


def _mutates(method: str) -> bool:
    return method not in ("GET", "HEAD")


class WritePacer:
    """GitHub's pace for one installation or token: writes one at a time, each sent at least
    `write_spacing` after the answer to the one before; content creation within its
    per-minute and per-hour limits before GitHub has to refuse; everything paused while GitHub
    says to wait (a secondary rate limit's `retry-after`). Reads are never held up."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._not_before = 0.0
        self._created: deque[float] = deque()  # when content was created, last hour

    def _content_wait(self, now: float) -> float:
        while self._created and self._created[0] <= now - 3600:
            self._created.popleft()
        wait = 0.0
        for limit, window in (
            (self.policy.content_per_minute, 60.0),
            (self.policy.content_per_hour, 3600.0),
        ):
            recent = [t for t in self._created if t > now - window]
            if limit is not None and len(recent) >= limit:
                wait = max(wait, recent[-limit] + window - now)
        return wait

    @contextlib.asynccontextmanager
    async def turn(self, creates_content: bool) -> AsyncIterator[None]:
        async with self._lock:
            while True:
                now = self._clock()
                wait = self._not_before - now
                if creates_content:
                    wait = max(wait, self._content_wait(now))
                if wait <= 0:
                    break
                await self._sleep(wait)
            if creates_content:
                self._created.append(self._clock())
            try:
                yield
            finally:
                # Counted from the answer: however long the request took on the way, GitHub
                # sees the next one at least `write_spacing` after this one.
                self._not_before = max(self._not_before, self._clock() + self.policy.write_spacing)

    def pause(self, seconds: float) -> None:
        """GitHub asked for a pause: no write goes out before it ends."""
        self._not_before = max(self._not_before, self._clock() + seconds)


class _GitHubAPI(gidgethub.aiohttp.GitHubAPI):
    """gidgethub's client with this bot's retry, rate-limit and metrics policy."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        oauth_token: str | None,
        cache: cachetools.LRUCache | None,
        base_url: str,
        policy: RetryPolicy,
        metrics: Metrics | None,
        clock: Callable[[], float],
        pacer: WritePacer | None,
    ) -> None:
        super().__init__(
            session, USER_AGENT, oauth_token=oauth_token, cache=cache, base_url=base_url
        )
        self.policy = policy
        self.metrics = metrics
        self.clock = clock
        self.pacer = pacer

    async def _request(
        self, method: str, url: str, headers: Any, body: bytes = b""
    ) -> tuple[int, Any, bytes]:
        if self.pacer is not None and _mutates(method):
            async with self.pacer.turn(_creates_content(method, url)):
                return await self._send(method, url, headers, body)
        return await self._send(method, url, headers, body)

    async def _send(
        self, method: str, url: str, headers: Any, body: bytes = b""
    ) -> tuple[int, Any, bytes]:
        headers = {**headers, "x-github-api-version": API_VERSION}
        timeout = aiohttp.ClientTimeout(total=self.policy.request_timeout)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._session.request(
                    method, url, headers=headers, data=body, timeout=timeout
                ) as response:
                    status, rheaders, rbody = (
                        response.status,
                        response.headers,
                        await response.read(),
                    )
            except (aiohttp.ClientError, TimeoutError) as exc:
                self._count(method, "error")
                if _creates_content(method, url):
                    raise AmbiguousWrite(f"{method} {url}: {type(exc).__name__}") from None
                if attempt >= self.policy.attempts:
                    raise
                await self._backoff(attempt, f"{type(exc).__name__} on {method}")
                continue
            self._count(method, str(status))
            remaining = rheaders.get("x-ratelimit-remaining")
            if self.metrics is not None and remaining is not None and remaining.isdigit():
                self.metrics.rate_limit_remaining(int(remaining))
            return status, rheaders, rbody

    def _count(self, method: str, status: str) -> None:
        if self.metrics is not None:
            self.metrics.github_calls.labels(method, status).inc()

    async def _backoff(self, attempt: int, reason: str, at_least: float = 0.0) -> None:
        delay = min(
            self.policy.max_wait,
            max(at_least, random.uniform(0, self.policy.backoff * 2 ** (attempt - 1))),
        )
        event(
            log,
            "github: retrying",
            level=logging.WARNING,
            reason=reason,
            attempt=attempt,
            wait_s=round(delay, 3),
        )
        await self.sleep(delay)

    async def manage_rate_limit(self, *, method: str, url: str) -> None:
        # Primary limit exhausted: wait for the reset rather than spend a request on a 403.
        limit = self.rate_limit
        # gidgethub counts this request down before calling us, hence < 0.
        if limit is not None and limit.remaining < 0:
            wait = limit.reset_datetime.timestamp() - self.clock()
            if wait > self.policy.max_wait:
                raise gidgethub.RateLimitExceeded(limit, "rate limit exhausted; reset too far away")
            if wait > 0:
                event(
                    log,
                    "github: rate limit exhausted, waiting for reset",
                    level=logging.WARNING,
                    wait_s=round(wait, 1),
                )
                await self.sleep(wait)

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: gidgethub.HTTPException, attempt: int
    ) -> bool:
        if attempt >= self.policy.attempts:
            return False
        status = int(exception.status_code)
        retry_after = _retry_after(exception)
        if isinstance(exception, gidgethub.RateLimitExceeded):
            wait = _reset_in(exception.headers, self.clock())
            if wait is None or wait > self.policy.max_wait:
                return False
            await self._backoff(attempt, "primary rate limit", at_least=wait)
            return True
        if status in (403, 429) and (
            retry_after is not None
            or status == 429
            or "secondary rate limit" in str(exception).lower()
        ):
            # Secondary limit: GitHub says how long to wait, or asks for at least a minute;
            # every write of this installation waits, not only the refused one.
            wait = retry_after if retry_after is not None else 60.0
            if wait > self.policy.max_wait:
                return False
            if self.pacer is not None:
                self.pacer.pause(wait)
            await self._backoff(attempt, f"secondary rate limit ({status})", at_least=wait)
            return True
        if status >= 500:
            if _creates_content(method, url):
                raise AmbiguousWrite(f"{method} {url}: {status}") from None
            await self._backoff(attempt, f"server error {status}")
            return True
        return False


class Api:
    """GitHub as the features see it: reads, and writes that dry-run turns into log lines."""

    def __init__(self, gh: _GitHubAPI, *, dry_run: bool) -> None:
        self._gh = gh
        self.dry_run = dry_run

    @property
    def confirm_window(self) -> tuple[float, float]:
        """(how long, how often) to look for a create whose outcome is unknown."""
        policy = self._gh.policy
        return policy.confirm_window, policy.confirm_interval

    async def pause(self, seconds: float) -> None:
        await self._gh.sleep(seconds)

    # -- reads --------------------------------------------------------------------------

    async def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return await self._gh.getitem(_with_query(url, params))

    async def iterate(
        self, url: str, params: dict[str, Any] | None = None, *, pages: int | None = None
    ) -> AsyncIterator[Any]:
        """Every item, page by page, from at most `pages` pages (None: all). By page number,
        not by the Link header: GitHub's ETag covers a page's items, not its links, so a
        cached full last page would replay "no next page" after more items came; a full page
        is always followed by a look at the next."""
        per_page = int((params or {}).get("per_page", 100))
        page = 1
        while True:
            items = await self.get(url, {**(params or {}), "per_page": per_page, "page": page})
            items = items if isinstance(items, list) else []
            for item in items:
                yield item
            if len(items) < per_page or (pages is not None and page >= pages):
                return
            page += 1

    async def get_issue(self, repo: str, number: int) -> dict[str, Any]:
        return await self.get(f"/repos/{repo}/issues/{number}")

    async def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [c async for c in self.iterate(f"/repos/{repo}/issues/{number}/comments")]

    async def timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The issue's comments and events, in one list."""
        return [e async for e in self.iterate(f"/repos/{repo}/issues/{number}/timeline")]

    async def permission(self, repo: str, user: str) -> dict[str, Any] | None:
        try:
            return await self.get(f"/repos/{repo}/collaborators/{_seg(user)}/permission")
        except gidgethub.BadRequest as exc:
            if exc.status_code in (403, 404):  # not a collaborator, or no such user
                return None
            raise

    async def team_member(self, org: str, team: str, user: str) -> bool:
        try:
            data = await self.get(f"/orgs/{_seg(org)}/teams/{_seg(team)}/memberships/{_seg(user)}")
        except gidgethub.BadRequest as exc:
            if exc.status_code in (403, 404):
                return False
            raise
        return data.get("state") == "active"

    async def repository(self, owner: str, name: str) -> dict[str, Any] | None:
        """A repository as GitHub shows it (after a rename or a transfer, the new one); None
        when GitHub shows none: private, deleted, or taken down (404, 451)."""
        try:
            return await self.get(f"/repos/{_seg(owner)}/{_seg(name)}")
        except gidgethub.BadRequest as exc:
            if exc.status_code in (404, 451):
                return None
            raise

    async def public_member(self, org: str, user: str) -> bool:
        """Whether `user` shows their membership of `org` publicly (204; 404 otherwise)."""
        try:
            await self.get(f"/orgs/{_seg(org)}/public_members/{_seg(user)}")
        except gidgethub.BadRequest as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    async def search_count(self, query: str) -> int:
        data = await self.get("/search/issues", {"q": query, "per_page": 1})
        return int(data.get("total_count", 0))

    async def search_issues(self, query: str, limit: int = 30) -> list[dict[str, Any]]:
        """The first `limit` (at most 100) issues found: one call, never more pages."""
        data = await self.get("/search/issues", {"q": query, "per_page": min(limit, 100)})
        items = data.get("items") if isinstance(data, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    async def issues_by(self, repo: str, creator: str) -> AsyncIterator[dict[str, Any]]:
        """Every issue (open or closed) `creator` opened in the repository, oldest first.
        The issue list is consistent at once, unlike search."""
        params = {"creator": creator, "state": "all", "sort": "created", "direction": "asc"}
        async for item in self.iterate(f"/repos/{repo}/issues", params):
            yield item

    async def label_names(self, repo: str) -> list[str]:
        return [label["name"] async for label in self.iterate(f"/repos/{repo}/labels")]

    # -- writes -------------------------------------------------------------------------

    async def _write(self, method: str, url: str, data: Any = None, *, stub: Any = None) -> Any:
        if self.dry_run:
            event(log, "dry-run: would write", dry_run=True, method=method, path=url, body=data)
            return stub
        if method == "POST":
            return await self._gh.post(url, data=data)
        if method == "PATCH":
            return await self._gh.patch(url, data=data)
        if method == "PUT":
            return await self._gh.put(url, data=data)
        if data is None:
            return await self._gh.delete(url)
        return await self._gh.delete(url, data=data)

    async def add_labels(self, repo: str, number: int, labels: Iterable[str]) -> Any:
        return await self._write(
            "POST", f"/repos/{repo}/issues/{number}/labels", {"labels": list(labels)}
        )

    async def remove_label(self, repo: str, number: int, label: str) -> None:
        try:
            await self._write("DELETE", f"/repos/{repo}/issues/{number}/labels/{_seg(label)}")
        except gidgethub.BadRequest as exc:
            if exc.status_code != 404:  # already gone: the goal is reached
                raise

    async def add_assignees(self, repo: str, number: int, users: Iterable[str]) -> Any:
        return await self._write(
            "POST", f"/repos/{repo}/issues/{number}/assignees", {"assignees": list(users)}
        )

    async def remove_assignees(self, repo: str, number: int, users: Iterable[str]) -> Any:
        return await self._write(
            "DELETE", f"/repos/{repo}/issues/{number}/assignees", {"assignees": list(users)}
        )

    async def update_issue(self, repo: str, number: int, **fields: Any) -> Any:
        return await self._write("PATCH", f"/repos/{repo}/issues/{number}", fields)

    async def create_issue(self, repo: str, title: str, body: str) -> dict[str, Any]:
        """Open an issue. Not idempotent: after an AmbiguousWrite, look for it before trying
        again (see `bot.runtime.report.dashboard`)."""
        return await self._write(
            "POST",
            f"/repos/{repo}/issues",
            {"title": title, "body": body},
            stub={"number": 0, "title": title, "body": body},
        )

    async def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        return await self._write(
            "POST",
            f"/repos/{repo}/issues/{number}/comments",
            {"body": body},
            stub={"id": 0, "body": body},
        )

    async def edit_comment(self, repo: str, comment_id: int, body: str) -> Any:
        return await self._write(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", {"body": body}
        )

    async def react(
        self, repo: str, comment_id: int | None, content: str, *, issue: int | None = None
    ) -> Any:
        url = (
            f"/repos/{repo}/issues/comments/{comment_id}/reactions"
            if comment_id is not None
            else f"/repos/{repo}/issues/{issue}/reactions"
        )
        return await self._write("POST", url, {"content": content})


def _seg(value: str) -> str:
    """One URL path segment: labels hold spaces, colons and slashes."""
    return urllib.parse.quote(value, safe="")


def _with_query(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def _objects(entry: tuple[Any, ...]) -> int:
    """The weight of an ETag-cache entry (etag, last-modified, data, next page): the JSON
    objects it holds, so that a page of 100 issues weighs 100 and the bound is on memory
    (a parsed issue or comment is some kilobytes), not on the number of URLs."""
    data = entry[2]
    return max(1, len(data)) if isinstance(data, list) else 1


class CacheFile:
    """The conditional-request cache kept in a file between runs (a `sweep` from cron, a
    restart of `serve`), so that unchanged answers stay free. One file per API and identity
    (a hash: no token is ever written), readable by its owner only; safe to delete."""

    def __init__(self, directory: str, settings: Settings) -> None:
        who = settings.app_id or settings.token or "anonymous"
        digest = hashlib.sha256(f"{settings.api_url}\n{who}".encode()).hexdigest()[:16]
        self.path = Path(directory) / f"github-{digest}.json.gz"

    def load(self, cache: cachetools.LRUCache) -> int:
        """Fill `cache` from the file; the number of entries loaded (0 when there is none,
        or it cannot be read: the cache only saves calls, it is never needed)."""
        try:
            with gzip.open(self.path, "rt", encoding="utf-8") as fh:
                entries = json.load(fh)
        except (OSError, ValueError, EOFError):
            return 0
        loaded = 0
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, list) and len(entry) == 5 and isinstance(entry[0], str):
                cache[entry[0]] = tuple(entry[1:])
                loaded += 1
        return loaded

    def save(self, cache: cachetools.LRUCache) -> None:
        """Write the cache, least recently used first, atomically (another run may be
        reading it)."""
        entries = [[url, *value] for url, value in cache.items()]
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".github-", suffix=".tmp")
            with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as fh:
                json.dump(entries, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:
            event(log, "github: cache not saved", level=logging.WARNING, error=str(exc))


class GitHub:
    """Builds `Api`s: one per installation for a GitHub App, one for a token, one anonymous."""

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        *,
        policy: RetryPolicy | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        cache_size: int = 4096,  # JSON objects kept for conditional requests
    ) -> None:
        self.settings = settings
        self.session = session
        self.policy = policy or RetryPolicy()
        self.metrics = metrics
        self.clock = clock
        self.cache: cachetools.LRUCache = cachetools.LRUCache(cache_size, getsizeof=_objects)
        self._tokens: dict[int, tuple[str, float]] = {}
        self._token_locks: dict[int, asyncio.Lock] = {}
        # One pace per installation (or per token): its tokens rotate, its limits do not.
        self._pacers: dict[int | str | None, WritePacer] = {}
        self._apis: dict[str | None, Api] = {}
        self._login: str | None = None

    def _pacer(self, key: int | str | None) -> WritePacer:
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = WritePacer(self.policy)
        return pacer

    def _api(self, token: str | None, installation_id: int | None = None) -> Api:
        api = self._apis.get(token)
        if api is None:
            gh = _GitHubAPI(
                self.session,
                oauth_token=token,
                cache=self.cache,
                base_url=self.settings.api_url,
                policy=self.policy,
                metrics=self.metrics,
                clock=self.clock,
                pacer=self._pacer(installation_id if installation_id is not None else "token"),
            )
            api = Api(gh, dry_run=self.settings.dry_run)
            # Installation tokens rotate hourly: keep only the live ones.
            if len(self._apis) > 256:
                self._apis.clear()
            self._apis[token] = api
        return api

    def _jwt_api(self) -> _GitHubAPI:
        return _GitHubAPI(
            self.session,
            oauth_token=None,
            cache=None,
            base_url=self.settings.api_url,
            policy=self.policy,
            metrics=self.metrics,
            clock=self.clock,
            pacer=None,  # the App's own calls (tokens, installations) write nothing to a repo
        )

    async def api(self, installation_id: int | None = None) -> Api:
        if self.settings.app_id and self.settings.private_key:
            if installation_id is None:
                raise ValueError("a GitHub App needs the delivery's installation id")
            return self._api(await self._installation_token(installation_id), installation_id)
        return self._api(self.settings.token)

    async def api_for_repo(self, repo: str) -> Api:
        """For the sweep, which has no delivery: find the App's installation on the repo."""
        if self.settings.app_id and self.settings.private_key:
            data = await self._jwt_api().getitem(f"/repos/{repo}/installation", jwt=self._jwt())
            return await self.api(int(data["id"]))
        return await self.api(None)

    def _jwt(self) -> str:
        assert self.settings.app_id and self.settings.private_key
        return gidgethub.apps.get_jwt(
            app_id=self.settings.app_id, private_key=self.settings.private_key
        )

    async def _installation_token(self, installation_id: int) -> str:
        lock = self._token_locks.setdefault(installation_id, asyncio.Lock())
        async with lock:  # one refresh per installation, however many deliveries wait
            cached = self._tokens.get(installation_id)
            if cached is not None and cached[1] - TOKEN_MARGIN_SECONDS > self.clock():
                return cached[0]
            assert self.settings.app_id and self.settings.private_key
            data = await gidgethub.apps.get_installation_access_token(
                self._jwt_api(),
                installation_id=str(installation_id),
                app_id=self.settings.app_id,
                private_key=self.settings.private_key,
            )
            expires = _parse_time(data.get("expires_at")) or self.clock() + 3600
            self._tokens[installation_id] = (data["token"], expires)
            return data["token"]

    async def login(self) -> str | None:
        """The bot's own login, so that it can ignore its own events."""
        if self._login is None:
            try:
                if self.settings.app_id and self.settings.private_key:
                    app = await self._jwt_api().getitem("/app", jwt=self._jwt())
                    self._login = f"{app['slug']}[bot]"
                elif self.settings.token:
                    self._login = (await self._api(self.settings.token).get("/user"))["login"]
            except (gidgethub.GitHubException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                event(
                    log,
                    "github: cannot learn the bot's login",
                    level=logging.WARNING,
                    error=error_text(exc),
                )
        return self._login


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
