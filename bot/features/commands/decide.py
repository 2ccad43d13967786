"""Maintainer slash commands: the pure core.

`plan(...)` turns the commands found in one comment (or a maintainer's new issue) into the
actions that carry them out; `feedback(...)` turns the outcome into the reaction and the one
reply. No I/O and no clock: the feature's wiring (bot/features/commands/__init__.py) looks up
the caller's role and team membership and the repository's labels, and passes the snapshot
and `now`.

Every command registers its name, syntax and summary with `@command`, and `/help` is generated
from that registry (who may use a command comes from the rules).

State the bot keeps lives in hidden markers of its own comments (bot/core/markers.py):

- ``snooze`` ``{"until": ISO}`` (``null`` once lifted), read by the lifecycle clocks;
- ``pep541-clock`` ``{"attempts": [ISO, ...], "stopped": ISO}``, read by the reachability
  clock (bot/features/lifecycle);
- ``command-reply`` ``{"source": "comment:ID" | "issue"}``: the one reply per commented
  comment, found again and edited in place, so a redelivered event never doubles it.

Times recorded for a command are the time the command was given (the comment's creation, or
its last edit), not the time of the delivery, so a second delivery of the same event records
the same thing and changes nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core import markers
from bot.core.actions import (
    Action,
    AddAssignees,
    AddLabels,
    Close,
    React,
    RemoveAssignees,
    RemoveLabel,
    Reopen,
    SetComment,
)
from bot.core.command_parser import Command, Invocation, UnknownCommand, parse_commands
from bot.core.model import EPOCH, History, Issue, iso, parse_time
from bot.core.roles import Caller, is_maintainer
from bot.core.rules import COMMAND_NAMES, Commands, RepoRules
from bot.core.text import escape
from bot.core.waiting import labelled_since

__all__ = [
    "CLOCK_MARKER",
    "REGISTRY",
    "REPLY_MARKER",
    "SNOOZE_MARKER",
    "Caller",
    "CommandInfo",
    "Plan",
    "Source",
    "feedback",
    "help_text",
    "is_maintainer",
    "known_words",
    "may_run",
    "needs_labels",
    "plan",
]

REPLY_MARKER = "command-reply"
SNOOZE_MARKER = "snooze"
CLOCK_MARKER = "pep541-clock"

MAX_SNOOZE_DAYS = 365
MAX_ASSIGNEES = 10  # GitHub's limit per issue
MAX_SHOWN = 5  # problems listed in one reply (the rest are counted)
# How long before the bot's close a person's /close may have asked for it.
_ACT_WINDOW = timedelta(minutes=15)
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_ISSUE_REF = re.compile(r"#?([0-9]{1,9})")
_DAYS = re.compile(r"([0-9]{1,4})\s*(?:d|days?)?", re.IGNORECASE)


# ------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Source:
    """Where the commands were written: a comment, or the issue's own body."""

    comment_id: int | None
    at: datetime  # when they were written (comment created, or last edited)

    @property
    def key(self) -> str:
        return f"comment:{self.comment_id}" if self.comment_id is not None else "issue"


# ---------------------------------------------------------------------------- permissions


def known_words(commands: Commands) -> dict[str, str]:
    """Every word the parser accepts -> canonical command name (disabled ones included, so
    that using one gets "turned off here" rather than a misleading suggestion)."""
    known = {name: name for name in COMMAND_NAMES}
    for name, aliases in commands.aliases.items():
        for alias in aliases:
            known[alias.lower()] = name
    return known


def _permitted(name: str, caller: Caller, commands: Commands) -> bool:
    return is_maintainer(caller, commands) or (caller.is_author and name in commands.author_may)


def may_run(name: str, caller: Caller, commands: Commands) -> bool:
    return name not in commands.disabled and _permitted(name, caller, commands)


def who_may(name: str, commands: Commands) -> str:
    who = f"maintainers ({commands.minimum_role} access or higher)"
    if name in commands.author_may:
        who += " and the issue's author"
    return who


def needs_labels(commands: Sequence[Command]) -> bool:
    """Whether planning needs the repository's label list (the handler fetches it then)."""
    return any(isinstance(c, Invocation) and c.name in ("label", "unlabel") for c in commands)


# ------------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class CommandInfo:
    name: str
    syntax: str
    summary: str
    run: Callable[[Invocation, _Work], None]


REGISTRY: dict[str, CommandInfo] = {}


