"""Parse a GitHub issue body from pypi/support into fields keyed by heading.

GitHub issue forms render each field as ``### <label>``, a blank line, then the
value (``_No response_`` when an optional field was left empty).  Older issues
use ``## Heading`` or bold pseudo-headings (``**Project to be claimed**``), and
some are free text.  The parser never assumes a particular form: it finds the
headings, splits the body into sections and reports, per section, the raw text,
a value (``None`` when the section holds nothing but template text), the
placeholder tokens left in it and the checkboxes ticked or not.

The body is read through :func:`bot.core.markdown.scan_lines`, which says which
lines are code, quotes, preformatted HTML or hidden in HTML comments: headings and
checkboxes are only looked for in the text lines it lists.

Pure and stdlib-only.  Works line by line with ``str`` methods; the two regular
expressions are fixed strings with optional parts (no nested quantifiers), so the
running time is linear in the size of the body.  Nothing here raises on any ``str``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from types import MappingProxyType

from bot.core.markdown import COMMENT, FENCE, FENCE_CLOSE, FENCE_OPEN, TEXT, scan_lines

__all__ = [
    "PLACEHOLDER_TOKENS",
    "Field",
    "ParsedBody",
    "holds_only",
    "normalize_heading",
    "parse_body",
    "placeholders_in",
]

#: Unedited template defaults; matched as whole tokens, case-sensitively. The MB and GB
#: forms are the limit forms' defaults before November 2023.
PLACEHOLDER_TOKENS: tuple[str, ...] = (
    "PROJECT_NAME",
    "USER_NAME",
    "USERNAME",
    "000 MiB",
    "00 GiB",
    "0 MiB",
    "000 MB",
    "00 GB",
    "0 MB",
)

#: Substrings every placeholder token holds, to rule text out before the pattern runs.
PLACEHOLDER_HINTS: tuple[str, ...] = ("NAME", "0 M", "0 G")

# Not inside a number: "1.00 GiB" and "10 MB" are sizes, not the template's "00 GiB".
_TOKEN_RE = re.compile(
    r"(?<![\w.,])(?:" + "|".join(re.escape(t) for t in PLACEHOLDER_TOKENS) + r")(?!\w)"
)

# A PyPI project or user URL whose name part is still a placeholder.
_PLACEHOLDER_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.|test\.)?pypi\.org/(?:project|user)/"
    r"<?(?:PROJECT_NAME|USER_NAME|USERNAME)>?/?"
)

# Invisible format characters that users paste into headings.
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,
        0x061C,
        0x180E,
        0xFEFF,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x206A),
    ]
)
_HEADING_TRAILING = " \t:?*★"
# Characters that may remain around placeholders in untouched template text.
_TEMPLATE_PUNCT = dict.fromkeys(map(ord, string.punctuation + "‐‑‒–—“”‘’«»"))

_NO_RESPONSE = frozenset({"no response"})
# Text lines whose first non-blank character is one of these may be headings or checkboxes.
_SPECIAL_FIRST = "#*_-+="
#: At most this many distinct fields are built (real forms have about fifteen);
#: further headings still delimit sections and are listed in ``headings``.
MAX_FIELDS = 1000
# Bold pseudo-headings longer than this are sentences, not headings.
_MAX_BOLD_HEADING = 200

STYLE_FORM = "form"
STYLE_MARKDOWN = "markdown"
STYLE_BOLD = "bold"
STYLE_FREE = "free"


@lru_cache(maxsize=4096)  # rules' headings are normalised again for every issue
def normalize_heading(text: str) -> str:
    """Return the lookup key for a heading.

    Case-folded; ATX markers, emphasis markers and backticks removed; trailing
    ``:``, ``?``, ``*``, ``★`` and whitespace stripped; inner whitespace collapsed.
    ``"### Your PyPI username"`` and ``"**Your PyPI username:**"`` both give
    ``"your pypi username"``.
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE).strip()
    if s.startswith("#"):
        rest = s.lstrip("#")
        if not rest or rest[0].isspace():
            s = rest
    s = s.replace("`", "").replace("*", "")
    words = [w.strip("_~") for w in s.split()]
    s = " ".join(w for w in words if w).casefold()
    return s.rstrip(_HEADING_TRAILING)


