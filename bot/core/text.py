"""Text the bot writes: templates filled safely, outside text never live markdown.

Everything that comes from outside the bot (issue and comment text, logins, labels typed in a
command, what the package index says about a project) reaches a comment through `escape`, and
every URL that reaches a log line or a comment loses its credentials through `redact_urls`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import re2

# "@name" or "@org/team" not preceded by a word character (so emails stay as they are).
_MENTION = re2.compile(r"(^|[^\w`])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)")
# A GitHub login: alphanumerics and single inner hyphens, at most 39 characters.
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}", re.ASCII)
# "scheme://userinfo@": the userinfo runs to the last "@" before the path, query or fragment.
# No word boundary before the scheme: "\b" missed "x_https://" ("_" is a word character), and
# its credentials were echoed.
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s]*@")
# Characters markdown gives a meaning in running text; a backslash makes each literal.
_MARKDOWN = re.compile(r"([\\`*_\[\]()!|~#{}+])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML_RE = re.compile("[&<>]")
_ZWJ = "\u200d"


def redact_urls(text: str) -> str:
    """`text` with the `user:password@` part of every URL in it removed."""
    return _USERINFO.sub(r"\1", text) if "://" in text else text


def _visible(char: str) -> bool:
    # Cc: controls; Cf: format characters (zero-width spaces and joiners, bidi embeddings,
    # overrides and isolates, the BOM, soft hyphen, tag characters); Cs: lone surrogates.
    return unicodedata.category(char) not in ("Cc", "Cf", "Cs")


def one_line(text: Any, *, limit: int | None = None) -> str:
    """Outside text as one plain line: invisible and direction-changing characters dropped,
    whitespace (newlines too) made single spaces, URLs without credentials, cut with "…"
    past `limit` characters. Not yet safe for markdown (`escape`) or HTML (`html.escape`)."""
    raw = str(text)
    if limit is not None:
        raw = raw[: limit * 4]  # bound the work on a huge value before looking at each char
    kept = "".join(c if _visible(c) else " " if c.isspace() else "" for c in raw)
    flat = redact_urls(" ".join(kept.split()))
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def escape(text: Any, *, code: bool = False, limit: int | None = None) -> str:
    """Outside text made safe to put in a comment, as one line that renders as it reads.

    Invisible and direction-changing characters are dropped, whitespace (newlines too) becomes
    single spaces, URLs lose their credentials and, past `limit` characters, the text is cut
    with "…". Every "@" is followed by a zero-width joiner, so no one is mentioned.

    `code=False`: running text, with markdown's punctuation backslash-escaped and `&`, `<`, `>`
    as entities - no emphasis, link, image, code span, HTML or HTML comment can start in it, and
    a "|" never splits a table cell.
    `code=True`: a code span (backticks included); backticks inside become "'" so the span
    cannot be closed early, the dashes of "<!--" and "-->" become non-breaking hyphens, and
    "|" is escaped for table cells (GitHub drops that backslash
    inside a table; outside one it shows).
    """
    flat = one_line(text, limit=limit)
    if code:
        flat = flat.replace("`", "'").replace("|", "\\|").replace("@", "@" + _ZWJ)
        # Literal in a code span, but the raw text must never hold an HTML comment either
        # (it is where the bot keeps its state): its dashes become non-breaking hyphens,
        # which read the same.
        flat = flat.replace("<!--", "<!\u2011\u2011").replace("-->", "\u2011\u2011>")
        return f"`{flat}`" if flat.strip() else "` `"
    flat = _HTML_RE.sub(lambda m: _HTML[m.group(0)], flat)
    return _MARKDOWN.sub(r"\\\1", flat).replace("@", "@" + _ZWJ)


def link_url(raw: str) -> str:
    """A URL from outside (the package index) made safe inside `<...>` or a markdown link and
    a table cell: no credentials, and no "@" (a mention), "|", "<", ">" or space left
    unencoded."""
    return quote(redact_urls(raw), safe=":/?#[]!$&'*+,;=%~-._", errors="replace")


def dated(value: datetime, now: datetime) -> str:
    """`2024-05-01 (3 months ago)`: a date and how long before `now` it was."""
    days = max(0, (now - value).days)
    if days < 60:
        ago = "today" if days == 0 else f"{days} day{'s' * (days != 1)} ago"
    elif days < 730:
        ago = f"{days // 30} months ago"
    else:
        ago = f"{days // 365} years ago"
    return f"{value:%Y-%m-%d} ({ago})"


def mention(login: Any) -> str | None:
    """`@login` for a well-formed GitHub login, else None (nobody is addressed)."""
    text = str(login or "").removeprefix("@")
    return f"@{text}" if GITHUB_LOGIN.fullmatch(text) else None


def defuse_mentions(text: str) -> str:
    """Put a zero-width joiner after '@' so GitHub renders the name but notifies no one."""
    return _MENTION.sub("\\1@\u200d\\2", text)


class Markdown(str):
    """A template field that is already markdown the bot built (outside text in it escaped):
    `render` puts it in as it is."""


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:  # validated at load; defensive for old comments
        return "{" + key + "}"


# With no one to address, "{author}" goes with the comma or space before it ("Hi {author},"
# becomes "Hi,"), or at the start of a line with the punctuation after it.
_NAMELESS = (
    re.compile(r"^\{author(?:_name)?\}[ \t]*[,.;:!?]?[ \t]*", re.MULTILINE),
    re.compile(r"[ \t]*,?[ \t]*\{author(?:_name)?\}"),
)


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill a reply template. `{author}` (`"@login"`) is the one deliberate mention, and only
    of a well-formed login; without one, the author is not addressed at all. Every other field
    is escaped, except `Markdown` the caller built."""
    safe: dict[str, Any] = {}
    nameless = False
    for key, value in fields.items():
        if key == "author":
            who = mention(value) if str(value).startswith("@") else None
            nameless = nameless or who is None
            safe[key] = who
        elif key == "author_name":
            nameless = nameless or mention(value) is None
            safe[key] = escape(value)
        elif isinstance(value, Markdown):
            safe[key] = value
        else:
            safe[key] = escape(value)
    if nameless:
        for pattern in _NAMELESS:
            template = pattern.sub("", template)
    return template.format_map(_Fields(safe))