def command(name: str, syntax: str, summary: str) -> Callable[[Callable], Callable]:
    """Register a command's handler and its help entry (Prow-style)."""
    assert name in COMMAND_NAMES, name

    def register(run: Callable[[Invocation, _Work], None]) -> Callable[[Invocation, _Work], None]:
        REGISTRY[name] = CommandInfo(name, syntax, summary, run)
        return run

    return register


class _Refused(Exception):
    """A command that cannot be done as written; the message tells the user why."""


# --------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Plan:
    source: Source
    changes: tuple[Action, ...] = ()  # what the commands do to the issue
    problems: tuple[str, ...] = ()  # one line per command that did not work, and why
    notes: tuple[str, ...] = ()  # what /help and /pep541 status answer
    denied: tuple[str, ...] = ()  # the caller may run none of these: only say who may
    silent: bool = False  # nothing to say at all (no commands, or only unclear ones)
    # Who wrote them, when not a maintainer: such a person is told off at most once an issue.
    outsider: str | None = None


@dataclass
class _Work:
    """The issue as the commands leave it, step by step, and what they did."""

    issue: Issue
    history: History
    rules: RepoRules
    caller: Caller
    source: Source
    now: datetime
    repo_labels: tuple[str, ...]
    labels: list[str]
    assignees: list[str]
    state: str
    state_reason: str | None
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added: set[str] = field(default_factory=set)  # labels added by these commands
    # marker kind -> (new state, text) of the bot's comment that keeps the commands' state
    pending: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)

    def marker_state(self, kind: str) -> dict[str, Any] | None:
        if kind in self.pending:
            return self.pending[kind][0]
        return markers.state_of(self.history, kind)

    def set_marker(self, kind: str, state: dict[str, Any], text: str) -> None:
        self.pending[kind] = (state, text)

    def has_label(self, name: str) -> bool:
        return name.lower() in {label.lower() for label in self.labels}


def plan(
    commands: Sequence[Command],
    *,
    issue: Issue,
    history: History,
    caller: Caller,
    rules: RepoRules,
    source: Source,
    now: datetime,
    repo_labels: Iterable[str] | None = None,
    state_reason: str | None = None,
) -> Plan:
    """What the commands do. `commands` are the parser's output (for an edit, only the new
    ones); `issue` is the issue as it is now; `repo_labels` the repository's labels (needed
    for /label and /unlabel; the rules' labels stand in when not given)."""
    cmds = rules.commands
    known = known_words(cmds)
    invocations = [c for c in commands if isinstance(c, Invocation)]
    usable = [c for c in invocations if _permitted(c.name, caller, cmds)] + [
        c
        for c in commands
        if isinstance(c, UnknownCommand) and may_run(known.get(c.suggestion, ""), caller, cmds)
    ]
    if not usable:  # nothing this caller may do: only say who may (typos: say nothing)
        refused = tuple(dict.fromkeys(c.name for c in invocations))
        return Plan(source, denied=refused, silent=not refused, outsider=caller.login.lower())

    work = _Work(
        issue=issue,
        history=history,
        rules=rules,
        caller=caller,
        source=source,
        now=now,
        repo_labels=tuple(repo_labels) if repo_labels is not None else tuple(rules.labels),
        labels=list(issue.labels),
        assignees=list(issue.assignees),
        state=issue.state,
        state_reason=state_reason,
    )
    problems: list[str] = []
    for c in commands:
        if isinstance(c, UnknownCommand):
            if may_run(known.get(c.suggestion, ""), caller, cmds):
                problems.append(
                    f"{_code('/' + c.word)} is not a command. Did you mean `/{c.suggestion}`?"
                )
            continue
        shown = _code(f"/{c.name} {c.rest}".strip())
        if c.name in cmds.disabled:
            problems.append(f"{shown}: `/{c.name}` is turned off in this repository.")
            continue
        if not _permitted(c.name, caller, cmds):
            problems.append(f"{shown}: only {who_may(c.name, cmds)} can use `/{c.name}` here.")
            continue
        try:
            REGISTRY[c.name].run(c, work)
        except _Refused as exc:
            problems.append(f"{shown}: {exc}")

    for kind, (state, text) in work.pending.items():
        if _state_time(markers.state_of(history, kind)) > source.at:
            continue  # a later command set it since: working this one again changes nothing
        work.actions.append(SetComment(f"/{kind} state", kind, text, state))
    outsider = None if is_maintainer(caller, cmds) else caller.login.lower()
    return Plan(source, tuple(work.actions), tuple(problems), tuple(work.notes), outsider=outsider)


