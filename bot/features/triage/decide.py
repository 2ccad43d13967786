"""Triage, decided: recognise the request, label it, assign it, and check its form.

Pure: `(issue, history, rules, now) -> Plan`. The bot says everything it has to say about a
new issue in one comment (misfiling guidance, what is missing, next steps, queue position),
marked so that later checks edit it instead of posting again. The marker carries the state
the comment was rendered from, so re-rendering is deterministic and cheap to compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core import markers
from bot.core.actions import Action, AddAssignees, AddLabels, EditComment, PostComment, RemoveLabel
from bot.core.forms import ParsedBody, normalize_heading, parse_body, placeholders_in
from bot.core.model import History, Issue
from bot.core.patterns import Pattern
from bot.core.rules import Category, Misfiling, RepoRules, TextMatch
from bot.core.text import Markdown, defuse_mentions, escape, render
from bot.features.commands.decide import command_label_acts

MARKER = "triage"
# Triggers: what happened that makes the bot look at the issue.
OPENED, EDITED, AUTHOR_COMMENT = "opened", "edited", "author_comment"


@dataclass(frozen=True)
class Verdict:
    category: Category | None
    scores: Mapping[str, int]
    misfilings: tuple[Misfiling, ...] = ()
    found: Found | None = None  # the patterns found on the way, for the sub-labels

    @property
    def skip_verification(self) -> bool:
        return any(m.skip_verification for m in self.misfilings)


@dataclass(frozen=True)
class Plan:
    verdict: Verdict
    missing: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    skipped: str | None = None  # why the issue was left alone


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


def matches(when: TextMatch, parsed: ParsedBody, found: Found) -> bool:
    hit = found.anywhere(when.patterns)
    hit = hit or any(normalize_heading(h) in parsed.fields for h in when.headings)
    hit = hit or any(p.search(option) for p in when.checked for option in _checked(parsed))
    return hit and not found.anywhere(when.unless)


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
    return Verdict(category, scores, misfiled, found)


def missing_items(category: Category, issue: Issue, parsed: ParsedBody) -> tuple[str, ...]:
    """What the requester still has to give, in plain words. Only forms are checked: a
    free-text request has no fields to point at, and a maintainer reads it as it is."""
    form_headings = {normalize_heading(h) for h in category.recognise.headings}
    if not form_headings & set(parsed.fields):
        return ()
    items = []
    for required in category.required:
        found = parsed.field(*required.headings)
        if found is None or found.missing or (required.checkbox and not found.checked):
            items.append(required.describe)
    if category.title_placeholders and placeholders_in(issue.title):
        items.append(
            "a title that names your project (it still says "
            + " and ".join(escape(p, code=True) for p in placeholders_in(issue.title))
            + ")"
        )
    return tuple(items)


def pick_from_pool(pool: Sequence[str], load: Mapping[str, int]) -> str | None:
    """The pool member with the fewest open assigned issues; ties go to the first listed."""
    if not pool:
        return None
    return min(pool, key=lambda user: (load.get(user, 0), pool.index(user)))


_THANKS_FOR_REPLY = (
    "Thanks for your reply. A maintainer will read it; if you can, please also add the "
    "details above to the issue description."
)


@dataclass(frozen=True)
class CommentState:
    category: str | None = None
    missing: tuple[str, ...] = ()
    was_missing: bool = False  # something was missing at some point: say when it is complete
    misfilings: tuple[str, ...] = ()
    queue: int | None = None
    replied: bool = False  # the author answered in a comment while things were missing
    next_steps: bool = False

    def to_json(self) -> dict:
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in self.__dict__.items()
            if v not in (None, (), False)
        }

    @classmethod
    def from_json(cls, data: Mapping) -> CommentState:
        def names(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        queue = data.get("queue")
        return cls(
            category=data.get("category") if isinstance(data.get("category"), str) else None,
            missing=names("missing"),
            was_missing=bool(data.get("was_missing")),
            misfilings=names("misfilings"),
            queue=queue if isinstance(queue, int) else None,
            replied=bool(data.get("replied")),
            next_steps=bool(data.get("next_steps")),
        )


def render_comment(state: CommentState, issue: Issue, rules: RepoRules) -> str | None:
    """The bot's one triage comment, from its state. None when there is nothing to say."""
    category = rules.category(state.category)
    fields = {
        "author": f"@{issue.author}",
        "author_name": issue.author,
        "category": category.label if category else "",
        "count": state.queue if state.queue is not None else 0,
    }
    sections = []
    for name in state.misfilings:
        misfiling = next((m for m in rules.misfilings if m.name == name), None)
        if misfiling is not None and misfiling.reply:
            sections.append(render(rules.replies[misfiling.reply], fields))
    if state.missing:
        # The rules' own descriptions (and placeholder tokens), already markdown.
        missing = Markdown("\n".join(f"- {defuse_mentions(item)}" for item in state.missing))
        sections.append(
            render(rules.replies[rules.triage.verification_reply], {**fields, "missing": missing})
        )
        if state.replied:
            sections.append(_THANKS_FOR_REPLY)
    elif state.was_missing:
        sections.append(render(rules.replies[rules.triage.complete_note], fields))
    if not state.missing and state.next_steps and category is not None and category.complete_reply:
        sections.append(render(rules.replies[category.complete_reply], fields))
    if state.queue is not None and rules.triage.queue_position.enabled:
        sections.append(render(rules.replies[rules.triage.queue_position.reply], fields))
    if not sections:
        return None
    return (
        "\n\n".join(s.strip() for s in sections) + "\n\n" + markers.marker(MARKER, state.to_json())
    )


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


