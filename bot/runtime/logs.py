"""Structured logging: one JSON object per line, with the delivery's context attached.

The context (delivery id, event, repository, issue) lives in a contextvar so that every line
logged while a delivery is worked carries it without threading it through every call.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.core.text import redact_urls

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "log_context", default=None
)

# Values of these keys are never written, whatever a caller passes.
_SECRET_KEYS = frozenset({"token", "secret", "private_key", "authorization", "password", "jwt"})


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Attach fields to every log line written inside the block."""
    token = _context.set(
        {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    )
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(_context.get() or {})
        line.update(getattr(record, "fields", {}))
        for key in list(line):
            if key.lower() in _SECRET_KEYS:
                line[key] = "[redacted]"
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and message only: a traceback's locals could hold a token.
            line["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(_redacted(line), default=_text, ensure_ascii=False)


def _redacted(value: Any) -> Any:
    """Every string in a log line with URL credentials removed (a message quoting a URL, a
    field holding one, an error's text)."""
    if isinstance(value, str):
        return redact_urls(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def _text(value: Any) -> str:
    return redact_urls(str(value))


def setup(level: int = logging.INFO, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would add a second, non-JSON line per request.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def error_text(exc: BaseException | None) -> str:
    """An exception as the logs and reports name it: its type, then its message."""
    return f"{type(exc).__name__}: {exc}"


def event(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured line with extra fields. The delivery's context is copied into the
    record, so that whoever reads the record later (a test, another handler) still sees it."""
    logger.log(level, msg, extra={"fields": {**(_context.get() or {}), **fields}})