# ----------------------------------------------------------------------------- feedback


def feedback(
    result: Plan, history: History, rules: RepoRules, failure: str | None = None
) -> list[Action]:
    """The reaction and the one reply for a planned (and, if `failure` is None, fully done)
    set of commands. The reply is found by its marker and edited rather than posted again."""
    source = result.source
    if result.silent:
        return []
    if result.outsider and (result.denied or result.problems) and _told_before(result, history):
        # One reply per person per issue: five refused /close, one refusal, not five.
        return [React("commands refused again", source.comment_id, "confused")]
    if result.denied:
        names = _and(f"`/{n}`" for n in result.denied)
        cmds = rules.commands
        text = (
            f"Sorry, {names} can only be used here by maintainers "
            f"({cmds.minimum_role} access or higher)."
        )
        mine = _and(f"`/{n}`" for n in cmds.author_may if n not in cmds.disabled)
        if mine:
            text += f" The issue's author can use {mine}."
        return _reply(source, text + " Nothing was changed.", result.outsider)

    problems = list(result.problems)
    if failure:
        problems.append(failure)
    actions: list[Action] = [
        React(
            "commands " + ("failed" if problems else "done"),
            source.comment_id,
            "confused" if problems else "+1",
        )
    ]
    parts: list[str] = []
    if problems:
        shown = _at_most(problems, MAX_SHOWN)
        parts.append("Sorry, not everything worked:\n\n" + "\n".join(f"- {p}" for p in shown))
    parts.extend(result.notes)
    if parts:
        actions += _reply(source, "\n\n".join(parts), result.outsider if problems else None)
    return actions


def _reply(source: Source, text: str, told: str | None = None) -> list[Action]:
    state = {"source": source.key, **({"told": told} if told else {})}
    return [SetComment("reply to commands", REPLY_MARKER, text, state)]


def _told_before(result: Plan, history: History) -> bool:
    """The bot already told this person, on another of their comments, that it did not work."""
    return any(
        state.get("told") == result.outsider and state.get("source") != result.source.key
        for _, state in markers.ours(history, REPLY_MARKER)
    )


def describe_failure(action: Action, why: str) -> str:
    """One line for the reply when GitHub refused a change (`why`: what GitHub answered)."""
    what = {
        "add_labels": "add the label",
        "remove_label": "remove the label",
        "add_assignees": "assign",
        "remove_assignees": "unassign",
        "close": "close the issue",
        "reopen": "reopen the issue",
        "set_comment": "record the change",
    }.get(action.kind, action.kind)
    return f"I couldn't {what} ({why}); the commands after it were not run. Please try again."


# -------------------------------------------------------------------------------- help


def help_text(caller: Caller, rules: RepoRules) -> str:
    """The commands this caller may run here, from the registry (and the rules' aliases)."""
    cmds = rules.commands
    maintainer = is_maintainer(caller, cmds)
    lines = []
    for name in COMMAND_NAMES:
        info = REGISTRY.get(name)
        if info is None or not may_run(name, caller, cmds):
            continue
        line = f"- `{info.syntax}`: {info.summary}"
        if cmds.aliases.get(name):
            line += " Also: " + _and(f"`/{a}`" for a in cmds.aliases[name]) + "."
        if maintainer and name in cmds.author_may:
            line += " *(The issue's author can use it too.)*"
        lines.append(line)
    if not lines:
        return "There are no commands you can use here."
    who = (
        f"maintainers ({cmds.minimum_role} access or higher)"
        if maintainer
        else "the issue's author"
    )
    return (
        f"Commands for {who}, each at the start of its own line:\n\n"
        + "\n".join(lines)
        + "\n\nA 👍 on your comment means everything worked."
    )


def _at_most(items: list[str], limit: int) -> list[str]:
    """The first `limit` items, and how many more there were: a reply stays short however
    much a comment asks for."""
    if len(items) <= limit:
        return items
    return [*items[:limit], f"…and {len(items) - limit} more."]


