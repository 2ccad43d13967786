"""Text the bot writes: templates filled safely, user text never a live mention."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import re2

# "@name" or "@org/team" not preceded by a word character (so emails stay as they are).
_MENTION = re2.compile(r"(^|[^\w`])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)")


def defuse_mentions(text: str) -> str:
    """Put a zero-width joiner after '@' so GitHub renders the name but notifies no one."""
    return _MENTION.sub("\\1@\u200d\\2", text)


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:  # validated at load; defensive for old comments
        return "{" + key + "}"


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill a reply template. Every field except the deliberate `{author}` mention is defused,
    since logins and field values come from users."""
    safe = {k: (v if k == "author" else defuse_mentions(str(v))) for k, v in fields.items()}
    return template.format_map(_Fields(safe))
