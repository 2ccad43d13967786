"""A small, defensive PyPI client: project facts (JSON API), every project name (the Simple
API, as JSON or as PEP 503's HTML page), whether an account exists (its profile page) and its
projects (the XML-RPC method `user_packages`), behind a circuit breaker.

Every failure - timeout, connection error, 5xx, 429, an unexpected status, a body that
is not what PyPI sends - surfaces as one exception, :class:`PyPIUnavailable`. After
``failure_threshold`` consecutive failures the breaker opens: calls fail fast, without
touching the network, for ``cooldown`` seconds; then one trial call is let through and
its outcome closes or re-opens the breaker. Nothing here retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
import xmlrpc.client
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import aiohttp
import cachetools
import yarl

from bot.core.names import NameIndex, NameIndexCorrupt, is_valid_project_name, normalize
from bot.core.pypi import ProjectFacts
from bot.core.recovery import is_valid_username
from bot.core.text import redact_urls

__all__ = [
    "CircuitBreaker",
    "NameIndexRefresher",
    "PyPIClient",
    "PyPITooLarge",
    "PyPIUnavailable",
]

log = logging.getLogger(__name__)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# The Simple API's HTML page (PEP 503): what mirrors and proxies (devpi, bandersnatch,
# Artifactory, many corporate proxies) serve, often only that. JSON is asked for first.
SIMPLE_HTML = ("text/html", "application/vnd.pypi.simple.v1+html")
SIMPLE_ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
USER_AGENT = "pypi-support-bot (+https://github.com/pypi/support)"
#: How long what the JSON API said of one project is reused (`PyPIClient.project_facts`).
FACTS_TTL_SECONDS = 10 * 60


class PyPIUnavailable(Exception):
    """PyPI could not answer (or the circuit breaker is open)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PyPITooLarge(PyPIUnavailable):
    """The answer is larger than the client reads. PyPI answered: the breaker is not told."""

    def __init__(self, reason: str, limit: int) -> None:
        super().__init__(reason)
        self.limit = limit


# Size caps, per endpoint. The requester chooses which project is looked up, so a project's
# document is capped well below what the biggest projects on PyPI send: a document of 16 MiB
# lists some 15,000 files (about 1 KiB each), and a project with that many files is not one a
# PEP 541 request can be about (nor worth its parse). The Simple API's list of every project
# is about 35 MB today (some 700,000 names); 128 MiB leaves room for it to grow more than
# threefold, and a larger answer is refused rather than held in memory.
MAX_PROJECT_BYTES = 16 * 2**20
MAX_INDEX_BYTES = 128 * 2**20
# The XML-RPC listing of an account's projects: about 100 bytes a project, so 4 MiB holds
# some 40,000, far more than any account has; entries past MAX_USER_PACKAGES are dropped.
MAX_RPC_BYTES = 4 * 2**20
MAX_USER_PACKAGES = 10_000
# A project's JSON larger than this is parsed in a worker thread, not on the event loop.
PARSE_INLINE_BYTES = 64 * 2**10