def _and(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


# ------------------------------------------------------------------------------ helpers


def _code(text: str, limit: int = 80) -> str:
    """User text shown in a reply: one line, in a code span, never a mention."""
    return escape(text, code=True, limit=limit)


def _state_time(state: Mapping[str, Any] | None) -> datetime:
    """When the commands' state in a marker was last set (the latest time it records)."""
    if not state:
        return EPOCH
    times = [state.get("at"), state.get("lifted"), state.get("stopped")]
    times += state.get("attempts") if isinstance(state.get("attempts"), list) else []
    return max((parse_time(x) for x in times if isinstance(x, str)), default=EPOCH)


def _day(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d")


def _resolve_label(name: str, work: _Work) -> str:
    """The repository's spelling of `name`, or a refusal naming the nearest label."""
    pool = list(dict.fromkeys([*work.repo_labels, *work.labels]))
    by_lower = {label.lower(): label for label in pool}
    found = by_lower.get(name.strip().lower())
    if found is not None:
        return found
    close = difflib.get_close_matches(name.lower()[:100], list(by_lower), n=1, cutoff=0.6)
    hint = f" Did you mean {_code(by_lower[close[0]])}?" if close else ""
    raise _Refused(f"there is no label {_code(name)} in this repository.{hint}")


def _label_args(inv: Invocation, work: _Work) -> tuple[list[str], list[str]]:
    """(labels found, refusals). The whole text naming one label wins over splitting it,
    so `/label status: awaiting response` works without quotes."""
    if not inv.args:
        raise _Refused(f'say which label, e.g. `/{inv.name} "PEP 541"`.')
    whole = inv.rest.strip().strip("\"'`“”‘’")
    if len(inv.args) > 1 and whole:
        try:
            return [_resolve_label(whole, work)], []
        except _Refused:
            pass
    found, refused = [], []
    for arg in dict.fromkeys(inv.args):
        try:
            found.append(_resolve_label(arg, work))
        except _Refused as exc:
            refused.append(str(exc))
    return list(dict.fromkeys(found)), _at_most(refused, MAX_SHOWN)


def _users(inv: Invocation, work: _Work) -> list[str]:
    users: list[str] = []
    for arg in inv.args or ("me",):
        login = work.caller.login if arg.lower() == "me" else arg.removeprefix("@")
        if not _LOGIN.fullmatch(login):
            raise _Refused(f"{_code(arg)} is not a GitHub username.")
        users.append(login)
    return list(dict.fromkeys(users))


def _add_label(work: _Work, label: str, why: str) -> None:
    work.actions.append(AddLabels(why, (label,)))
    if not work.has_label(label):
        work.labels.append(label)
        work.added.add(label.lower())


# ----------------------------------------------------------------------------- commands


@command(
    "label",
    "/label LABEL[, LABEL…]",
    "Add labels (quote a label with spaces, or separate by commas).",
)
def _label(inv: Invocation, work: _Work) -> None:
    # Said even when already true: the plan then knows the label is the maintainer's call.
    found, refused = _label_args(inv, work)
    if found:
        work.actions.append(AddLabels("/label by a maintainer", tuple(found)))
        work.added.update(label.lower() for label in found if not work.has_label(label))
        work.labels += [label for label in found if not work.has_label(label)]
    if refused:
        raise _Refused(" ".join(refused))


@command("unlabel", "/unlabel LABEL[, LABEL…]", "Remove labels.")
def _unlabel(inv: Invocation, work: _Work) -> None:
    found, refused = _label_args(inv, work)
    for label in found:
        work.actions.append(RemoveLabel("/unlabel by a maintainer", label))
        work.labels = [x for x in work.labels if x.lower() != label.lower()]
    if refused:
        raise _Refused(" ".join(refused))


@command("assign", "/assign [@user … | me]", "Assign people (yourself when no one is named).")
def _assign(inv: Invocation, work: _Work) -> None:
    have = {a.lower() for a in work.assignees}
    new = [u for u in _users(inv, work) if u.lower() not in have]
    if len(have) + len(new) > MAX_ASSIGNEES:
        raise _Refused(f"an issue can have at most {MAX_ASSIGNEES} assignees.")
    if new:
        work.actions.append(AddAssignees("/assign", tuple(new)))
        work.assignees += new


@command("unassign", "/unassign [@user … | me]", "Unassign people (yourself when no one is named).")
def _unassign(inv: Invocation, work: _Work) -> None:
    have = {a.lower(): a for a in work.assignees}
    gone = [have[u.lower()] for u in _users(inv, work) if u.lower() in have]
    if gone:
        work.actions.append(RemoveAssignees("/unassign", tuple(gone)))
        work.assignees = [a for a in work.assignees if a not in gone]


@command(
    "close",
    "/close [completed | not planned | duplicate of #N]",
    "Close the issue, as completed unless you say otherwise.",
)
def _close(inv: Invocation, work: _Work) -> None:
    words = " ".join(inv.rest.lower().replace("_", " ").replace("-", " ").split())
    if words in ("", "completed", "complete", "done", "fixed", "resolved"):
        reason = "completed"
    elif words in ("not planned", "notplanned", "wontfix", "won't fix", "invalid"):
        reason = "not_planned"
    elif words.startswith(("duplicate", "dup ", "dupe ")):
        ref = words.split()[-1]
        match = _ISSUE_REF.fullmatch(ref)
        if match is None or ref in ("duplicate", "of"):
            raise _Refused("say which issue it duplicates: `/close duplicate of #123`.")
        if int(match.group(1)) == work.issue.number:
            raise _Refused("an issue can't be a duplicate of itself.")
        reason = "duplicate"
    else:
        raise _Refused("I understand `/close`, `/close not planned` and `/close duplicate of #N`.")
    if work.state == "closed" and work.state_reason == reason:
        return
    work.actions.append(Close(f"/close ({reason})", reason))
    work.state, work.state_reason = "closed", reason


@command("reopen", "/reopen", "Reopen the issue.")
def _reopen(inv: Invocation, work: _Work) -> None:
    if work.state == "open":
        return
    if not is_maintainer(work.caller, work.rules.commands) and not _closed_by(
        work.caller.login, work
    ):
        # GitHub's own rule: an author may reopen only what they closed themselves.
        raise _Refused("only maintainers can reopen an issue a maintainer closed.")
    work.actions.append(Reopen("/reopen"))
    work.state, work.state_reason = "open", None


def _closed_by(login: str, work: _Work) -> bool:
    """Whether `login` closed the issue: themselves, with a command the bot carried out, or
    by not answering (the bot's own close for no response invites them to reopen)."""
    history = work.history
    closes = [e for e in history.events if e.kind == "closed"]
    if not closes:
        return True  # closed without an event we can see: nothing says a maintainer did it
    last = max(closes, key=lambda e: e.at)
    if last.actor.lower() == login.lower():
        return True
    if not history.is_ours(last.actor):
        return False
    known = known_words(work.rules.commands)
    asked = [
        c
        for c in history.comments
        if history.by_person(c)
        and last.at - _ACT_WINDOW <= c.created_at <= last.at
        and any(getattr(x, "name", None) == "close" for x in parse_commands(c.body, known))
    ]
    if asked:
        return max(asked, key=lambda c: c.created_at).author.lower() == login.lower()
    return True  # the bot's own close (no response)


@command(
    "awaiting",
    "/awaiting",
    "Mark the issue as waiting on the requester (the reminder and closing clock starts).",
)
def _awaiting(inv: Invocation, work: _Work) -> None:
    _add_label(work, work.rules.triage.awaiting_label, "/awaiting: waiting on the requester")


@command(
    "snooze",
    "/snooze DAYS",
    "No reminders, overdue labels or automatic closing for that many days.",
)
def _snooze(inv: Invocation, work: _Work) -> None:
    match = _DAYS.fullmatch(inv.rest.strip())
    days = int(match.group(1)) if match else 0
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        raise _Refused(f"say for how many days (1 to {MAX_SNOOZE_DAYS}), e.g. `/snooze 14`.")
    until = work.source.at + timedelta(days=days)
    work.set_marker(
        SNOOZE_MARKER,
        {"until": iso(until), "at": iso(work.source.at)},
        f"Snoozed until {_day(until)}: no reminders or automatic closing until then. "
        "`/unsnooze` ends it early.",
    )


@command("unsnooze", "/unsnooze", "End a snooze early.")
def _unsnooze(inv: Invocation, work: _Work) -> None:
    state = work.marker_state(SNOOZE_MARKER)
    until = _until(state)
    if until is None or until <= work.now:
        return  # not snoozed: the goal is already reached
    work.set_marker(
        SNOOZE_MARKER,
        {"until": None, "lifted": iso(work.source.at)},
        f"Snooze lifted on {_day(work.source.at)}: the usual reminders apply again.",
    )


@command(
    "pep541",
    "/pep541 contacted | owner-replied | status",
    "The PEP 541 reachability clock: record a contact attempt with the owner, "
    "stop it when the owner replies, or show where it stands.",
)
def _pep541(inv: Invocation, work: _Work) -> None:
    sub = "-".join(inv.rest.lower().replace("_", " ").replace("-", " ").split())
    clock = work.rules.lifecycle.reachability
    state = work.marker_state(CLOCK_MARKER)
    state = dict(state or {})
    attempts = [a for a in state.get("attempts") or [] if isinstance(a, str)]
    if not attempts and clock.start_label and work.has_label(clock.start_label):
        # The clock was started with its label, not with a command: that was the first
        # contact attempt (dated as the lifecycle's clock dates it).
        attempts = [iso(labelled_since(work.issue, work.history, clock.start_label))]
    at = iso(work.source.at)
    if sub in ("contacted", "contact", "contacted-owner", "attempt"):
        if state.get("stopped"):
            attempts = []  # the owner answered before: a new attempt starts a new clock
        if at not in attempts:
            attempts = sorted([*attempts, at])
        new_state = {"attempts": attempts}
        if clock.start_label:
            _add_label(work, clock.start_label, "/pep541 contacted: the reachability clock runs")
        work.set_marker(CLOCK_MARKER, new_state, _clock_text(new_state, work))
    elif sub in ("owner-replied", "replied", "owner-answered", "answered", "stop"):
        if not attempts:
            raise _Refused("no contact attempt is recorded yet (`/pep541 contacted` records one).")
        if state.get("stopped"):
            return
        new_state = {"attempts": attempts, "stopped": at}
        label = clock.start_label
        if (
            label
            and work.has_label(label)
            and (label.lower() in work.added or work.history.added_by_us(label))
        ):
            work.actions.append(RemoveLabel("/pep541 owner-replied: the clock stops", label))
            work.labels = [x for x in work.labels if x.lower() != label.lower()]
        work.set_marker(CLOCK_MARKER, new_state, _clock_text(new_state, work))
    elif sub == "status":
        if not attempts:
            work.notes.append(
                "PEP 541 reachability clock: not started (no contact attempt is recorded)."
            )
        else:
            work.notes.append(_clock_text({**state, "attempts": attempts}, work))
    else:
        raise _Refused(
            "I understand `/pep541 contacted`, `/pep541 owner-replied` and `/pep541 status`."
        )


def _clock_text(state: Mapping[str, Any], work: _Work) -> str:
    clock = work.rules.lifecycle.reachability
    attempts = sorted(parse_time(a) for a in state.get("attempts") or [])
    if not attempts:
        return "PEP 541 reachability clock: not started."
    first, last, n = attempts[0], attempts[-1], len(attempts)
    text = (
        f"PEP 541 reachability clock: {n} contact attempt{'s' if n != 1 else ''} with the "
        f"owner recorded (first {_day(first)}" + (f", last {_day(last)}" if n > 1 else "") + ")."
    )
    if state.get("stopped"):
        return text + f" Stopped on {_day(parse_time(state['stopped']))}: the owner replied."
    if n < clock.attempts:
        due = last + timedelta(days=clock.interval_days)
        text += f" Attempt {n + 1} of {clock.attempts} is due on {_day(due)}."
    ready = first + timedelta(days=clock.decision_after_days)
    return text + f" Without a reply, it is ready for a decision on {_day(ready)}."


@command("help", "/help", "List the commands you can use here.")
def _help(inv: Invocation, work: _Work) -> None:
    text = help_text(work.caller, work.rules)
    if text not in work.notes:
        work.notes.append(text)


# ------------------------------------------------------------------------------ state


def _until(state: Mapping[str, Any] | None) -> datetime | None:
    value = (state or {}).get("until")
    if not isinstance(value, str):
        return None
    parsed = parse_time(value)
    return None if parsed == EPOCH else parsed


# What a person did by hand after a command, which working the command again must not undo:
# for each kind of change, the events that undo it.
_UNDONE_BY = {
    "add_labels": "unlabeled",
    "remove_label": "labeled",
    "add_assignees": "unassigned",
    "remove_assignees": "assigned",
    "close": "reopened",
    "reopen": "closed",
}


def since_undone(changes: Iterable[Action], history: History, at: datetime) -> tuple[Action, ...]:
    """The changes to make: those not undone since the command was written at `at`. A command
    worked again (a redelivery, a restart) must not redo what was changed since, by hand or
    by the bot on a later command or answer: a label removed after `/label` stays removed."""
    undone_by = [e for e in history.events if e.at > at]
    keep = []
    for change in changes:
        kind = _UNDONE_BY.get(change.kind)
        labels = {label.lower() for label in getattr(change, "labels", ())}
        if isinstance(change, RemoveLabel):
            labels = {change.label.lower()}
        hit = any(
            e.kind == kind and (not labels or (e.label or "").lower() in labels) for e in undone_by
        )
        if not hit:
            keep.append(change)
    return tuple(keep)