def placeholders_in(text: str | None) -> tuple[str, ...]:
    """Return the placeholder tokens present in ``text``, in PLACEHOLDER_TOKENS order."""
    # Every token contains one of PLACEHOLDER_HINTS (a test checks): a few substring searches
    # rule most text out much faster than the pattern's scan, which tries every position.
    if not text or not any(hint in text for hint in PLACEHOLDER_HINTS):
        return ()
    found = set(_TOKEN_RE.findall(text))
    return tuple(t for t in PLACEHOLDER_TOKENS if t in found)


@dataclass(frozen=True, slots=True)
class Field:
    heading: str
    """The heading as written, without its markdown markers."""
    text: str
    """The section's raw text, stripped."""
    value: str | None
    """The section's text without HTML comments; None when nothing but template is left."""
    placeholders: tuple[str, ...] = ()
    checked: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class ParsedBody:
    fields: Mapping[str, Field] = dc_field(hash=False)
    headings: tuple[str, ...]
    preamble: str
    style: str
    _plain: str = dc_field(default="", repr=False, compare=False)

    def field(self, *names: str) -> Field | None:
        """Return the first field present among ``names`` (normalized before lookup)."""
        for name in names:
            found = self.fields.get(normalize_heading(name))
            if found is not None:
                return found
        return None

    def text(self) -> str:
        """The whole body as plain text: LF line endings, HTML comments removed,
        heading markers dropped.  Meant for text-pattern matching."""
        return self._plain


# ---------------------------------------------------------------------------
# Line scanning


class _Keys(dict[str, str]):
    """Memo of normalize_heading for one parse (bodies repeat headings)."""

    def __missing__(self, text: str) -> str:
        key = self[text] = normalize_heading(text)
        return key


def _atx(line: str) -> tuple[int, str] | None:
    s = line.lstrip(" ")
    if len(line) - len(s) > 3 or not s.startswith("#"):
        return None
    rest = s.lstrip("#")
    level = len(s) - len(rest)
    if level > 6 or (rest and rest[0] not in " \t"):
        return None
    content = rest.strip()
    # Optional closing sequence: spaces then #s.
    trimmed = content.rstrip("#")
    if trimmed != content and (not trimmed or trimmed[-1] in " \t"):
        content = trimmed.rstrip()
    return level, content


def _bold(line: str) -> str | None:
    s = line.strip()
    for mark in ("**", "__"):
        if not s.startswith(mark):
            continue
        body = s[2:]
        if body.endswith(":"):
            body = body[:-1].rstrip()
        if not body.endswith(mark):
            return None
        inner = body[:-2]
        if not inner.strip() or mark in inner.strip("*_") or len(inner) > _MAX_BOLD_HEADING:
            return None
        return inner.strip("*_ \t")
    return None


def _checkbox(line: str) -> tuple[bool, str] | None:
    s = line.lstrip(" \t")
    if len(s) < 5 or s[0] not in "-*+" or s[1] not in " \t":
        return None
    s = s[1:].lstrip(" \t")
    if len(s) < 3 or s[0] != "[" or s[2] != "]" or s[1] not in " xX":
        return None
    if len(s) > 3 and s[3] not in " \t":
        return None
    option = s[3:].strip()
    if not option:
        return None
    return s[1] != " ", option


def _is_setext_underline(line: str) -> bool:
    s = line.rstrip(" \t")
    t = s.lstrip(" ")
    if len(s) - len(t) > 3 or len(t) < 3 or t[0] not in "=-":
        return False
    return t.count(t[0]) == len(t)


@dataclass(slots=True)
class _Scan:
    raws: tuple[str, ...]  # the body's lines
    vis: tuple[str, ...]  # the lines minus HTML comments (the same tuple when there are none)
    kind: bytes  # per line, a bot.core.markdown kind (TEXT, FENCE_OPEN, FENCE, ...)
    atx: list[tuple[int, int, str, str]]  # (line, level, heading, key)
    bold: list[tuple[int, str, str]]  # (line, heading, key)
    boxes: list[int]  # text lines that may be checkbox items
    underlines: list[int]  # text lines that may be setext underlines