def decide(
    issue: Issue,
    history: History,
    rules: RepoRules,
    *,
    now: datetime,
    trigger: str = OPENED,
    pool_load: Mapping[str, int] | None = None,
    queue_count: int | None = None,
    verdict: Verdict | None = None,
) -> Plan:
    """Everything triage does for an issue, given what just happened (`trigger`).
    `verdict` is `recognise(issue, rules)` when the caller has it already."""
    del now  # triage has no clock of its own; kept for the uniform core signature
    parsed = parse_body(issue.body)
    verdict = verdict or recognise(issue, rules, parsed)
    skipped = skip_reason(issue, rules)
    if skipped:
        return Plan(verdict, skipped=skipped)
    category = verdict.category
    actions: list[Action] = []

    # Labels: the category's (unless the issue already has a category label, which a human
    # or the form chose), its sub-labels, the misfilings'. Never one a human took off.
    present = set(issue.labels)
    wanted: list[str] = []
    redirected = any(m.category for m in verdict.misfilings)
    has_category = any(c.label in present for c in rules.categories)
    if category is not None:
        if not has_category or redirected:
            wanted.append(category.label)
        found = verdict.found or Found.of(issue, rules, parsed)
        wanted += [s.label for s in category.sub_labels if matches(s.when, parsed, found)]
    for misfiling in verdict.misfilings:
        wanted += misfiling.labels
    missing = (
        ()
        if category is None or verdict.skip_verification
        else missing_items(category, issue, parsed)
    )
    comment = markers.find(history, MARKER)
    if missing and comment is None and trigger != AUTHOR_COMMENT:
        wanted.append(rules.triage.awaiting_label)
    # A label removed by a person, directly or through a command, stays off.
    by_command = command_label_acts(history, rules, issue)
    to_add = tuple(
        label
        for label in dict.fromkeys(wanted)
        if label not in present
        and not history.removed_by_human(label)
        and by_command.get(label.lower()) != "unlabeled"
    )
    if to_add:
        actions.append(
            AddLabels("recognised as " + (category.name if category else "misfiled"), to_add)
        )

    # Assignment, only when the issue is first sorted, and never over a human's choice.
    if (
        category is not None
        and category.assign is not None
        and not issue.assignees
        and trigger == OPENED
    ):
        users = list(category.assign.users)
        chosen = pick_from_pool(category.assign.pool, pool_load or {})
        if chosen is not None:
            users.append(chosen)
        if users:
            actions.append(
                AddAssignees(f"assignment for {category.name}", tuple(dict.fromkeys(users)))
            )

    # The one comment.
    old = CommentState.from_json(markers.read(comment.body, MARKER) or {}) if comment else None
    state = CommentState(
        category=category.name if category else None,
        missing=missing,
        was_missing=bool(missing) or (old is not None and (old.was_missing or bool(old.missing))),
        misfilings=tuple(
            dict.fromkeys([*(old.misfilings if old else ()), *(m.name for m in verdict.misfilings)])
        ),
        queue=old.queue if old is not None else queue_count,
        replied=bool(missing) and (trigger == AUTHOR_COMMENT or (old is not None and old.replied)),
        # Next steps are given when a request arrives complete, or when it becomes complete.
        next_steps=not missing
        and (
            trigger == OPENED
            or (old is not None and bool(old.missing))
            or (old is not None and old.next_steps)
        ),
    )
    body = render_comment(state, issue, rules)
    if comment is None:
        if body is not None and (trigger != AUTHOR_COMMENT):
            actions.append(PostComment("triage comment", body, MARKER))
    elif body is not None and body.strip() != comment.body.strip():
        actions.append(EditComment("triage comment updated", comment.id, body))

    # The waiting state ends when the author answers, or an edit leaves nothing missing.
    awaiting = rules.triage.awaiting_label
    answered = trigger == AUTHOR_COMMENT or (trigger == EDITED and not missing)
    if answered and awaiting in present and history.added_by_us(awaiting):
        why = "nothing is missing any more" if not missing else "the requester answered"
        actions.append(RemoveLabel(why, awaiting))
    return Plan(verdict, missing, tuple(actions))
