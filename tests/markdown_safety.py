"""What must never be in a comment the bot writes, checked on the markdown as GitHub reads it:
no live mention (but the one allowed), no HTML comment but the bot's own markers, no table row
split by a stray "|", no credentials in a URL. Used by the escaping corpus and the hostile-text
property test."""

from __future__ import annotations

import re

_MARKER = re.compile(r"<!-- pypi-support-bot:[a-z0-9:_-]+(?: \{[^\n]*?\})? -->")
# A live mention: "@" then a login or org/team, not preceded by a word character (GitHub does
# not read "a@b" as one), nor followed by the zero-width joiner the bot puts there.
_MENTION = re.compile(r"(?<![\w`])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?)")
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s<>()\[\]]*@")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def without_code_spans(text: str) -> str:
    """`text` with every code span (CommonMark: a run of n backticks up to the next run of
    exactly n) replaced by a space. Outside code, a backslash escapes the next character."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            out.append(text[i : i + 2])
            i += 2
            continue
        if char != "`":
            out.append(char)
            i += 1
            continue
        j = i
        while j < n and text[j] == "`":
            j += 1
        run = j - i
        k = j
        close = -1
        while (k := text.find("`" * run, k)) >= 0:
            end = k
            while end < n and text[end] == "`":
                end += 1
            if end - k == run:
                close = k
                break
            k = end
        if close < 0:  # no closing run: the backticks are literal
            out.append(text[i:j])
            i = j
        else:
            out.append(" ")
            i = close + run
    return "".join(out)


def live_mentions(body: str) -> set[str]:
    text = without_code_spans(_MARKER.sub(" ", body))
    return {m.group(1).lower() for m in _MENTION.finditer(text)}


def foreign_html_comments(body: str) -> list[str]:
    """HTML comments other than the bot's markers (code spans are text, not HTML)."""
    text = without_code_spans(_MARKER.sub(" ", body))
    return [text[m.start() : m.start() + 40] for m in re.finditer("<!--", text)]


def broken_tables(body: str) -> list[list[str]]:
    """Tables (runs of lines starting with "|") whose rows differ in their count of cell
    separators (pipes without a backslash before them, inside code spans too, as GFM does)."""
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*body.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return [rows for rows in tables if len({len(_UNESCAPED_PIPE.findall(row)) for row in rows}) > 1]


def urls_with_userinfo(body: str) -> list[str]:
    return _USERINFO.findall(body)


def problems(body: str, *, author: str | None = None) -> list[str]:
    """Everything wrong with one comment body; [] when it is safe."""
    found = []
    allowed = {author.lower()} if author else set()
    if extra := live_mentions(body) - allowed:
        found.append(f"live mentions {sorted(extra)}")
    if comments := foreign_html_comments(body):
        found.append(f"HTML comments {comments}")
    if tables := broken_tables(body):
        found.append(f"broken tables {tables}")
    if urls := urls_with_userinfo(body):
        found.append(f"URLs with credentials {urls}")
    return found
