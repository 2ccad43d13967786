"""`serve` on a real socket: bind (a failure is one line, not a traceback), say where it
listens, run until SIGTERM or SIGINT, then the grace period: the socket stays open, deliveries
get `503` and `/healthz` says `"stopping"` while queued work finishes (for up to
`GRACE_SECONDS`), and only then is the socket closed.

aiohttp's `web.run_app` closes the listening socket before the app's cleanup runs, so a
delivery arriving during the grace period would meet a refused connection instead of a `503`;
hence a runner of our own.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
from typing import Any

from aiohttp import web

from bot.core.text import redact_urls
from bot.runtime.config import ConfigError
from bot.runtime.logs import event
from bot.runtime.service import Service
from bot.runtime.webhook import SERVER_OPTIONS, make_app

log = logging.getLogger("bot")

# Queued work gets this long after SIGTERM: within the usual 30 s a PaaS allows before SIGKILL.
GRACE_SECONDS = 25.0


async def listen(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Set the app up (its service starts) and bind it; the runner, to be cleaned up."""
    runner = web.AppRunner(app, access_log=None, **SERVER_OPTIONS)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(bind_error(host, port, exc)) from None
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port the socket got (the one asked for, or the free one PORT=0 picked)."""
    return int(runner.addresses[0][1])


def bind_error(host: str, port: int, exc: OSError) -> str:
    """One line that says why the service cannot listen, and what to change."""
    if isinstance(exc, socket.gaierror):
        return f"HOST {host!r} is not a name or address this machine can resolve ({exc.strerror})"
    where = f"cannot listen on {host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"{where}: the port is in use (another `serve`?); set PORT to a free port"
    if exc.errno == errno.EACCES:
        return f"{where}: permission denied (ports below 1024 need privileges); set PORT"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{where}: HOST is not an address of this machine; set HOST (0.0.0.0: all)"
    return f"{where}: {exc.strerror or exc}"


def _startup_fields(service: Service) -> dict[str, Any]:
    settings = service.settings
    fields: dict[str, Any] = {
        "dry_run": settings.dry_run,
        "auth": "app" if settings.app_id else "token" if settings.token else "none",
        "api_url": redact_urls(settings.api_url),
        "pypi_url": redact_urls(settings.pypi_url),
        "test_pypi_url": redact_urls(settings.test_pypi_url),
        "rules": settings.rules_path,
        "repositories": sorted(service.rules.repositories),
    }
    if settings.dry_run:
        fields["next"] = "python -m bot demo: the bot at work on a few sample deliveries"
    return fields


async def serve(service: Service, *, grace: float = GRACE_SECONDS) -> None:
    """Run the service on its HOST:PORT until a signal, then stop it gracefully."""
    host, port = service.settings.host, service.settings.port
    runner = await listen(make_app(service, grace=grace), host, port)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    this = asyncio.current_task()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        if stop.is_set() and this is not None:
            this.cancel()  # a second signal: stop now, without waiting for queued work
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        bound = bound_port(runner)
        # Every address: the URL to try from this machine.
        shown = "localhost" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound}"
        event(log, "listening", url=url, host=host, port=bound, **_startup_fields(service))
        if service.settings.webhook_secret is None:
            event(
                log,
                "no GITHUB_WEBHOOK_SECRET: deliveries are not verified (dry-run only)",
                level=logging.WARNING,
            )
        service.start_scheduled()
        await stop.wait()
        event(
            log,
            "stopping",
            signal=received[0],
            queue_depth=service.queue.depth,
            grace_s=grace,
            note="deliveries get 503 and /healthz says stopping until queued work is done",
        )
        await service.stop(grace)
    except asyncio.CancelledError:
        if this is not None:
            this.uncancel()  # handled: the cleanup below runs as usual
        event(log, "stopping at once", level=logging.WARNING, signal=received[-1])
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
    event(log, "stopped")
