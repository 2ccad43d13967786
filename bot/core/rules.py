"""The rules file: what the bot recognises, says and does, per repository.

`load_rules(path)` returns `Rules` or raises `RulesError` whose lines read `FILE:LINE: message`.
Validation is strict: unknown keys, wrong types, bad regular expressions, unknown reply
placeholders and references to undeclared labels, replies or categories are all errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.patterns import Pattern, PatternSet
from bot.core.schema import (
    Bool,
    ListOf,
    MapOf,
    Num,
    Obj,
    Problem,
    Regex,
    Str,
    Template,
    load_document,
)

ROLES = ("read", "triage", "write", "maintain", "admin")

# Placeholders a reply may use; each is filled by the feature that posts it.
REPLY_FIELDS = frozenset(
    {
        "author",  # the issue author's login, as a live mention (@login)
        "author_name",  # the author's login, not a mention
        "category",  # the category's label
        "missing",  # a bullet list of what is missing
        "count",  # the queue-position count
        "days",  # days waited, for lifecycle replies
        "attempt",  # the PEP 541 contact attempt due
        "attempts",  # the PEP 541 number of attempts
        "commands",  # the /help list
    }
)


class RulesError(Exception):
    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{p.line}: {p.message}" for p in self.problems]


@dataclass(frozen=True)
class Recognition:
    """Scores that point at a category. The category with the highest total wins."""

    headings: dict[str, int] = field(default_factory=dict)  # normalised form heading -> score
    title: dict[Pattern, int] = field(default_factory=dict)
    text: dict[Pattern, int] = field(default_factory=dict)  # searched in the body
    labels: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TextMatch:
    """A condition on an issue: any of `patterns` (title or body), `headings` (form headings
    present), `checked` (ticked checkbox options) or `fields` (a form field's value) matches;
    then one of `also` too, if given; and no `unless` pattern or `unless_headings` heading."""

    patterns: tuple[Pattern, ...] = ()
    headings: tuple[str, ...] = ()
    checked: tuple[Pattern, ...] = ()
    fields: dict[str, Pattern] = field(default_factory=dict)  # heading -> pattern on its value
    also: tuple[Pattern, ...] = ()  # and one of these must match too (title or body)
    unless: tuple[Pattern, ...] = ()
    unless_headings: tuple[str, ...] = ()  # not when the body has one of these headings


@dataclass(frozen=True)
class SubLabel:
    label: str
    when: TextMatch


@dataclass(frozen=True)
class Assignment:
    users: tuple[str, ...] = ()  # everyone here is assigned
    pool: tuple[str, ...] = ()  # one of these: the one with the fewest open assigned issues


@dataclass(frozen=True)
class RequiredField:
    headings: tuple[str, ...]  # the field's heading and its older names
    describe: str  # what the requester reads in the list of missing things
    checkbox: bool = False  # the field must have a ticked box
    # Values a template left in the field (compared ignoring case, punctuation and spaces):
    # the field is missing while it holds only one of them.
    template: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """One layout of a category's request: a current issue form or an older one. The body
    shows the layout that has most of its `headings` (at least half of them); its `required`
    fields are the ones checked, so each era is asked only for what its form had."""

    name: str
    headings: tuple[str, ...]  # the headings that identify it (not the shared Code of Conduct)
    required: tuple[RequiredField, ...] = ()
    style: str | None = None  # form (### headings), markdown (##) or bold: breaks a tie


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    recognise: Recognition
    sub_labels: tuple[SubLabel, ...] = ()
    assign: Assignment | None = None
    required: tuple[RequiredField, ...] = ()
    title_placeholders: bool = True  # a title still holding PROJECT_NAME etc. counts as missing
    title_describe: str = "a title that names your project"  # what such a title should do
    forms: tuple[Form, ...] = ()  # the layouts, each with its own required fields
    complete_reply: str | None = None  # posted once when nothing is missing
    maintainer_response_days: float | None = None


@dataclass(frozen=True)
class Misfiling:
    name: str
    when: TextMatch
    categories: tuple[str, ...] = ()  # only for issues recognised as these (empty: any)
    category: str | None = None  # what the request really is, when it differs
    drop_category: bool = False  # it belongs to no category (e.g. a security report)
    labels: tuple[str, ...] = ()
    reply: str | None = None
    skip_verification: bool = False  # don't ask for the form's fields: they don't apply


@dataclass(frozen=True)
class QueuePosition:
    enabled: bool = False
    reply: str = "queue_position"


@dataclass(frozen=True)
class Triage:
    min_score: int = 3
    awaiting_label: str = "status: awaiting response"
    skip_maintainers: bool = True
    skip_bots: bool = True
    verification_reply: str = "verification"
    complete_note: str = "verification_complete"
    queue_position: QueuePosition = field(default_factory=QueuePosition)


@dataclass(frozen=True)
class Commands:
    minimum_role: str = "triage"
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()  # "org/team-slug"
    author_may: tuple[str, ...] = ("close", "reopen", "help")
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    disabled: tuple[str, ...] = ()


@dataclass(frozen=True)
class AwaitingResponse:
    nudge_after_days: float = 14
    close_after_days: float = 30
    days_after_nudge: float = 7
    nudge_reply: str = "nudge"
    close_reply: str = "close_no_response"


@dataclass(frozen=True)
class MaintainerResponse:
    label: str = "overdue"


@dataclass(frozen=True)
class Exemptions:
    labels: tuple[str, ...] = ()
    assigned: bool = False  # exempt assigned issues from the requester clock


@dataclass(frozen=True)
class ReachabilityClock:
    start_label: str | None = None
    interval_days: float = 14
    attempts: int = 3
    decision_after_days: float = 42
    ready_label: str | None = None
    reminder_reply: str = "pep541_reminder"
    ready_reply: str = "pep541_ready"


@dataclass(frozen=True)
class Lifecycle:
    sweep_interval_minutes: float = 60
    write_budget: int = 200
    awaiting_response: AwaitingResponse = field(default_factory=AwaitingResponse)
    maintainer_response: MaintainerResponse = field(default_factory=MaintainerResponse)
    exempt: Exemptions = field(default_factory=Exemptions)
    reachability: ReachabilityClock = field(default_factory=ReachabilityClock)


@dataclass(frozen=True)
class NameIntelligence:
    enabled: bool = False
    category: str = "pep-541"
    project_fields: tuple[str, ...] = ("Project to be claimed",)
    username_fields: tuple[str, ...] = ("Your PyPI username",)
    similar_label: str | None = None


@dataclass(frozen=True)
class RepoRules:
    labels: tuple[str, ...]
    categories: tuple[Category, ...] = ()
    misfilings: tuple[Misfiling, ...] = ()
    replies: dict[str, str] = field(default_factory=dict)
    triage: Triage = field(default_factory=Triage)
    commands: Commands = field(default_factory=Commands)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    name_intelligence: NameIntelligence = field(default_factory=NameIntelligence)
    # Every title and text pattern above, to find in one pass which occur in an issue.
    patterns: PatternSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        conditions = [m.when for m in self.misfilings]
        conditions += [s.when for c in self.categories for s in c.sub_labels]
        found = [p for c in self.categories for p in (*c.recognise.title, *c.recognise.text)]
        found += [p for when in conditions for p in (*when.patterns, *when.also, *when.unless)]
        object.__setattr__(self, "patterns", PatternSet(found))

    def category(self, name: str | None) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    def category_for_label(self, label: str) -> Category | None:
        return next((c for c in self.categories if c.label == label), None)


@dataclass(frozen=True)
class BotSettings:
    ignore_other_bots: bool = True
    login: str | None = None  # the bot's own login, when it cannot be asked from GitHub


@dataclass(frozen=True)
class Rules:
    repositories: dict[str, RepoRules]
    bot: BotSettings = field(default_factory=BotSettings)

    def for_repo(self, full_name: str | None) -> RepoRules | None:
        if not full_name:
            return None
        lowered = full_name.lower()
        return next((r for n, r in self.repositories.items() if n.lower() == lowered), None)


# --- the schema -------------------------------------------------------------------------

_names = ListOf(Str())
_text_match = Obj(
    TextMatch,
    {
        "patterns": ListOf(Regex()),
        "headings": _names,
        "checked": ListOf(Regex()),
        "fields": MapOf(Str(), Regex()),
        "also": ListOf(Regex()),
        "unless": ListOf(Regex()),
        "unless_headings": _names,
    },
    check=lambda m: (
        None
        if m.patterns or m.headings or m.checked or m.fields
        else "give at least one of patterns, headings, checked, fields"
    ),
)
_required = ListOf(
    Obj(
        RequiredField,
        {"headings": _names, "describe": Str(), "checkbox": Bool(), "template": _names},
    )
)

_SPEC = Obj(
    Rules,
    {
        "bot": Obj(BotSettings, {"ignore_other_bots": Bool(), "login": Str()}),
        "repositories": MapOf(
            Str(),
            Obj(
                RepoRules,
                {
                    "labels": _names,
                    "categories": ListOf(
                        Obj(
                            Category,
                            {
                                "name": Str(),
                                "label": Str(),
                                "recognise": Obj(
                                    Recognition,
                                    {
                                        "headings": MapOf(Str(), Num(integer=True, minimum=None)),
                                        "title": MapOf(Regex(), Num(integer=True, minimum=None)),
                                        "text": MapOf(Regex(), Num(integer=True, minimum=None)),
                                        "labels": MapOf(Str(), Num(integer=True, minimum=None)),
                                    },
                                ),
                                "sub_labels": ListOf(
                                    Obj(SubLabel, {"label": Str(), "when": _text_match})
                                ),
                                "assign": Obj(Assignment, {"users": _names, "pool": _names}),
                                "required": _required,
                                "title_placeholders": Bool(),
                                "title_describe": Str(),
                                "forms": ListOf(
                                    Obj(
                                        Form,
                                        {
                                            "name": Str(),
                                            "headings": _names,
                                            "required": _required,
                                            "style": Str(("form", "markdown", "bold")),
                                        },
                                    ),
                                    scalar_ok=False,
                                ),
                                "complete_reply": Str(),
                                "maintainer_response_days": Num(),
                            },
                        ),
                        scalar_ok=False,
                    ),
                    "misfilings": ListOf(
                        Obj(
                            Misfiling,
                            {
                                "name": Str(),
                                "when": _text_match,
                                "categories": _names,
                                "category": Str(),
                                "drop_category": Bool(),
                                "labels": _names,
                                "reply": Str(),
                                "skip_verification": Bool(),
                            },
                        ),
                        scalar_ok=False,
                    ),
                    "replies": MapOf(Str(), Template(REPLY_FIELDS)),
                    "triage": Obj(
                        Triage,
                        {
                            "min_score": Num(integer=True, minimum=1),
                            "awaiting_label": Str(),
                            "skip_maintainers": Bool(),
                            "skip_bots": Bool(),
                            "verification_reply": Str(),
                            "complete_note": Str(),
                            "queue_position": Obj(
                                QueuePosition, {"enabled": Bool(), "reply": Str()}
                            ),
                        },
                    ),
                    "commands": Obj(
                        Commands,
                        {
                            "minimum_role": Str(ROLES),
                            "users": _names,
                            "teams": _names,
                            "author_may": _names,
                            "aliases": MapOf(Str(), _names),
                            "disabled": _names,
                        },
                    ),
                    "lifecycle": Obj(
                        Lifecycle,
                        {
                            "sweep_interval_minutes": Num(minimum=1),
                            "write_budget": Num(integer=True, minimum=1),
                            "awaiting_response": Obj(
                                AwaitingResponse,
                                {
                                    "nudge_after_days": Num(),
                                    "close_after_days": Num(),
                                    "days_after_nudge": Num(),
                                    "nudge_reply": Str(),
                                    "close_reply": Str(),
                                },
                            ),
                            "maintainer_response": Obj(MaintainerResponse, {"label": Str()}),
                            "exempt": Obj(Exemptions, {"labels": _names, "assigned": Bool()}),
                            "reachability": Obj(
                                ReachabilityClock,
                                {
                                    "start_label": Str(),
                                    "interval_days": Num(minimum=1),
                                    "attempts": Num(integer=True, minimum=1),
                                    "decision_after_days": Num(minimum=1),
                                    "ready_label": Str(),
                                    "reminder_reply": Str(),
                                    "ready_reply": Str(),
                                },
                            ),
                        },
                    ),
                    "name_intelligence": Obj(
                        NameIntelligence,
                        {
                            "enabled": Bool(),
                            "category": Str(),
                            "project_fields": _names,
                            "username_fields": _names,
                            "similar_label": Str(),
                        },
                    ),
                },
            ),
        ),
    },
)

# Slash commands the bot implements; aliases and permissions in the rules refer to these.
COMMAND_NAMES = (
    "label",
    "unlabel",
    "assign",
    "unassign",
    "close",
    "reopen",
    "awaiting",
    "snooze",
    "unsnooze",
    "pep541",
    "help",
)


def _cross_references(name: str, repo: RepoRules) -> Iterator[tuple[str, str]]:
    """References between sections: labels, replies and categories must be declared.
    Yields (the text referred to, message), so the error can point at the reference's line."""
    labels = set(repo.labels)
    categories = {c.name for c in repo.categories}

    def label(ref: str | None, where: str) -> Iterator[str]:
        if ref is not None and ref not in labels:
            yield ref, f"{where} uses label {ref!r}, which is not in the repository's labels"

    def reply(ref: str | None, where: str) -> Iterator[str]:
        if ref is not None and ref not in repo.replies:
            yield ref, f"{where} uses reply {ref!r}, which is not defined under replies"

    def category(ref: str | None, where: str) -> Iterator[str]:
        if ref is not None and ref not in categories:
            yield ref, f"{where} names category {ref!r}, which is not defined"

    seen: set[str] = set()
    for c in repo.categories:
        if c.name in seen:
            yield c.name, f"category {c.name!r} is defined twice"
        seen.add(c.name)
        yield from label(c.label, f"category {c.name!r}")
        for sub in c.sub_labels:
            yield from label(sub.label, f"category {c.name!r} sub_labels")
        for lab in c.recognise.labels:
            yield from label(lab, f"category {c.name!r} recognise.labels")
        yield from reply(c.complete_reply, f"category {c.name!r} complete_reply")
    for m in repo.misfilings:
        for cat in m.categories:
            yield from category(cat, f"misfiling {m.name!r}")
        yield from category(m.category, f"misfiling {m.name!r}")
        for lab in m.labels:
            yield from label(lab, f"misfiling {m.name!r}")
        yield from reply(m.reply, f"misfiling {m.name!r}")
    t = repo.triage
    yield from label(t.awaiting_label, "triage.awaiting_label")
    yield from reply(t.verification_reply, "triage.verification_reply")
    yield from reply(t.complete_note, "triage.complete_note")
    if t.queue_position.enabled:
        yield from reply(t.queue_position.reply, "triage.queue_position")
    cmds = repo.commands
    for cmd in (*cmds.author_may, *cmds.disabled, *cmds.aliases):
        if cmd not in COMMAND_NAMES:
            yield cmd, f"commands: unknown command {cmd!r}; known: " + ", ".join(COMMAND_NAMES)
    aliases = [a for names in cmds.aliases.values() for a in names]
    for alias in {a for a in aliases if aliases.count(a) > 1 or a in COMMAND_NAMES}:
        yield alias, f"commands: alias {alias!r} is used twice or is a command's own name"
    for team in cmds.teams:
        if team.count("/") != 1:
            yield team, f"commands.teams: {team!r} must be written ORG/TEAM-SLUG"
    life = repo.lifecycle
    yield from label(life.maintainer_response.label, "lifecycle.maintainer_response.label")
    for lab in life.exempt.labels:
        yield from label(lab, "lifecycle.exempt.labels")
    yield from reply(life.awaiting_response.nudge_reply, "lifecycle.awaiting_response")
    yield from reply(life.awaiting_response.close_reply, "lifecycle.awaiting_response")
    wait = life.awaiting_response
    if wait.close_after_days < wait.nudge_after_days:
        yield (
            "close_after_days",
            "lifecycle.awaiting_response: close_after_days is before nudge_after_days",
        )
    clock = life.reachability
    yield from label(clock.start_label, "lifecycle.reachability.start_label")
    yield from label(clock.ready_label, "lifecycle.reachability.ready_label")
    yield from reply(clock.reminder_reply, "lifecycle.reachability")
    yield from reply(clock.ready_reply, "lifecycle.reachability")
    intel = repo.name_intelligence
    if intel.enabled:
        yield from category(intel.category, "name_intelligence")
        yield from label(intel.similar_label, "name_intelligence.similar_label")


def _line_of(text: str, repo_name: str, needle: str | None = None) -> int:
    """The line of a repository's rules or, after it, the first line holding `needle`."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip().strip("'\"").startswith(repo_name)), 0
    )
    if needle is not None:
        for i in range(start, len(lines)):
            if needle in lines[i]:
                return i + 1
    return start + 1


def parse_rules(text: str, path: str = "rules.yaml") -> Rules:
    value, problems = load_document(text, _SPEC)
    if value is not None:
        if not value.repositories:
            problems.append(Problem(1, "no repositories are configured"))
        for name, repo in value.repositories.items():
            if name.count("/") != 1:
                problems.append(Problem(_line_of(text, name), f"{name!r} is not OWNER/NAME"))
            for needle, message in _cross_references(name, repo):
                problems.append(Problem(_line_of(text, name, needle), f"{name}: {message}"))
    if problems or value is None:
        raise RulesError(path, problems)
    return value


def load_rules(path: str | Path) -> Rules:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(
            str(path), [Problem(1, f"cannot read the rules file: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise RulesError(str(path), [Problem(1, "the rules file is not UTF-8 text")]) from None
    return parse_rules(text, str(path))
