"""Hidden markers in the bot's own comments (and in the body of the one issue it opens, its
queue dashboard): they find the comment to edit instead of posting again, and carry the
little state the bot keeps (it keeps no database).

A marker is trusted only where the bot puts it: as the last line of a comment the bot wrote.
Text the bot echoes from people always comes before it (and is escaped, so it cannot close
or open an HTML comment), so no one can plant state in the bot's comments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import re2

from bot.core.model import Comment, History, Issue

PREFIX = "pypi-support-bot"
_MARKER = re2.compile(r"<!-- pypi-support-bot:([a-z0-9:_-]+)(?: (\{[^\n]*\}))? -->")


# Every kind of marker: the state keys that tell one comment of that kind from another (a
# nudge per waiting period, a reply per commented comment; without keys, an issue has one
# comment of the kind), and whether the comment is kept current by editing it (a report, the
# triage comment) or said once and left as it was (a nudge, a reminder).
@dataclass(frozen=True)
class Kind:
    keys: tuple[str, ...] = ()
    edited: bool = True


KINDS: dict[str, Kind] = {
    "triage": Kind(),
    "name-report": Kind(),
    "recovery-note": Kind(),
    "nudge": Kind(("since",), edited=False),
    "close-no-response": Kind(("since",), edited=False),
    "pep541-clock": Kind(),
    "pep541-reminder": Kind(("since", "attempt"), edited=False),
    "pep541-ready": Kind(("since",), edited=False),
    "snooze": Kind(),
    "command-reply": Kind(("source",)),
    # Not a comment: the body of the queue dashboard issue the bot opens (README, "Queue
    # report"), trusted only in an issue the bot opened; its state says when it was computed.
    "dashboard": Kind(),
}


def marker(kind: str, state: dict[str, Any] | None = None) -> str:
    assert kind in KINDS, kind
    data = f" {json.dumps(state, sort_keys=True, separators=(',', ':'))}" if state else ""
    # "--" cannot occur inside an HTML comment: outside JSON strings it never does, and
    # inside them the escape decodes back to the same text ("<" and ">" likewise).
    data = data.replace("--", "-\\u002d").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- {PREFIX}:{kind}{data} -->"


def compose(text: str, kind: str, state: dict[str, Any] | None = None) -> str:
    """A comment's body: its text, then its marker as the last line."""
    return f"{text.rstrip()}\n\n{marker(kind, state)}"


def identity(kind: str, state: dict[str, Any] | None) -> tuple[str, str | None]:
    keys = KINDS[kind].keys
    if not keys:
        return kind, None
    return kind, "#".join(str((state or {}).get(key)) for key in keys)


def trailing(body: str | None) -> tuple[str, dict[str, Any]] | None:
    """(kind, state) of the marker on a body's last line, or None."""
    text = (body or "").rstrip()
    last = text[text.rfind("\n") + 1 :]
    match = _MARKER.fullmatch(last.strip())
    if match is None or match.group(1) not in KINDS:
        return None
    try:
        state = json.loads(match.group(2)) if match.group(2) else {}
    except ValueError:
        state = {}
    return match.group(1), state if isinstance(state, dict) else {}


def read(body: str | None, kind: str) -> dict[str, Any] | None:
    """The state in the body's marker if it is of this kind ({} for a bare marker), or None."""
    found = trailing(body)
    return found[1] if found is not None and found[0] == kind else None


def in_issue(issue: Issue, kind: str, bot_login: str | None) -> dict[str, Any] | None:
    """The state of the marker of this kind ending an issue's body, when the bot opened the
    issue (without the bot's login, nobody's issue is trusted); otherwise None."""
    if not bot_login or issue.author.lower() != bot_login.lower():
        return None
    return read(issue.body, kind)


def ours(history: History, kind: str) -> Iterator[tuple[Comment, dict[str, Any]]]:
    """The bot's comments of this kind, oldest first, with their state. Comments by anyone
    else are never trusted, whatever markers they hold."""
    for comment in history.our_comments():
        state = read(comment.body, kind)
        if state is not None:
            yield comment, state


def find(history: History, kind: str, key: str | None = None) -> Comment | None:
    """The bot's newest comment of this kind (with this identity key, for keyed kinds)."""
    found = None
    for comment, state in ours(history, kind):
        if key is None or identity(kind, state)[1] == key:
            found = comment
    return found


def state_of(history: History, kind: str) -> dict[str, Any] | None:
    """The state of the bot's newest comment of this kind, or None when there is none."""
    found = None
    for _, state in ours(history, kind):
        found = state
    return found
