"""Parse maintainer slash commands (``/label``, ``/close``, ...) out of comment text.

Pure and stdlib-only: no I/O, never raises on any ``str`` input, and linear in the
size of the text (every scan moves forward; the only regexes are anchored, with no
nested quantifiers), so a hostile 64 KiB comment costs milliseconds.

The text is read as GitHub-flavoured Markdown by :mod:`bot.core.markdown`, and only
*live* lines can carry a command.  Not live:

* fenced code blocks (```` ``` ```` or ``~~~``, length >= 3, indented at most 3
  columns, closed by a fence of the same character and at least the same length; an
  unclosed fence runs to the end of the text).  A fence opened on a list item's first
  line (``- ~~~``) also ends when a later non-blank line is indented less than the
  item's content, as in CommonMark;
* indented code blocks (4+ columns, tabs counted to the next multiple of 4, not
  continuing a paragraph).  Such lines could never start a command anyway; tracking
  them keeps a ``<!--`` inside code from opening a comment;
* block quotes: any line whose first non-blank character (indented <= 3) is ``>``,
  including ``>>`` nesting.  Decision: a *lazy continuation* line (a line without
  ``>`` directly after a quoted line) is treated as live, although CommonMark would
  render it inside the quote.  A maintainer who quotes and then types ``/close`` on
  the next line means the command.  Whatever the state, a line that looks quoted never
  carries a command;
* raw HTML blocks that GitHub shows as preformatted text: from a line starting with
  ``<pre``, ``<script``, ``<style`` or ``<textarea`` to the line with the matching end
  tag.  ``<details>`` and ``<summary>`` are not among them: GitHub renders what they
  hold as Markdown, so commands in them are live;
* HTML comments ``<!-- ... -->``, possibly spanning lines, also when opened in a
  quoted line.  Text after ``-->`` on the same line is live again.  A ``<!--`` inside
  an inline code span on the same line does not open a comment (code spans are
  matched per line, as in CommonMark: a run of N backticks is closed by the next run
  of exactly N).

A command is ``/word`` at the start of a live line (after at most 3 spaces), where
``word`` is ASCII letters, digits, ``-`` or ``_``, followed by whitespace or the end of
the line.  ``/usr/bin/python``, ``a/b``, URLs, ``//x`` and ``/close.`` are not commands.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.core.markdown import COMMENT, scan_lines

__all__ = [
    "SUGGESTION_CUTOFF",
    "Invocation",
    "UnknownCommand",
    "new_commands",
    "parse_commands",
    "split_args",
]

#: difflib ratio a mistyped word needs to earn a "did you mean" reply.  0.65 keeps
#: ``lable``/``clsoe``/``asign``/``pep``/``wait`` -> suggestions while paths such as
#: ``/etc``, ``/usr``, ``/tmp`` or ``/home`` stay silent.
SUGGESTION_CUTOFF = 0.65

# Unknown words longer than this are never suggested for (no command is that long);
# it also bounds the difflib work per line.
_MAX_WORD = 40

# Greedy with nothing after it, so it never backtracks; the character after the word
# is checked by hand.
_COMMAND = re.compile(r" {0,3}/([A-Za-z0-9_-]+)")
_QUOTED = re.compile(r" {0,3}>")

# Quote families: any member opens (at the start of a token), any member of the same
# family closes.  Phones insert typographic quotes, and not always the right one.
_DOUBLE_QUOTES = '"\u201c\u201d\u201e\u201f'  # " “ ” „ ‟
_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # ' ‘ ’ ‚ ‛
_CLOSERS: dict[str, str] = {q: _DOUBLE_QUOTES for q in _DOUBLE_QUOTES}
_CLOSERS.update({q: _SINGLE_QUOTES for q in _SINGLE_QUOTES})
_CLOSERS["`"] = "`"  # /label `needs triage` -- people quote labels as code, too


@dataclass(frozen=True)
class Invocation:
    """A recognised command: ``/name args...`` on line ``line`` (1-based)."""

    name: str  # canonical command name (after alias resolution)
    args: tuple[str, ...]  # split_args(rest)
    rest: str  # text after the command word on that line (HTML comments removed), stripped
    line: int

    def key(self) -> tuple[str, tuple[str, ...]]:
        """Identity used when diffing an edited comment against its previous text."""
        return (self.name, self.args)


@dataclass(frozen=True)
class UnknownCommand:
    """``/word`` that is not a known command but is close to one (a likely typo)."""

    word: str  # as typed, lower-cased
    suggestion: str  # the closest accepted word (a name or an alias)
    line: int


Command = Invocation | UnknownCommand


# --------------------------------------------------------------------------- args


def split_args(rest: str) -> tuple[str, ...]:
    """Split a command's argument text.

    If ``rest`` has a comma outside quotes, split on those commas (each item stripped,
    quotes removed): ``PEP 541, status: awaiting response`` -> two labels.  Otherwise
    split on whitespace, with quotes grouping: ``"a b" c`` -> ``("a b", "c")``.

    A quote opens only at the start of a token (so ``don't`` is one plain word) and is
    closed by a quote of the same family that is followed by whitespace, a comma or
    the end (so ``'it's'`` -> ``it's``).  An unterminated quote takes the rest of the
    line.  Empty items are dropped.  ``@user`` is returned unchanged.
    """
    if not isinstance(rest, str):
        return ()
    pieces = _scan_args(rest)
    groups: list[list[str]] = [[]]
    if any(kind == "," for kind, _ in pieces):
        for kind, text in pieces:
            if kind == ",":
                groups.append([])
            else:
                groups[-1].append(text)
        items = ("".join(group).strip() for group in groups)
    else:
        for kind, text in pieces:
            if kind == " ":
                groups.append([])
            else:
                groups[-1].append(text)
        items = ("".join(group) for group in groups)
    return tuple(item for item in items if item)


def _scan_args(rest: str) -> list[tuple[str, str]]:
    """Pieces of ``rest``: ``(",", ",")``, ``(" ", ws)``, ``("q", inner)``, ``("t", text)``."""
    pieces: list[tuple[str, str]] = []
    n = len(rest)
    i = 0
    token_start = True
    while i < n:
        ch = rest[i]
        if ch == ",":
            pieces.append((",", ch))
            token_start = True
            i += 1
        elif ch.isspace():
            pieces.append((" ", ch))
            token_start = True
            i += 1
        elif token_start and ch in _CLOSERS:
            closers = _CLOSERS[ch]
            j = i + 1
            while j < n:
                if rest[j] in closers and (
                    j + 1 == n or rest[j + 1] == "," or rest[j + 1].isspace()
                ):
                    break
                j += 1
            pieces.append(("q", rest[i + 1 : j]))  # j == n: unterminated, to the end
            token_start = False
            i = j + 1
        else:
            j = i + 1
            while j < n and rest[j] != "," and not rest[j].isspace():
                j += 1
            pieces.append(("t", rest[i:j]))
            token_start = False
            i = j
    return pieces


# ----------------------------------------------------------------------- markdown


def _live_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, live text) for the lines that could hold a command.

    Candidates are paragraph text and what follows ``-->`` on a line that closes a
    comment, as classified by :func:`bot.core.markdown.scan_lines`; only lines whose
    live text starts with ``/`` are looked at.
    """
    lines = scan_lines(text, "/")
    kinds = lines.kind
    for i in lines.indexed:
        # Invariant: a line that looks quoted never carries a command, whatever state.
        if kinds[i] == COMMENT and _QUOTED.match(lines.raw[i]):
            continue
        yield i + 1, lines.visible[i]


# ------------------------------------------------------------------------ parsing


def parse_commands(text: str | None, known: Mapping[str, str]) -> list[Command]:
    """All commands in ``text``, in order.

    ``known`` maps every accepted word (command names and aliases) to its canonical
    name.  A ``/word`` not in ``known`` yields an :class:`UnknownCommand` when difflib
    finds an accepted word close to it, and nothing otherwise (``/etc`` is prose).
    """
    if not isinstance(text, str) or not text:
        return []
    accepted = {str(word).lower(): name for word, name in known.items()}
    choices = sorted(accepted)
    suggestions: dict[str, str | None] = {}
    found: list[Command] = []
    for number, live in _live_lines(text):
        match = _COMMAND.match(live)
        if match is None:
            continue
        end = match.end()
        if end < len(live) and not live[end].isspace():
            continue  # /usr/bin/python, /close., /x:y
        word = match.group(1).lower()
        name = accepted.get(word)
        if name is not None:
            rest = live[end:].strip()
            found.append(Invocation(name, split_args(rest), rest, number))
            continue
        if word not in suggestions:
            suggestions[word] = _suggest(word, choices)
        suggestion = suggestions[word]
        if suggestion is not None:
            found.append(UnknownCommand(word, suggestion, number))
    return found


def _suggest(word: str, choices: list[str]) -> str | None:
    if len(word) > _MAX_WORD:
        return None
    close = difflib.get_close_matches(word, choices, n=1, cutoff=SUGGESTION_CUTOFF)
    return close[0] if close else None


def new_commands(
    old_text: str | None, new_text: str | None, known: Mapping[str, str]
) -> list[Command]:
    """Commands in ``new_text`` that ``old_text`` did not have (for edited comments).

    A multiset difference: invocations compare by :meth:`Invocation.key`, unknown
    commands by word.  Earlier occurrences are matched first, so duplicating an
    existing command line yields the later copy.
    """
    remaining = Counter(_diff_key(command) for command in parse_commands(old_text, known))
    added: list[Command] = []
    for command in parse_commands(new_text, known):
        key = _diff_key(command)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            added.append(command)
    return added


def _diff_key(command: Command) -> tuple[object, ...]:
    if isinstance(command, Invocation):
        return ("invocation", *command.key())
    return ("unknown", command.word)
