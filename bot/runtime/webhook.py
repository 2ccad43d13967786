"""The web layer: `POST /webhook`, `GET /healthz`, `GET /metrics`, `GET /report`.

Checks run cheapest and safest first: size, content type, signature (before the body is
parsed), headers, the JSON and its envelope. Every refusal is one status and a one-line JSON
error.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from bot.runtime import delivery
from bot.runtime import metrics as metrics_module
from bot.runtime.logs import error_text, event
from bot.runtime.service import Service
from bot.runtime.workqueue import QueueFull

log = logging.getLogger(__name__)

MAX_BODY = 25 * 1024 * 1024  # GitHub caps payloads at 25 MiB
SERVICE: web.AppKey[Service] = web.AppKey("service", Service)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# How long a delivery's body may take to arrive, from the end of its headers. GitHub gives up on
# a delivery after 10 s, so a slower body is not GitHub's; the connection is answered 408 and
# closed instead of being held for as long as the client trickles bytes.
BODY_TIMEOUT = 10.0
BODY_TIMEOUT_KEY: web.AppKey[float] = web.AppKey("body_timeout", float)
# aiohttp's server options for `serve` (and any runner of `make_app`):
# - keepalive_timeout: an idle connection - and one that never finishes its headers, which
#   aiohttp counts from the moment it connects - is closed after 75 s. That is longer than the
#   idle timeout of the usual proxies in front (60 s), so a proxy never reuses a connection the
#   bot is closing, and it bounds a client that sends its headers a byte at a time.
# - max_line_size: the request line ("POST /webhook HTTP/1.1") fits many times in 4 KiB.
# - max_field_size: one header, 8 KiB (aiohttp's default; a proxy's X-Forwarded-For chain fits).
# - lingering_time: after answering early (a 413, a 408), read what is still coming for at
#   most 2 s, not aiohttp's 10.
SERVER_OPTIONS: dict[str, float] = {
    "keepalive_timeout": 75.0,
    "max_line_size": 4096,
    "max_field_size": 8190,
    "lingering_time": 2.0,
}
# What GitHub sends: "sha256=" and 64 lower-case hex digits. Anything else (other bytes, other
# lengths, non-ASCII text that hmac.compare_digest would refuse with a TypeError) is a 401.
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}", re.ASCII)


_JSON_HEADERS = {"Content-Type": "application/json"}  # given whole: no header to parse


def _json(value: Any, status: int = 200) -> web.Response:
    """A JSON answer (msgspec encodes in a third of the stdlib's time)."""
    return web.Response(body=msgspec.json.encode(value), status=status, headers=_JSON_HEADERS)


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


async def webhook(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    if service.stopping:
        # GitHub lists a 503 as a failed delivery, to be redelivered once the bot is back.
        return _error(503, "shutting down")
    length = request.content_length
    if length is not None and length > MAX_BODY:
        return _error(413, "payload larger than 25 MiB")
    # The media type, read from the header as it came (aiohttp's parsed `content_type` takes
    # longer than the rest of these checks together): "application/json; charset=utf-8" too.
    media_type = request.headers.get("Content-Type", "").partition(";")[0]
    if media_type.strip().lower() != "application/json":
        return _error(415, "content type must be application/json")
    try:
        if request.content.is_eof():  # the whole body came with the headers: no wait
            body = await request.read()
        else:
            async with asyncio.timeout(request.app[BODY_TIMEOUT_KEY]):
                body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "payload larger than 25 MiB")
    except TimeoutError:
        # Answer, then close at once: no lingering to read the rest of a trickled body.
        slow = _error(408, "request body not received in time")
        slow.force_close()
        await slow.prepare(request)
        await slow.write_eof()
        request.protocol.force_close()
        return slow
    secret = service.settings.webhook_secret
    if secret is not None:
        signature = request.headers.get("X-Hub-Signature-256", "").strip()
        if not signature:
            return _error(401, "missing X-Hub-Signature-256")
        if not valid_signature(body, signature, secret):
            return _error(401, "bad signature")
    event_name = request.headers.get("X-GitHub-Event", "").strip()
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    if not event_name or not delivery_id:
        return _error(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
    try:
        # The envelope only: the worker decodes the rest (see bot.runtime.delivery).
        envelope = delivery.envelope(body)
    except delivery.Refused as exc:
        return _error(400, str(exc))
    if event_name == "ping":
        service.metrics.delivery("ping", "ok")
        return _json({"ok": True, "zen": envelope.zen})
    try:
        outcome = service.accept(delivery.Delivery(event_name, delivery_id, body, envelope))
    except QueueFull as exc:
        event(log, "delivery refused", level=logging.ERROR, delivery_id=delivery_id, error=str(exc))
        # 503 makes GitHub show the delivery as failed, so it can be redelivered later.
        return _error(503, f"not accepting work: {exc}")
    return _json({"status": outcome, "delivery": delivery_id}, 202)


def valid_signature(body: bytes, signature: str, secret: str) -> bool:
    """Whether `signature` is GitHub's HMAC-SHA256 of `body`, compared in constant time."""
    if not _SIGNATURE.fullmatch(signature):
        return False
    mac = _keyed(secret).copy()
    mac.update(body)
    return hmac.compare_digest(signature[7:], mac.hexdigest())  # both ASCII: the pattern says so


@functools.lru_cache(maxsize=4)
def _keyed(secret: str) -> hmac.HMAC:
    """The HMAC of the secret alone, copied for each delivery: the key is padded and hashed
    once, not once a delivery."""
    return hmac.new(secret.encode(), digestmod="sha256")


async def healthz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return _json(
        {
            "status": "stopping" if service.stopping else "ok",
            "dry_run": service.settings.dry_run,
            "queue_depth": service.queue.depth,
            "repositories": sorted(service.rules.repositories),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    body = request.app[SERVICE].metrics.render()
    return web.Response(body=body, headers={"Content-Type": metrics_module.CONTENT_TYPE})


# The report page loads nothing and runs nothing: inline styles and SVG only.
REPORT_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PREPARING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<title>Queue report</title></head><body style="font-family:system-ui,sans-serif;margin:40px">
<p>The queue report is being prepared; this page reloads itself in 30 seconds.</p>
</body></html>"""


async def report(request: web.Request) -> web.Response:
    """`GET /report[?repo=OWNER/NAME]`: the cached queue report of a repository whose rules
    enable the page (the first such one by default)."""
    service = request.app[SERVICE]
    enabled = [name for name, r in service.rules.repositories.items() if r.report.page]
    if not enabled:
        return _error(404, "the report page is off: set report.page: true in the rules file")
    wanted = request.query.get("repo")
    repo = next(
        (name for name in enabled if wanted is None or name.lower() == wanted.lower()), None
    )
    if repo is None:
        return _error(404, "no report page for that repository")
    page = service.reports.page(repo)
    if page is None:
        service.reports.refresh_soon(repo)
        return web.Response(
            text=PREPARING,
            status=503,
            content_type="text/html",
            headers={**REPORT_HEADERS, "Retry-After": "30"},
        )
    return web.Response(
        text=page.html,
        content_type="text/html",
        headers={**REPORT_HEADERS, "Last-Modified": _http_date(page.computed_at)},
    )


def _http_date(when: Any) -> str:
    from email.utils import format_datetime

    return format_datetime(when, usegmt=True)


def _never_500(handler: Handler) -> Handler:
    """A bug must not answer with a traceback: log it, answer one JSON line. (A wrapper of
    each handler, not a middleware: aiohttp runs no middleware machinery then, which was some
    5% of a delivery's acknowledgement.)"""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status == 413:
                return _error(413, "payload larger than 25 MiB")
            return _error(exc.status, exc.reason)
        except Exception as exc:
            event(
                log,
                "request failed",
                level=logging.ERROR,
                path=request.path,
                error=error_text(exc),
            )
            return _error(500, "internal error")

    return guarded


def _no_route(methods: dict[str, set[str]]) -> Handler:
    """The answer to a request no route takes: a JSON 405 (with `Allow`) for a known path,
    a JSON 404 for any other."""

    async def no_route(request: web.Request) -> web.StreamResponse:
        allowed = methods.get(request.path)
        if allowed is None:
            return _error(404, "Not Found")
        refusal = _error(405, "Method Not Allowed")
        refusal.headers["Allow"] = ", ".join(sorted(allowed))
        return refusal

    return no_route


def make_app(
    service: Service, *, grace: float = 25.0, body_timeout: float = BODY_TIMEOUT
) -> web.Application:
    """The bot's web application; run it with `SERVER_OPTIONS`."""
    # GitHub never compresses a delivery: a compressed body is read as sent (and fails its
    # signature), never inflated first (a 2 MB gzip body of zeros inflates to 2 GiB).
    app = web.Application(client_max_size=MAX_BODY, handler_args={"auto_decompress": False})
    app[SERVICE] = service
    app[BODY_TIMEOUT_KEY] = body_timeout
    methods: dict[str, set[str]] = {}
    for method, path, handler in (
        ("POST", "/webhook", webhook),
        ("GET", "/healthz", healthz),
        ("GET", "/metrics", metrics),
        ("GET", "/report", report),
    ):
        if method == "GET":  # and HEAD, as aiohttp's add_get does
            app.router.add_get(path, _never_500(handler))
            methods[path] = {"GET", "HEAD"}
        else:
            app.router.add_route(method, path, _never_500(handler))
            methods[path] = {method}
    # Last, so that it takes only what no route above does.
    # ("[\s\S]": "." would not take a path holding an encoded newline.)
    app.router.add_route("*", r"/{path:[\s\S]*}", _never_500(_no_route(methods)))

    async def lifecycle(app: web.Application):
        await service.start()
        yield
        await service.stop(grace)

    app.cleanup_ctx.append(lifecycle)
    return app
