"""Hidden markers in the bot's own comments: they find the comment to edit instead of posting
again, and carry the little state the bot keeps (it keeps no database)."""

from __future__ import annotations

import json
from typing import Any

import re2

from bot.core.model import Comment, History

PREFIX = "pypi-support-bot"
_MARKER = re2.compile(r"<!-- pypi-support-bot:([a-z0-9:_-]+)(?: (\{[^\n]*?\}))? -->")


def marker(kind: str, state: dict[str, Any] | None = None) -> str:
    data = f" {json.dumps(state, sort_keys=True, separators=(',', ':'))}" if state else ""
    # "--" cannot occur inside an HTML comment; JSON from our own state never holds it.
    return f"<!-- {PREFIX}:{kind}{data.replace('--', '- -')} -->"


def read(body: str, kind: str) -> dict[str, Any] | None:
    """The state in `body`'s marker of this kind ({} for a bare marker), or None."""
    for match in _MARKER.finditer(body or ""):
        if match.group(1) == kind:
            try:
                return json.loads(match.group(2)) if match.group(2) else {}
            except ValueError:
                return {}
    return None


def find(history: History, kind: str) -> Comment | None:
    """The bot's newest comment with this marker. Comments by anyone else are never trusted,
    whatever markers they hold."""
    found = None
    for comment in history.our_comments():
        if read(comment.body, kind) is not None:
            found = comment
    return found
