"""Rule patterns, compiled with RE2: matching time is linear in the text, so no pattern in the
rules file can stall the service on a hostile 64 KiB issue body (no catastrophic backtracking).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import re2

# Patterns are matched against at most this much text; a support request never needs more.
MAX_TEXT = 256 * 1024

_OPTIONS = re2.Options()
_OPTIONS.max_mem = 8 << 20
_OPTIONS.log_errors = False


class PatternError(ValueError):
    pass


@dataclass(frozen=True)
class Pattern:
    source: str
    _compiled: object

    def search(self, text: str | None) -> bool:
        if not text:
            return False
        return self._compiled.search(text[:MAX_TEXT]) is not None  # type: ignore[attr-defined]

    def find(self, text: str | None) -> str | None:
        """The first match's text (group 1 if the pattern has a group)."""
        if not text:
            return None
        match = self._compiled.search(text[:MAX_TEXT])  # type: ignore[attr-defined]
        if match is None:
            return None
        return match.group(1) if match.re.groups else match.group(0)


def compile_pattern(source: str) -> Pattern:
    """Compile a rules pattern. `(?i)` and the other RE2 flags work; backreferences and
    look-arounds do not (RE2 refuses them, which is the point)."""
    try:
        return Pattern(source, re2.compile(source, options=_OPTIONS))
    except Exception as exc:  # re2.error, and plain errors for some inputs
        raise PatternError(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else ""
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason) or "invalid regular expression"


class PatternSet:
    """Which of many patterns occur in a text, found in one pass (an RE2 set) instead of one
    search per pattern: recognising an issue tries some 120 patterns on its title and body,
    and the per-call overhead of separate searches was most of the bot's CPU per delivery."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._patterns = {p.source: p for p in patterns}
        self._sources = list(self._patterns)
        compiled = re2.Set.SearchSet(_OPTIONS)
        for source in self._sources:
            compiled.Add(source)
        try:
            compiled.Compile()
            self._set = compiled
        except Exception:  # too large for RE2's memory budget: one search per pattern
            self._set = None

    def matching(self, text: str | None) -> frozenset[str]:
        """The sources of the patterns that occur in `text`."""
        if not text:
            return frozenset()
        if self._set is None:
            return frozenset(s for s, p in self._patterns.items() if p.search(text))
        # Match gives None, not an empty list, when nothing matches.
        return frozenset(self._sources[i] for i in self._set.Match(text[:MAX_TEXT]) or ())
