"""Slash commands in comments (and in issues maintainers open): `/label`, `/close`, `/snooze`,
`/pep541`, ... Each comment's commands are worked once: first the changes, then a reaction
and, when there is something to say, one reply that is edited rather than posted again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.command_parser import Command, new_commands, parse_commands
from bot.core.model import EPOCH, Comment
from bot.core.reconcile import Proposal
from bot.core.roles import MAINTAINER_ASSOCIATIONS, Caller
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUE_COMMENT, ISSUES, Trigger
from bot.features.base import Feature, Lookups, Situation, identify
from bot.features.commands import decide as slash

NAME = "commands"


def _commands(rules: RepoRules, text: str | None, old: str | None = None) -> list[Command]:
    known = slash.known_words(rules.commands)
    return parse_commands(text, known) if old is None else new_commands(old, text, known)


def wants(trigger: Trigger, rules: RepoRules) -> bool:
    if trigger.by_bot:
        return False  # bots never run commands
    comment = trigger.comment
    if trigger.is_(ISSUE_COMMENT, "created") and comment is not None:
        return bool(_commands(rules, comment.body))
    if trigger.is_(ISSUE_COMMENT, "edited") and comment is not None:
        return trigger.old_body is not None and bool(
            _commands(rules, comment.body, trigger.old_body)
        )
    # A requester's form is not read for commands; a maintainer's new issue is.
    return (
        trigger.is_(ISSUES, "opened")
        and trigger.issue_association in MAINTAINER_ASSOCIATIONS
        and bool(_commands(rules, trigger.issue_body))
    )


@dataclass(frozen=True)
class Facts:
    commands: Sequence[Command]
    caller: Caller
    source: slash.Source
    repo_labels: tuple[str, ...] | None


def _current(situation: Situation, comment: Comment) -> Comment:
    """The comment as it is now (the snapshot's), else as delivered."""
    return next((c for c in situation.snapshot.history.comments if c.id == comment.id), comment)


async def gather(situation: Situation, lookups: Lookups) -> Facts | None:
    trigger, issue, rules = situation.trigger, situation.snapshot.issue, situation.rules
    if issue.is_pull_request:
        return None  # the support tracker's commands are for issues
    if trigger.is_(ISSUES, "opened"):
        login, text, old = issue.author, issue.body, None
        source = slash.Source(None, issue.created_at)
    else:
        assert trigger.comment is not None
        comment = _current(situation, trigger.comment)
        text, old = comment.body, trigger.old_body
        # An edit's commands are the editor's (a maintainer may edit someone else's comment).
        login = trigger.sender or comment.author
        when = comment.updated_at if old is not None else comment.created_at
        source = slash.Source(comment.id, when)
    if source.at == EPOCH:
        source = slash.Source(source.comment_id, situation.now)
    commands = _commands(rules, text, old)
    if not commands or not login:
        return None
    caller = await identify(lookups, login, rules, issue.author)
    labels = await lookups.repo_labels() if slash.needs_labels(commands) else None
    return Facts(commands, caller, source, labels)


def propose(situation: Situation, facts: Facts) -> Proposal:
    snapshot, rules = situation.snapshot, situation.rules
    result = slash.plan(
        facts.commands,
        issue=snapshot.issue,
        history=snapshot.history,
        caller=facts.caller,
        rules=rules,
        source=facts.source,
        now=situation.now,
        repo_labels=facts.repo_labels,
        state_reason=snapshot.issue.state_reason,
    )
    changes = slash.since_undone(result.changes, snapshot.history, facts.source.at)

    def on_failure(action, why):
        failure = slash.describe_failure(action, why)
        return tuple(slash.feedback(result, snapshot.history, rules, failure))

    feedback = slash.feedback(result, snapshot.history, rules)
    return Proposal(NAME, (*changes, *feedback), on_failure)


FEATURE = Feature(NAME, wants, propose, gather)