def _scan(body: str, keys: _Keys) -> _Scan:
    lines = scan_lines(body, _SPECIAL_FIRST)
    vis = lines.visible
    atx: list[tuple[int, int, str, str]] = []
    bold: list[tuple[int, str, str]] = []
    boxes: list[int] = []
    underlines: list[int] = []
    for i in lines.indexed:
        visible = vis[i]
        c = visible[0]
        if c == " " or c == "\t":
            c = visible.lstrip(" \t")[0]
        if c == "#":
            found = _atx(visible)
            if found is not None and keys[found[1]]:
                atx.append((i, found[0], found[1], keys[found[1]]))
            continue
        if c == "*" or c == "_":
            heading = _bold(visible)
            if heading is not None and keys[heading]:
                bold.append((i, heading, keys[heading]))
        if c == "-" or c == "=":
            underlines.append(i)
        if c != "=" and c != "_":
            boxes.append(i)
    return _Scan(lines.raw, vis, lines.kind, atx, bold, boxes, underlines)


def _setext(scan: _Scan, keys: _Keys) -> list[tuple[int, int, str, str]]:
    """Setext headings: a single-line paragraph over a ===/--- underline.

    Returns (heading line, section start, heading, key) tuples."""
    found: list[tuple[int, int, str, str]] = []
    vis = scan.vis
    kind = scan.kind
    last_underline = -2
    for i in scan.underlines:
        if i < 1 or not _is_setext_underline(vis[i]):
            continue
        prev = vis[i - 1]
        text = prev.strip()
        if (
            not text
            or (kind[i - 1] != TEXT and kind[i - 1] != COMMENT)
            or _is_setext_underline(prev)
            or text[0] in "-*+>|#"
            or len(prev) - len(prev.lstrip(" ")) > 3
        ):
            continue
        if i >= 2 and vis[i - 2].strip() and last_underline != i - 2:
            continue  # multi-line paragraph: too ambiguous, skip
        if keys[text]:
            found.append((i - 1, i + 1, text, keys[text]))
            last_underline = i
    return found


# ---------------------------------------------------------------------------
# Sections and values


def _is_no_response(text: str) -> bool:
    s = text.strip().strip("_*").strip().rstrip(".").casefold()
    return s in _NO_RESPONSE


# The 2020 network template's console blocks: a command, then this line to replace.
_REPLACE_MARKER = "<replace with your output>"


def _unfilled_fence(content: list[str]) -> bool:
    """A pre-filled console block: empty, or only ``$ command`` lines, no output; or the
    2020 template's command followed by ``<Replace with your output>``."""
    lines = [c.strip() for c in content if c.strip()]
    if any(line.casefold() == _REPLACE_MARKER for line in lines):
        rest = [x for x in lines if x.casefold() != _REPLACE_MARKER and not x.startswith("$")]
        return len(rest) <= 1
    return all(line.startswith("$") for line in lines)


def _template_key(text: str) -> str:
    return " ".join(text.translate(_TEMPLATE_PUNCT).casefold().split())


def holds_only(found: Field | None, templates: tuple[str, ...] | list[str]) -> bool:
    """Whether a field's value is nothing but one of a template's defaults (``username``,
    ``Reason:``), compared without case, punctuation or extra spaces."""
    if found is None or found.value is None or not templates:
        return False
    value = _template_key(found.value)
    return any(value == _template_key(t) for t in templates)


