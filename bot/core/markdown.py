"""Classify the lines of a GitHub-flavoured Markdown text, once, for every reader.

:func:`scan_lines` splits a text into lines (``\\n``, ``\\r\\n`` and ``\\r`` all end one)
and says, for each, which block it is in and what is left of it once HTML comments are
removed.  The issue-body form parser and the slash-command parser both read a text
through it, so they agree on what is code, what is quoted and what is hidden.

Pure and stdlib-only.  Never raises, and linear in the size of the text: each line is
looked at once, every search on it moves forward, and the few regular expressions are
anchored with no nested quantifiers.

Blocks, following CommonMark (https://spec.commonmark.org/0.31.2/) where it matters:

* fenced code (``FENCE_OPEN``, ``FENCE``, ``FENCE_CLOSE``): a run of 3+ ```` ` ```` or
  ``~`` indented at most 3 columns; a backtick fence whose info string holds a backtick is
  not a fence (```` ```x``` ```` is a code span).  It is closed by a run of the same
  character at least as long, indented at most 3 columns, with nothing but spaces or
  tabs after it; an unclosed fence runs to the end of the text.  A fence opened on a
  list item's first line (``- ```py``, ``1. ~~~``) also ends, without a closing line,
  at the first non-blank line indented less than the item's content, and that line is
  classified afresh;
* indented code (``CODE``): 4+ columns (tabs stop every 4) not continuing a paragraph;
* block quotes (``QUOTE``): a line whose first non-blank character, indented at most 3
  columns, is ``>`` (nesting included).  A *lazy continuation* line (no ``>``, right
  after a quoted line) is ``TEXT``, although CommonMark renders it inside the quote:
  the slash-command parser's decision (a maintainer who quotes and then types
  ``/close`` on the next line means the command).  What is inside a quote is not parsed
  further, except for HTML comments;
* raw HTML blocks of CommonMark's type 1 (``HTML``): a line starting, indented at most 3
  columns (or on a list item's first line, as for fences), with ``<pre``, ``<script``,
  ``<style`` or ``<textarea`` (any case) followed by a space, a tab, ``>`` or the end of
  the line, up to and including the line whose text outside comments holds the
  matching end tag (``</pre>`` ...), or the end of the text.  GitHub shows their
  content as preformatted text, not Markdown.  Decision: only the *matching* end tag
  ends the block (CommonMark would take any of the four): the browser keeps a ``<pre>``
  open until its own end tag, so that is what readers see;
* everything else is ``TEXT``: paragraphs, headings, list items, blank lines, and
  HTML blocks of the other types (``<details>``, ``<summary>``, ``<div>`` ...), whose
  content GitHub renders as Markdown or shows as text;
* ``COMMENT``: a line that begins inside an HTML comment opened on an earlier line.

HTML comments run from ``<!--`` to the next ``-->`` (``<!-->`` and ``<!--->`` are
whole comments), across lines and blank lines, in every block but code: in fences,
indented code and inline code spans (matched per line: a run of N backticks is closed
by the next run of exactly N; whichever of a code span or a comment starts first wins)
``<!--`` is literal.  This is wider than CommonMark, where a comment opened inside a
paragraph ends with it; hidden text is taken as hidden.  Inside a raw HTML block
comments are HTML's (no code spans).  A line's *visible* text is the line without its
comments; for code it is the line itself.

Simplifications.  List items are not tracked beyond their first line's fence or HTML
block: a line indented 4+ after a blank line inside a list item is taken as indented
code (CommonMark would continue the item), so a ``<!--`` there is literal.  A paragraph
is any line with visible text: a line indented 4+ right after a heading is taken as
continuation text, not code.  Code inside a block quote is not tracked: a ``<!--`` in a
quoted fence opens a comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "CODE",
    "COMMENT",
    "FENCE",
    "FENCE_CLOSE",
    "FENCE_OPEN",
    "HTML",
    "KIND_NAMES",
    "QUOTE",
    "TEXT",
    "Line",
    "Lines",
    "scan_lines",
    "strip_comments",
]

TEXT = 0
FENCE_OPEN = 1
FENCE = 2
FENCE_CLOSE = 3
CODE = 4
QUOTE = 5
COMMENT = 6
HTML = 7

#: Readable names of the kinds, by value.
KIND_NAMES = ("text", "fence-open", "fence", "fence-close", "code", "quote", "comment", "html")

# A list item's marker, then (as CommonMark allows before content) 1-4 spaces or a tab,
# then what may open a fence or an HTML block.  5+ spaces would make indented code.
_LIST_OPEN = re.compile(r"(?:[-+*]|[0-9]{1,9}[.)])(?: {1,4}|\t)(?=[`~<])")
_HTML_OPEN = re.compile(r"<(pre|script|style|textarea)(?=[ \t>]|$)", re.IGNORECASE | re.ASCII)
_HTML_CLOSE = {
    name: re.compile(f"</{name}>", re.IGNORECASE | re.ASCII)
    for name in ("pre", "script", "style", "textarea")
}
_BACKTICK_RUN = re.compile(r"`+")
# First characters of a line that may start something other than paragraph text.
_SLOW_FIRST = frozenset(" \t>`~<-+*0123456789")


class Line(NamedTuple):
    raw: str
    visible: str
    kind: int


# Not frozen: a frozen dataclass's __init__ would add about half a microsecond to every
# scan (a short body's takes a few).  Every field holds an immutable value.
@dataclass(slots=True)
class Lines:
    """A scanned text: per line, its raw text, its visible text and its kind."""

    raw: tuple[str, ...]
    """The lines, without their line breaks."""
    visible: tuple[str, ...]
    """The lines without HTML comments; the very same tuple as ``raw`` when there were none."""
    kind: bytes
    """Per line, one of TEXT, FENCE_OPEN, FENCE, FENCE_CLOSE, CODE, QUOTE, COMMENT, HTML."""
    indexed: tuple[int, ...]
    """Indices of the TEXT and COMMENT lines whose visible text starts, after spaces and
    tabs, with one of the characters passed as ``index`` to :func:`scan_lines`."""

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i: int) -> Line:
        return Line(self.raw[i], self.visible[i], self.kind[i])

    def __iter__(self) -> Iterator[Line]:
        for i in range(len(self.raw)):
            yield Line(self.raw[i], self.visible[i], self.kind[i])


def _indent(line: str) -> tuple[int, int]:
    """(column of the first non-blank character, its index); tabs stop every 4."""
    col = 0
    for i, ch in enumerate(line):
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            return col, i
    return col, len(line)


def _fence_at(line: str, i: int) -> tuple[str, int] | None:
    """(char, length) of the code fence opened by ``line`` at index ``i``, if any."""
    ch = line[i]
    rest = line[i:].lstrip(ch)
    length = len(line) - i - len(rest)
    if length < 3 or (ch == "`" and "`" in rest):  # ```x``` is a code span, not a fence
        return None
    return ch, length


def _closes(line: str, i: int, ch: str, length: int) -> bool:
    """Whether ``line``, from index ``i``, is a closing fence for ``ch`` * ``length``."""
    s = line[i:].rstrip(" \t")
    return len(s) >= length and s.count(ch) == len(s)


def strip_comments(
    line: str, in_comment: bool = False, *, code_spans: bool = True
) -> tuple[str, bool]:
    """Remove HTML comments from one line.

    Returns the visible text and whether a comment is still open at the end of the line;
    ``in_comment`` says one was open at its start.  With ``code_spans``, ``<!--`` inside
    an inline code span is literal (whichever of a code span or a comment starts first
    wins).  Every search moves forward, so this is linear in the line.
    """
    if not in_comment and "<!--" not in line:
        return line, False
    out: list[str] = []
    n = len(line)
    pos = 0
    if in_comment:
        close = line.find("-->")
        if close < 0:
            return "", True
        pos = close + 3

    if not code_spans or line.find("`", pos) < 0:
        while True:
            start = line.find("<!--", pos)
            if start < 0:
                out.append(line[pos:])
                return "".join(out), False
            out.append(line[pos:start])
            close = line.find("-->", start + 2)  # "<!-->" and "<!--->" are comments too
            if close < 0:
                return "".join(out), True
            pos = close + 3

    runs = [(m.start(), m.end()) for m in _BACKTICK_RUN.finditer(line, pos)]
    next_same: list[int] = [-1] * len(runs)
    last_by_length: dict[int, int] = {}
    for r in range(len(runs) - 1, -1, -1):
        length = runs[r][1] - runs[r][0]
        next_same[r] = last_by_length.get(length, -1)
        last_by_length[length] = r

    r = 0  # next backtick run at or after pos
    comment = line.find("<!--", pos)
    live_from = pos
    while pos < n:
        while r < len(runs) and runs[r][0] < pos:
            r += 1
        if comment != -1 and comment < pos:
            comment = line.find("<!--", pos)
        tick = runs[r][0] if r < len(runs) else -1
        if comment == -1 and tick == -1:
            break
        if tick != -1 and (comment == -1 or tick < comment):
            partner = next_same[r]
            pos = runs[partner][1] if partner != -1 else runs[r][1]  # span or literal
            continue
        out.append(line[live_from:comment])
        close = line.find("-->", comment + 2)  # "<!-->" and "<!--->" are comments too
        if close < 0:
            return "".join(out), True
        pos = live_from = close + 3
    out.append(line[live_from:])
    return "".join(out), False


def scan_lines(text: str, index: str = "") -> Lines:
    """Classify every line of ``text`` (see the module's documentation).

    ``index`` names first characters worth finding: the result's ``indexed`` lists the
    text lines whose visible text starts with one of them, so a reader that only cares
    about, say, ``/`` or ``#`` lines need not look at the others.  A non-``str`` text
    reads as empty.
    """
    if not isinstance(text, str):
        text = ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    raws = text.split("\n")
    vis = raws  # copied on the first line that loses a comment
    kinds = bytearray(len(raws))
    wanted = index if isinstance(index, str) else ""  # only ever asked about one character
    indexed: list[int] = []

    in_comment = False
    para = False  # the previous line is paragraph text: an indented line continues it
    block = TEXT  # FENCE or HTML while one is open
    fence_char = ""
    fence_len = 0
    block_indent = 0  # content column of the list item the block opened in, else 0
    html_end = _HTML_CLOSE["pre"]

    # The loop is the hot path of every issue body: plain text lines take the first
    # branches and nothing else.
    for i, line in enumerate(raws):
        if block or in_comment:
            if block:
                if block == FENCE and block_indent == 0 and fence_char not in line:
                    kinds[i] = FENCE
                    continue
                if line and (line[0] == " " or line[0] == "\t"):
                    col, j = _indent(line)
                else:
                    col = j = 0
                if j == len(line) or col >= block_indent:
                    if block == FENCE:
                        if (
                            j < len(line)
                            and line[j] == fence_char
                            and col - block_indent <= 3
                            and _closes(line, j, fence_char, fence_len)
                        ):
                            kinds[i] = FENCE_CLOSE
                            block = TEXT
                            para = False
                        else:
                            kinds[i] = FENCE
                        continue
                    kinds[i] = HTML
                    if in_comment or "<!--" in line:
                        visible, in_comment = strip_comments(line, in_comment, code_spans=False)
                        if vis is raws:
                            vis = list(raws)
                        vis[i] = visible
                    else:
                        visible = line
                    if html_end.search(visible):
                        block = TEXT
                        para = False
                    continue
                block = TEXT  # dedented out of its list item: the block ends here

            if in_comment:
                kinds[i] = COMMENT
                if vis is raws:
                    vis = list(raws)
                if "-->" not in line:
                    vis[i] = ""
                    para = False
                    continue
                visible, in_comment = strip_comments(line, True)
                vis[i] = visible
                s = visible.lstrip(" \t")
                para = bool(s)
                if s and s[0] in wanted:
                    indexed.append(i)
                continue

        if not line:
            para = False
            continue
        c = line[0]
        if c not in _SLOW_FIRST:
            if "<!--" not in line:
                para = True
                if c in wanted:
                    indexed.append(i)
                continue
        else:
            col = j = 0
            if c == " " or c == "\t":
                col, j = _indent(line)
                if j == len(line):
                    para = False
                    continue
                c = line[j]
                if col >= 4:
                    if not para:
                        kinds[i] = CODE
                        continue
                    c = ""  # a paragraph's continuation: nothing else starts here
            if c == ">":
                kinds[i] = QUOTE
                para = True  # what follows may be a lazy continuation
                if "<!--" in line:
                    visible, in_comment = strip_comments(line)
                    if vis is raws:
                        vis = list(raws)
                    vis[i] = visible
                continue
            k = j
            if c and c not in "`~<" and ("`" in line or "~" in line or "<" in line):
                marker = _LIST_OPEN.match(line, j)
                if marker is not None:  # "- ```" / "1. <pre>": inside a list item
                    k = marker.end()
                    c = line[k]
            if (c == "`" and line.startswith("```", k)) or (c == "~" and line.startswith("~~~", k)):
                fence = _fence_at(line, k)
                if fence is not None:
                    kinds[i] = FENCE_OPEN
                    block = FENCE
                    fence_char, fence_len = fence
                    block_indent = len(line[:k].expandtabs(4)) if k != j else 0
                    para = False
                    continue
            elif c == "<" and not line.startswith("<!--", k):
                tag = _HTML_OPEN.match(line, k)
                if tag is not None:
                    kinds[i] = HTML
                    html_end = _HTML_CLOSE[tag.group(1).lower()]
                    block_indent = len(line[:k].expandtabs(4)) if k != j else 0
                    para = False
                    if "<!--" in line:
                        visible, in_comment = strip_comments(line, code_spans=False)
                        if vis is raws:
                            vis = list(raws)
                        vis[i] = visible
                    else:
                        visible = line
                    if not html_end.search(visible):
                        block = HTML
                    continue
            if "<!--" not in line:
                para = True
                if line[j] in wanted:
                    indexed.append(i)
                continue

        # Paragraph text with a comment in it.
        visible, in_comment = strip_comments(line)
        if vis is raws:
            vis = list(raws)
        vis[i] = visible
        s = visible.lstrip(" \t")
        para = bool(s)
        if s and s[0] in wanted:
            indexed.append(i)

    raw_lines = tuple(raws)
    return Lines(
        raw_lines,
        raw_lines if vis is raws else tuple(vis),
        bytes(kinds),
        tuple(indexed),
    )