class CircuitBreaker:
    """Open after *failure_threshold* consecutive failures, for *cooldown* seconds.

    After the cool-down one trial call is allowed (half-open); while it is in flight
    other calls still fail fast. Its success closes the breaker, its failure re-opens it.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self.failures = 0
        self._open_until: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._open_until is None:
            return "closed"
        if self._clock() < self._open_until:
            return "open"
        return "half-open"

    def before_call(self) -> None:
        """Raise :class:`PyPIUnavailable` instead of letting a call through."""
        if self._open_until is None:
            return
        remaining = self._open_until - self._clock()
        if remaining > 0:
            raise PyPIUnavailable(f"circuit open for another {remaining:.0f}s")
        if self._trial_in_flight:
            raise PyPIUnavailable("circuit half-open, trial call in flight")
        self._trial_in_flight = True

    def record_success(self) -> None:
        self.failures = 0
        self._open_until = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self.failures += 1
        self._trial_in_flight = False
        if self._open_until is not None or self.failures >= self.failure_threshold:
            self._open_until = self._clock() + self.cooldown
            log.warning(
                "PyPI circuit open for %.0fs after %d failures", self.cooldown, self.failures
            )

    def release(self) -> None:
        """A call ended without a verdict (cancelled): let another trial through."""
        self._trial_in_flight = False


class PyPIClient:
    """Read-only PyPI access with timeouts, size limits and a circuit breaker."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str = "https://pypi.org",
        timeout: float = 5.0,
        *,
        index_timeout: float = 120.0,
        breaker: CircuitBreaker | None = None,
        max_project_bytes: int = MAX_PROJECT_BYTES,
        max_index_bytes: int = MAX_INDEX_BYTES,
        max_rpc_bytes: int = MAX_RPC_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        # Credentials in the URL ("https://user:password@mirror/") are sent as basic auth and
        # kept out of every URL the client builds, so no message or link can carry them.
        url = yarl.URL(base_url.rstrip("/"))
        auth = aiohttp.BasicAuth.from_url(url) if url.user is not None else None
        self._auth = {"Authorization": auth.encode()} if auth is not None else {}
        self.base_url = str(url.with_user(None)).rstrip("/")
        self.timeout = timeout
        self.index_timeout = index_timeout
        self.breaker = breaker or CircuitBreaker()
        self.max_project_bytes = max_project_bytes
        self.max_index_bytes = max_index_bytes
        self.max_rpc_bytes = max_rpc_bytes
        # By normalized name: the facts (None: no such project), or the size cap a project's
        # document is over (so that it is not downloaded again however often a request
        # naming it is edited). Failures to reach PyPI are not kept.
        self._projects: cachetools.TTLCache[str, ProjectFacts | int | None] = cachetools.TTLCache(
            maxsize=1024, ttl=FACTS_TTL_SECONDS, timer=clock
        )

    async def project_facts(self, name: str) -> ProjectFacts | None:
        """`project`, its answers reused for FACTS_TTL_SECONDS: the name report and the
        recovery note, and each edit of a request, ask PyPI about a project once."""
        key = normalize(name)
        if key in self._projects:
            known = self._projects[key]
            if isinstance(known, int):
                raise PyPITooLarge("project document over the size cap (known)", known)
            return known
        try:
            facts = await self.project(name)
        except PyPITooLarge as exc:
            self._projects[key] = exc.limit
            raise
        self._projects[key] = facts
        return facts

    async def project(self, name: str) -> ProjectFacts | None:
        """Facts about *name*, or None when the JSON API has no such project.

        Note: the JSON API also answers 404 for a project that exists but has no
        releases; use a :class:`~bot.names.NameIndex` to tell the two apart.
        """
        name = name.strip()
        if not is_valid_project_name(name):
            return None  # cannot exist; never put it in a URL
        url = f"{self.base_url}/pypi/{quote(name, safe='')}/json"
        with self._guard():
            status, _, body = await self._fetch(
                url,
                {"Accept": "application/json"},
                self.timeout,
                self.max_project_bytes,
                (200, 404),
            )
            if status == 404:
                return None
            try:
                if len(body) <= PARSE_INLINE_BYTES:
                    return _parse_project(body)
                # Megabytes of JSON take a good part of a second to parse: keep the event
                # loop (and the webhook's acknowledgements) free meanwhile.
                return await asyncio.to_thread(_parse_project, body, yielding=True)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                raise PyPIUnavailable(f"bad JSON from {url}: {exc}") from None

    async def all_names(self, etag: str | None = None) -> tuple[list[str] | None, str | None]:
        """Every project name from the Simple API, and the response's ETag.

        With *etag*, a conditional request: ``(None, etag)`` means unchanged (304).
        """
        headers = {"Accept": SIMPLE_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        url = f"{self.base_url}/simple/"
        with self._guard():
            status, resp_headers, body = await self._fetch(
                url, headers, self.index_timeout, self.max_index_bytes, (200, 304)
            )
            if status == 304:
                return None, etag
            content_type, _, params = resp_headers.get("Content-Type", "").partition(";")
            content_type = content_type.strip().lower()
            if content_type in (SIMPLE_JSON, "application/json"):
                parse = _parse_simple_index
            elif content_type in SIMPLE_HTML:
                parse = partial(_parse_simple_html, encoding=_charset(params))
            else:
                raise PyPIUnavailable(f"{url} answered {content_type or 'no content type'}")
            try:
                # ~30 MB for all of PyPI: keep the event loop free while scanning it.
                names = await asyncio.to_thread(parse, body)
            except (ValueError, UnicodeDecodeError, LookupError) as exc:
                raise PyPIUnavailable(f"bad Simple API response: {exc}") from None
            return names, resp_headers.get("ETag")

    async def user_exists(self, username: str) -> tuple[bool, str | None]:
        """Whether the index has an account named *username*, and the username as the index
        spells it when that differs. Asked of the public profile page: 200, or a redirect to
        the same username in its own case; 404 when there is no such account. The page itself
        is not read."""
        username = username.strip()
        if not is_valid_username(username):
            return False, None  # cannot exist; never put it in a URL
        url = f"{self.base_url}/user/{quote(username, safe='')}/"
        with self._guard():
            status, headers, _ = await self._fetch(
                url,
                {"Accept": "text/html"},
                self.timeout,
                0,
                (200, 301, 302, 308, 404),
                follow=False,
                read=False,
            )
            if status == 404:
                return False, None
            if status == 200:
                return True, None
            spelled = _profile_username(headers.get("Location", ""))
            if spelled is None or spelled.lower() != username.lower():
                raise PyPIUnavailable(f"{url} redirected elsewhere")
            return True, spelled if spelled != username else None

    async def user_packages(self, username: str) -> list[tuple[str, str]]:
        """(role, project) for every project the account has a role on, owners first, from
        the XML-RPC method `user_packages`: deprecated, but PyPI's only listing of an
        account's projects. An unknown username gets an empty list, as from PyPI."""
        username = username.strip()
        if not is_valid_username(username):
            return []
        url = f"{self.base_url}/pypi"
        request = xmlrpc.client.dumps((username,), "user_packages").encode()
        with self._guard():
            _, _, body = await self._fetch(
                url,
                {"Content-Type": "text/xml", "Accept": "text/xml"},
                self.timeout,
                self.max_rpc_bytes,
                (200,),
                method="POST",
                data=request,
            )
            try:
                if len(body) <= PARSE_INLINE_BYTES:
                    return _parse_user_packages(body)
                return await asyncio.to_thread(_parse_user_packages, body)
            except ValueError as exc:
                raise PyPIUnavailable(f"bad XML-RPC answer from {url}: {exc}") from None

    # -- plumbing ------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Consult the breaker, then tell it how the whole call (fetch and parse) went."""
        self.breaker.before_call()
        try:
            yield
        except PyPITooLarge:  # PyPI answered; the answer is too big to read
            self.breaker.release()
            raise
        except PyPIUnavailable:
            self.breaker.record_failure()
            raise
        except BaseException:  # cancelled, or a bug: no verdict on PyPI
            self.breaker.release()
            raise
        self.breaker.record_success()

    async def _fetch(
        self,
        url: str,
        headers: dict[str, str],
        timeout: float,
        limit: int,
        ok: tuple[int, ...],
        *,
        method: str = "GET",
        data: bytes | None = None,
        follow: bool = True,
        read: bool = True,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One request. `follow=False` answers a redirect as it is; `read=False` leaves the
        body unread (the connection is then closed rather than reused)."""
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers={"User-Agent": USER_AGENT, **self._auth, **headers},
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=follow,
            ) as resp:
                if resp.status not in ok:
                    raise PyPIUnavailable(f"{url} answered HTTP {resp.status}")
                body = b""
                if read and resp.status != 304:
                    body = await _read_limited(resp, limit)
                return resp.status, resp.headers.copy(), body  # case-insensitive
        except TimeoutError:
            raise PyPIUnavailable(f"{url} timed out after {timeout}s") from None
        except aiohttp.ClientError as exc:
            raise PyPIUnavailable(redact_urls(f"{url}: {type(exc).__name__}: {exc}")) from None


async def _read_limited(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    if resp.content_length is not None and resp.content_length > limit:
        raise PyPITooLarge(f"response of {resp.content_length} bytes is over {limit}", limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        total += len(chunk)
        if total > limit:
            raise PyPITooLarge(f"response is over {limit} bytes", limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _same(obj: dict) -> dict:
    return obj


def _parse_project(body: bytes, *, yielding: bool = False) -> ProjectFacts:
    """A project's facts from its JSON document. `yielding`, for a worker thread: json.loads
    holds the GIL for the whole parse unless it calls back into Python, so an identity hook
    on each object lets the event loop's thread run in between."""
    data = json.loads(body, object_hook=_same) if yielding else json.loads(body)
    return ProjectFacts.from_json(data)


def _profile_username(location: str) -> str | None:
    """The username of a profile page's URL (`/user/NAME/`, absolute or not)."""
    try:
        path = urlsplit(location).path
    except ValueError:
        return None
    segments = [unquote(s) for s in path.split("/") if s]
    if len(segments) != 2 or segments[0] != "user" or not is_valid_username(segments[1]):
        return None
    return segments[1]


def _parse_user_packages(body: bytes) -> list[tuple[str, str]]:
    """The `user_packages` answer: an array of [role, project name] arrays. Entries that are
    not two strings, or whose name no project can have, are dropped."""
    # XML-RPC has no document type; refusing one refuses every entity expansion with it.
    if b"<!DOCTYPE" in body:
        raise ValueError("a document type declaration")
    try:
        params, _ = xmlrpc.client.loads(body)
    except xmlrpc.client.Fault as fault:
        raise ValueError(f"fault {fault.faultCode}") from None
    except Exception as exc:  # expat's errors, a bad value: whatever a broken answer raises
        raise ValueError(type(exc).__name__) from None
    if len(params) != 1 or not isinstance(params[0], list):
        raise ValueError("not an array")
    found = []
    for entry in params[0][:MAX_USER_PACKAGES]:
        if not isinstance(entry, list | tuple) or len(entry) != 2:
            continue
        role, name = entry
        if not isinstance(role, str) or not isinstance(name, str):
            continue
        role, name = role.strip(), name.strip()
        if role and is_valid_project_name(name):
            found.append((role, name))
    return found


# The Simple API index is ~700,000 {"name": ..., "_last-serial": ...} objects. Decoding
# it with json.loads would build that many dicts (hundreds of MB at peak), so the names
# are pulled out with a regular expression after cheap structural checks.
_SIMPLE_NAME = re.compile(rb'"name"\s*:\s*"([^"\\]*+(?:\\.[^"\\]*+)*+)"')
_SIMPLE_HEAD = re.compile(rb"\A\s*\{")
_SIMPLE_TAIL = re.compile(rb"\}\s*\Z")
_API_VERSION = re.compile(rb'"api-version"\s*:\s*"1\.\d+"')


def _parse_simple_index(body: bytes) -> list[str]:
    if not (_SIMPLE_HEAD.match(body) and _SIMPLE_TAIL.search(body[-64:])):
        raise ValueError("not a JSON object")
    if b'"projects"' not in body:
        raise ValueError("no 'projects' list")
    if not _API_VERSION.search(body[:4096]) and not _API_VERSION.search(body[-4096:]):
        raise ValueError("no Simple API 1.x version")
    names: list[str] = []
    for match in _SIMPLE_NAME.finditer(body):
        raw = match.group(1)
        if b"\\" in raw:
            names.append(json.loads(b'"' + raw + b'"'))
        else:
            names.append(raw.decode("utf-8"))
    return names


def _charset(params: str) -> str:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


class _ProjectLinks(HTMLParser):
    """The anchors of a PEP 503 index page: (text, href) each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = next((v or "" for k, v in attrs if k == "href"), "")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append(("".join(self._text).strip(), self._href))
            self._href = None


def _parse_simple_html(body: bytes, encoding: str = "utf-8") -> list[str]:
    """Project names from PEP 503's page: each anchor's text is a project's name, and the
    last part of its link is that name, normalised. Anchors that are not (a proxy's login
    page, a mirror's navigation) are left out; a page with none is not an index."""
    parser = _ProjectLinks()
    text = body.decode(encoding, errors="replace")
    for start in range(0, len(text), 1 << 20):  # in pieces: no second copy of 30 MB
        parser.feed(text[start : start + (1 << 20)])
    parser.close()
    names = []
    for name, href in parser.links:
        path = urlsplit(href).path.rstrip("/")
        last = unquote(path.rsplit("/", 1)[-1])
        if name and normalize(last) == normalize(name):
            names.append(name)
    if not names:
        raise ValueError("an HTML page without project links (not a PEP 503 index)")
    return names


class NameIndexRefresher:
    """Keeps a current :class:`NameIndex` of every PyPI project.

    ``refresh()`` makes a conditional request with the last ETag, builds the new index
    in a worker thread, writes the optional disk cache, and swaps the index in. It
    never raises: on any failure it logs and keeps the index it had. A new list much
    shorter than the current one (below *min_ratio* of it) is rejected as suspect.
    """

    def __init__(
        self,
        client: PyPIClient,
        *,
        cache_path: str | os.PathLike[str] | None = None,
        index: NameIndex | None = None,
        min_ratio: float = 0.5,
    ) -> None:
        self.client = client
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.index = index if index is not None else NameIndex()
        self.min_ratio = min_ratio
        self.last_refresh_ok: bool | None = None
        self._lock = asyncio.Lock()
        self._cache_tried = False

    @property
    def etag(self) -> str | None:
        return self.index.etag

    async def load_cache(self) -> bool:
        """Adopt the disk cache if the index is still empty; True if it was loaded."""
        self._cache_tried = True
        if self.cache_path is None or len(self.index) or not self.cache_path.exists():
            return False
        try:
            index = await asyncio.to_thread(NameIndex.load, self.cache_path)
        except (OSError, NameIndexCorrupt) as exc:
            log.warning("ignoring name index cache %s: %s", self.cache_path, exc)
            return False
        self.index = index
        log.info("loaded %d project names from %s", len(index), self.cache_path)
        return True

    async def refresh(self) -> bool:
        """Bring the index up to date; True if it changed. Never raises."""
        async with self._lock:
            try:
                changed, ok = await self._refresh()
            except Exception:
                log.exception("name index refresh failed; keeping %d names", len(self.index))
                changed, ok = False, False
            self.last_refresh_ok = ok
            return changed

    async def _refresh(self) -> tuple[bool, bool]:
        if not self._cache_tried:
            await self.load_cache()
        etag = self.index.etag if len(self.index) else None
        try:
            names, new_etag = await self.client.all_names(etag)
        except PyPIUnavailable as exc:
            log.warning("name index not refreshed: %s", exc.reason)
            return False, False
        if names is None:
            return False, True
        if len(self.index) and len(names) < self.min_ratio * len(self.index):
            log.warning("refusing a name list of %d entries (have %d)", len(names), len(self.index))
            return False, False
        index = await asyncio.to_thread(NameIndex.build, names, etag=new_etag)
        del names
        self.index = index
        log.info("name index refreshed: %d names (etag %s)", len(index), new_etag)
        if self.cache_path is not None:
            try:
                await asyncio.to_thread(index.save, self.cache_path)
            except OSError as exc:
                log.warning("could not write name index cache %s: %s", self.cache_path, exc)
        return True, True
