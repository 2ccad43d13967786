"""The rules file: what the bot recognises, says and does, per repository.

`load_rules(path)` returns `Rules` or raises `RulesError` whose lines read `FILE:LINE: message`.
Validation is strict: unknown keys, wrong types, bad regular expressions, unknown reply
placeholders and references to undeclared labels, replies or categories are all errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated

from bot.core.patterns import Pattern, PatternSet
from bot.core.schema import Min, OneOf, Placeholders, Problem, load_document, spec_for

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


# The dataclasses below are the rules file's schema: each field is a key, with its type and
# default (`spec_for` in bot/core/schema.py reads them). A number must be at least 0 unless its
# annotation says otherwise.
Score = Annotated[int, Min(None)]  # a recognition score; a negative one counts against
Role = Annotated[str, OneOf(ROLES)]
FORM_STYLES = ("form", "markdown", "bold")
ReplyText = Annotated[str, Placeholders(REPLY_FIELDS)]


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

    headings: dict[str, Score] = field(default_factory=dict)  # normalised form heading -> score
    title: dict[Pattern, Score] = field(default_factory=dict)
    text: dict[Pattern, Score] = field(default_factory=dict)  # searched in the body
    labels: dict[str, Score] = field(default_factory=dict)


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

    def validate(self) -> str | None:
        if self.patterns or self.headings or self.checked or self.fields:
            return None
        return "give at least one of patterns, headings, checked, fields"


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
    # form (### headings), markdown (##) or bold: breaks a tie
    style: Annotated[str, OneOf(FORM_STYLES)] | None = None


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
    min_score: Annotated[int, Min(1)] = 3
    awaiting_label: str = "status: awaiting response"
    skip_maintainers: bool = True
    skip_bots: bool = True
    verification_reply: str = "verification"
    complete_note: str = "verification_complete"
    queue_position: QueuePosition = field(default_factory=QueuePosition)


@dataclass(frozen=True)
class Commands:
    minimum_role: Role = "triage"
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
    # Only issues that crossed their target this recently are flagged: older waits are the
    # queue report's longest waits, not thousands of labels on a backlog.
    flag_within_days: float = 7


@dataclass(frozen=True)
class Exemptions:
    labels: tuple[str, ...] = ()
    assigned: bool = False  # exempt assigned issues from the requester clock


@dataclass(frozen=True)
class ReachabilityClock:
    enabled: bool = True
    start_label: str | None = None
    interval_days: Annotated[float, Min(1)] = 14
    attempts: Annotated[int, Min(1)] = 3
    decision_after_days: Annotated[float, Min(1)] = 42
    ready_label: str | None = None
    reminder_reply: str = "pep541_reminder"
    ready_reply: str = "pep541_ready"


@dataclass(frozen=True)
class Lifecycle:
    sweep_interval_minutes: Annotated[float, Min(1)] = 60
    write_budget: Annotated[int, Min(1)] = 200
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


# The recovery note looks up at most this many projects of an account (rules:
# recovery_evidence.max_projects), each one a PyPI request and perhaps two GitHub requests.
MAX_RECOVERY_PROJECTS = 30


@dataclass(frozen=True)
class RecoveryEvidence:
    """Account recovery: the maintainers' note of what public sources say about the account,
    and the account facts triage tells the requester (an unknown username, the e-mail-only
    path)."""

    enabled: bool = False
    category: str = "account-recovery"
    username_fields: tuple[str, ...] = ("PyPI Username",)
    # Requests carrying this label (or that their category's sub-labels give it) are about
    # TestPyPI: the account is looked up there.
    test_pypi_label: str | None = None
    max_projects: Annotated[int, Min(1)] = 10
    # The item triage lists as missing when the index has no such account: {username}, and
    # {index} (PyPI or TestPyPI).
    unknown_username: Annotated[str, Placeholders(frozenset({"username", "index"}))] = (
        "a {index} username that exists: {index} has no account named {username}; please "
        "check its spelling"
    )
    # Said after the next steps when no project of the account links a source repository.
    email_only_reply: str | None = None

    def validate(self) -> str | None:
        if self.max_projects > MAX_RECOVERY_PROJECTS:
            return f"max_projects: at most {MAX_RECOVERY_PROJECTS}, got {self.max_projects}"
        return None


@dataclass(frozen=True)
class Report:
    """The queue report (README, "Queue report"): the dashboard issue the sweep keeps
    current, and the page `GET /report` serves."""

    dashboard: bool = False  # keep one dashboard issue current
    page: bool = False  # serve the report page
    title: str = "Support queue dashboard"  # the dashboard issue's and the page's title
    refresh_hours: Annotated[float, Min(1)] = 24  # how often both are recomputed
    window_days: Annotated[float, Min(1)] = 90  # the figures cover this many days up to now
    longest_waiting: Annotated[int, Min(1)] = 5  # issues listed per category in the dashboard

    def validate(self) -> str | None:
        if not self.title.strip() or "\n" in self.title or len(self.title) > 256:
            return "report.title: expected one line of 1 to 256 characters (a GitHub issue title)"
        if self.longest_waiting > 20:
            return "report.longest_waiting: at most 20 (the report keeps the 20 longest waits)"
        if self.window_days > 3660:
            return "report.window_days: at most 3660 (ten years)"
        return None


@dataclass(frozen=True)
class RepoRules:
    labels: tuple[str, ...]
    categories: tuple[Category, ...] = ()
    misfilings: tuple[Misfiling, ...] = ()
    replies: dict[str, ReplyText] = field(default_factory=dict)
    triage: Triage = field(default_factory=Triage)
    commands: Commands = field(default_factory=Commands)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    name_intelligence: NameIntelligence = field(default_factory=NameIntelligence)
    report: Report = field(default_factory=Report)
    recovery_evidence: RecoveryEvidence = field(default_factory=RecoveryEvidence)
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

    @property
    def reachability_clock_on(self) -> bool:
        """Whether the PEP 541 reachability clock can start here: by `/pep541 contacted`,
        unless that command is disabled, or by `lifecycle.reachability.start_label`."""
        return (
            "pep541" not in self.commands.disabled
            or self.lifecycle.reachability.start_label is not None
        )


@dataclass(frozen=True)
class BotSettings:
    ignore_other_bots: bool = True
    login: str | None = None  # the bot's own login, when it cannot be asked from GitHub


@dataclass(frozen=True)
class Rules:
    repositories: dict[str, RepoRules]
    bot: BotSettings = field(default_factory=BotSettings)

    def for_repo(self, full_name: str | None) -> RepoRules | None:
        """A repository's rules, by its name in any case (GitHub's names are not case-sensitive)."""
        return self._by_lowered_name.get(full_name.lower()) if full_name else None

    @cached_property
    def _by_lowered_name(self) -> dict[str, RepoRules]:
        # Asked on every delivery's receipt; the rules do not change while they are in use.
        # Two names differing only in case: the first one's rules, as the file lists them.
        return {name.lower(): repo for name, repo in reversed(self.repositories.items())}


# The schema of the rules file, derived from the dataclasses above.
_SPEC = spec_for(Rules)

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
    Yields (the text referred to, message), so the error can point at the reference's line.
    A key left at a default that names an undeclared label or reply says so, and how to
    declare it: that is the usual mistake in a first rules file."""
    labels = set(repo.labels)
    categories = {c.name for c in repo.categories}

    def label(ref: str | None, where: str, default: str | None = None) -> Iterator[str]:
        if ref is None or ref in labels:
            return
        if ref == default:
            yield (
                ref,
                (
                    f"{where} is {ref!r} (its default), a label that is not declared: add {ref!r} "
                    f"to the repository's labels, or set {where} to a label you declare"
                ),
            )
        else:
            yield ref, f"{where} uses label {ref!r}, which is not in the repository's labels"

    def reply(
        ref: str | None, where: str, default: str | None = None, off: str = ""
    ) -> Iterator[str]:
        if ref is None or ref in repo.replies:
            return
        if ref == default:
            yield (
                ref,
                (
                    f"{where} is {ref!r} (its default), a reply that is not defined: add a reply "
                    f"{ref!r} under replies, or set {where} to a reply you define{off}"
                ),
            )
        else:
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
    t, t0 = repo.triage, Triage()
    yield from label(t.awaiting_label, "triage.awaiting_label", t0.awaiting_label)
    yield from reply(t.verification_reply, "triage.verification_reply", t0.verification_reply)
    yield from reply(t.complete_note, "triage.complete_note", t0.complete_note)
    if t.queue_position.enabled:
        yield from reply(
            t.queue_position.reply, "triage.queue_position.reply", t0.queue_position.reply
        )
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
    life, life0 = repo.lifecycle, Lifecycle()
    yield from label(
        life.maintainer_response.label,
        "lifecycle.maintainer_response.label",
        life0.maintainer_response.label,
    )
    for lab in life.exempt.labels:
        yield from label(lab, "lifecycle.exempt.labels")
    wait, wait0 = life.awaiting_response, life0.awaiting_response
    yield from reply(wait.nudge_reply, "lifecycle.awaiting_response.nudge_reply", wait0.nudge_reply)
    yield from reply(wait.close_reply, "lifecycle.awaiting_response.close_reply", wait0.close_reply)
    if wait.close_after_days < wait.nudge_after_days:
        yield (
            "close_after_days",
            "lifecycle.awaiting_response: close_after_days is before nudge_after_days",
        )
    clock, clock0 = life.reachability, life0.reachability
    yield from label(clock.start_label, "lifecycle.reachability.start_label")
    yield from label(clock.ready_label, "lifecycle.reachability.ready_label")
    if repo.reachability_clock_on:
        off = ", or turn the PEP 541 clock off with commands.disabled: [pep541]"
        yield from reply(
            clock.reminder_reply,
            "lifecycle.reachability.reminder_reply",
            clock0.reminder_reply,
            off,
        )
        yield from reply(
            clock.ready_reply, "lifecycle.reachability.ready_reply", clock0.ready_reply, off
        )
    intel = repo.name_intelligence
    if intel.enabled:
        yield from category(intel.category, "name_intelligence")
        yield from label(intel.similar_label, "name_intelligence.similar_label")
    recovery = repo.recovery_evidence
    if recovery.enabled:
        yield from category(recovery.category, "recovery_evidence")
        yield from label(recovery.test_pypi_label, "recovery_evidence.test_pypi_label")
        yield from reply(recovery.email_only_reply, "recovery_evidence.email_only_reply")


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
