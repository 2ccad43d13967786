"""Recognition: what kind of request an issue is. Each category sums the scores of its
signals (form headings, title and text patterns, labels); the best total wins if it reaches
`triage.min_score`. Misfilings then redirect or drop the category. Pure; every feature that
needs an issue's category (triage, the clocks, the name report) asks here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.forms import ParsedBody, normalize_heading, parse_body
from bot.core.model import Issue
from bot.core.patterns import Pattern
from bot.core.rules import Category, Misfiling, RepoRules, TextMatch


@dataclass(frozen=True)
class Verdict:
    category: Category | None
    scores: Mapping[str, int]
    misfilings: tuple[Misfiling, ...] = ()
    # The labels of the category's sub-labels whose conditions the issue meets.
    sub_labels: tuple[str, ...] = ()

    @property
    def skip_verification(self) -> bool:
        return any(m.skip_verification for m in self.misfilings)


def _checked(parsed: ParsedBody) -> list[str]:
    return [option for f in parsed.fields.values() for option in f.checked]


@dataclass(frozen=True)
class Found:
    """Which of the rules' patterns occur in an issue's title and in its text."""

    title: frozenset[str]
    text: frozenset[str]

    @classmethod
    def of(cls, issue: Issue, rules: RepoRules, parsed: ParsedBody) -> Found:
        return cls(rules.patterns.matching(issue.title), rules.patterns.matching(parsed.text()))

    def anywhere(self, patterns: Iterable[Pattern]) -> bool:
        return any(p.source in self.title or p.source in self.text for p in patterns)


def _has_heading(parsed: ParsedBody, headings: Iterable[str]) -> bool:
    return any(normalize_heading(h) in parsed.fields for h in headings)


def _field_matches(parsed: ParsedBody, heading: str, pattern: Pattern) -> bool:
    """A form field's value matches: a dropdown renders its choices as plain text
    (`PyPI, TestPyPI`), so a choice is found in the value, not among checkboxes."""
    found = parsed.field(heading)
    return found is not None and found.value is not None and pattern.search(found.value)


def matches(when: TextMatch, parsed: ParsedBody, found: Found) -> bool:
    hit = found.anywhere(when.patterns)
    hit = hit or _has_heading(parsed, when.headings)
    hit = hit or any(p.search(option) for p in when.checked for option in _checked(parsed))
    hit = hit or any(_field_matches(parsed, h, p) for h, p in when.fields.items())
    if hit and when.also:
        hit = found.anywhere(when.also)
    return (
        hit and not found.anywhere(when.unless) and not _has_heading(parsed, when.unless_headings)
    )


def score(category: Category, parsed: ParsedBody, found: Found, labels: Iterable[str]) -> int:
    signals = category.recognise
    total = sum(s for h, s in signals.headings.items() if normalize_heading(h) in parsed.fields)
    total += sum(s for p, s in signals.title.items() if p.source in found.title)
    total += sum(s for p, s in signals.text.items() if p.source in found.text)
    total += sum(s for label, s in signals.labels.items() if label in labels)
    return total


def recognise(issue: Issue, rules: RepoRules, parsed: ParsedBody | None = None) -> Verdict:
    parsed = parsed or parse_body(issue.body)
    found = Found.of(issue, rules, parsed)
    scores = {c.name: score(c, parsed, found, issue.labels) for c in rules.categories}
    best = max(rules.categories, key=lambda c: scores[c.name], default=None)  # first wins ties
    category = best if best is not None and scores[best.name] >= rules.triage.min_score else None
    misfiled = tuple(
        m
        for m in rules.misfilings
        if (not m.categories or (category is not None and category.name in m.categories))
        and matches(m.when, parsed, found)
    )
    redirect = next((m.category for m in misfiled if m.category), None)
    if redirect is not None:
        category = rules.category(redirect)
    if any(m.drop_category for m in misfiled):
        category = None
    sub_labels = tuple(
        s.label for s in (category.sub_labels if category else ()) if matches(s.when, parsed, found)
    )
    return Verdict(category, scores, misfiled, sub_labels)


def labelled_category(issue: Issue, rules: RepoRules) -> Category | None:
    """The first of the rules' categories whose label the issue carries: staff's (or the
    form's) word on what it is."""
    return next((c for c in rules.categories if issue.has_label(c.label)), None)


def skip_reason(issue: Issue, rules: RepoRules) -> str | None:
    if issue.is_pull_request:
        return "pull request"
    if issue.state != "open":
        return "closed"
    if issue.by_bot and rules.triage.skip_bots:
        return "opened by a bot"
    if issue.by_maintainer and rules.triage.skip_maintainers:
        return "opened by a maintainer"
    return None