def _value(scan: _Scan, start: int, end: int, visible_text: str, placeholders: bool) -> str | None:
    if not visible_text or _is_no_response(visible_text):
        return None
    kind = scan.kind
    if not placeholders and kind.find(FENCE_OPEN, start, end) < 0:
        return visible_text
    # Drop pre-filled console blocks that were left without output.
    kept: list[str] = []
    removed_template = False
    pos = start
    while True:
        opener = kind.find(FENCE_OPEN, pos, end)
        if opener < 0:
            kept.extend(scan.vis[pos:end])
            break
        kept.extend(scan.vis[pos:opener])
        inside = opener + 1
        while inside < end and kind[inside] == FENCE:
            inside += 1
        # A fence ends at its closing line, at the section's end, or (in a list item) unclosed.
        stop = inside + 1 if inside < end and kind[inside] == FENCE_CLOSE else inside
        if _unfilled_fence(scan.raws[opener + 1 : inside]):
            removed_template = True
        else:
            kept.extend(scan.raws[opener:stop])
        pos = stop
    if not placeholders and not removed_template:
        return visible_text
    residual = "\n".join(kept)
    if placeholders:
        residual = _PLACEHOLDER_URL_RE.sub(" ", residual)
        residual = _TOKEN_RE.sub(" ", residual)
    residual = residual.translate(_TEMPLATE_PUNCT)
    if not residual.split() or _is_no_response(residual):
        return None
    return visible_text


def _make_field(scan: _Scan, heading: str, start: int, end: int) -> Field:
    text = "\n".join(scan.raws[start:end]).strip()
    vis = scan.vis
    visible_text = text if vis is scan.raws else "\n".join(vis[start:end]).strip()
    checked: list[str] = []
    unchecked: list[str] = []
    boxes = scan.boxes
    for k in range(bisect_left(boxes, start), bisect_left(boxes, end)):
        box = _checkbox(scan.vis[boxes[k]])
        if box is not None:
            (checked if box[0] else unchecked).append(box[1])
    placeholders = placeholders_in(visible_text)
    return Field(
        heading=heading,
        text=text,
        value=_value(scan, start, end, visible_text, bool(placeholders)),
        placeholders=placeholders,
        checked=tuple(checked),
        unchecked=tuple(unchecked),
    )


def _headings(scan: _Scan, keys: _Keys) -> tuple[str, list[tuple[int, int, str, str]]]:
    """Pick the heading kind used by the body.

    Returns the style and (heading line, section start, heading, key) tuples.
    ATX headings win over bold pseudo-headings, which win over setext headings,
    so a bold line inside a form value does not split it.  In a form body (the
    first ATX heading is ``###``) only ``###`` headings delimit fields; deeper
    or shallower headings are the user's own.
    """
    if scan.atx:
        if scan.atx[0][1] == 3:
            return STYLE_FORM, [(i, i + 1, h, k) for i, lvl, h, k in scan.atx if lvl == 3]
        return STYLE_MARKDOWN, [(i, i + 1, h, k) for i, _, h, k in scan.atx]
    if scan.bold:
        return STYLE_BOLD, [(i, i + 1, h, k) for i, h, k in scan.bold]
    setext = _setext(scan, keys)
    if setext:
        return STYLE_MARKDOWN, setext
    return STYLE_FREE, []


# One delivery's handlers (triage, name report) and the sweep read the same body more than
# once; a parsed body is immutable, so the last few are kept.
@lru_cache(maxsize=64)
def parse_body(body: str | None) -> ParsedBody:
    """Split an issue body into fields by heading.  Never raises."""
    if not body or not isinstance(body, str):
        return ParsedBody(MappingProxyType({}), (), "", STYLE_FREE, "")
    keys = _Keys()
    scan = _scan(body, keys)
    style, heads = _headings(scan, keys)

    total = len(scan.raws)
    fields: dict[str, Field] = {}
    first = heads[0][0] if heads else total
    preamble = "\n".join(scan.raws[:first]).strip()
    for n, (_, start, heading, key) in enumerate(heads):
        if key in fields or len(fields) >= MAX_FIELDS:
            continue
        end = heads[n + 1][0] if n + 1 < len(heads) else total
        fields[key] = _make_field(scan, heading, start, end)

    # Plain text: comments gone, heading lines reduced to their text.
    if heads:
        plain = list(scan.vis)
        for line, start, heading, _ in heads:
            plain[line + 1 : start] = [""] * (start - line - 1)
            plain[line] = heading
    else:
        plain = scan.vis
    return ParsedBody(
        fields=MappingProxyType(fields),
        headings=tuple(h[3] for h in heads),
        preamble=preamble,
        style=style,
        _plain="\n".join(plain).strip(),
    )
