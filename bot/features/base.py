"""What a feature is: a name, a cheap test of whether a trigger concerns it, the facts it looks
up (through `Lookups`, never HTTP of its own), and a pure decision.

    wants(trigger, rules) -> bool                         on the delivery alone, no I/O
    gather(situation, lookups) -> facts | None            None: nothing to do after all
    propose(situation, facts) -> Proposal                 pure: snapshot, trigger, rules, now

The runtime (`bot.runtime.reconcile`) reads the snapshot once, runs the features in the order
of `bot.features.FEATURES`, merges their proposals and applies the difference.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.model import Snapshot
from bot.core.recognition import Verdict, recognise, skip_reason
from bot.core.reconcile import Proposal
from bot.core.roles import MAINTAINER_ASSOCIATIONS, Caller, is_maintainer
from bot.core.rules import RepoRules
from bot.core.trigger import ISSUES, Trigger

if TYPE_CHECKING:
    from bot.core.pypi import ProjectFacts
    from bot.core.recovery import Account, RepoFacts


@dataclass(frozen=True)
class Situation:
    """Everything a decision is made from."""

    snapshot: Snapshot
    trigger: Trigger
    rules: RepoRules
    now: datetime
    repo: str = ""

    @cached_property
    def verdict(self) -> Verdict:
        """What the issue is, recognised once for every feature."""
        return recognise(self.snapshot.issue, self.rules, self.snapshot.parsed)

    def is_request_in(self, category_name: str) -> bool:
        """Whether the issue is a request (not one triage skips) recognised as the named
        category: what the features reporting on one kind of request (the name report, the
        recovery note) ask before looking anything up."""
        category = self.verdict.category
        return (
            skip_reason(self.snapshot.issue, self.rules) is None
            and category is not None
            and category.name == category_name
        )


class NameFacts(Protocol):
    """The PyPI name service, as the names feature needs it."""

    index_url: str

    async def facts(self, name: str) -> tuple[ProjectFacts | None, str | None]: ...

    @property
    def index(self) -> Any: ...


class AccountFacts(Protocol):
    """The PyPI account service, as account recovery needs it (triage and the note)."""

    def index_url(self, test: bool) -> str: ...

    async def account(self, username: str, *, test: bool, limit: int) -> Account: ...


class Lookups(Protocol):
    """What features may look up besides the snapshot. Online it asks GitHub and PyPI; for
    `plan` and `backtest` it answers offline from the delivery alone."""

    online: bool

    async def role(self, login: str) -> str: ...

    async def in_team(self, team: str, login: str) -> bool: ...

    async def repo_labels(self) -> tuple[str, ...] | None: ...

    async def search_count(self, query: str) -> int | None: ...

    async def search_issues(self, query: str, limit: int) -> list[dict[str, Any]] | None: ...

    def names(self) -> NameFacts | None: ...

    def accounts(self) -> AccountFacts | None: ...

    async def repository(self, owner: str, name: str) -> tuple[RepoFacts | None, str | None]:
        """(the repository, None), (None, None) when GitHub shows none, or (None, why it
        could not be checked)."""
        ...

    async def public_member(self, org: str, login: str) -> tuple[bool | None, str | None]:
        """(whether `login` is a public member of `org`, None), or (None, why not checked)."""
        ...


Gather = Callable[[Situation, Lookups], Awaitable[Any]]


def on_request(trigger: Trigger, rules: RepoRules) -> bool | None:
    """For a feature that reports on requests (the name report, the recovery note): False
    when the delivery cannot concern one (sent by a bot, or about a maintainer's own issue),
    True when it is a request arriving or its text changing, None for the rest (the
    feature's own triggers decide)."""
    if trigger.by_bot:
        return False
    if rules.triage.skip_maintainers and trigger.issue_association in MAINTAINER_ASSOCIATIONS:
        return False  # not a request (see recognition.skip_reason)
    if trigger.first_sort:
        return True
    if trigger.is_(ISSUES, "edited"):
        return trigger.text_changed
    return None


async def identify(lookups: Lookups, login: str, rules: RepoRules, author: str) -> Caller:
    """Who `login` is on this repository: their role, and the rules' teams they are in (asked
    only when the role does not make them a maintainer already)."""
    cmds = rules.commands
    caller = Caller(login, await lookups.role(login), frozenset(), login.lower() == author.lower())
    if is_maintainer(caller, cmds):
        return caller
    for team in cmds.teams:
        if await lookups.in_team(team, login):
            return Caller(login, caller.role, frozenset({team.lower()}), caller.is_author)
    return caller


async def is_maintainer_or_author(
    lookups: Lookups, login: str, rules: RepoRules, author: str
) -> bool:
    if login and login.lower() == author.lower():
        return True
    return is_maintainer(await identify(lookups, login, rules, author), rules.commands)


async def edited_by_a_stranger(situation: Situation, lookups: Lookups) -> bool:
    """An `issues.edited` delivery whose editor is neither the requester nor a maintainer:
    what they wrote is not the request (features that read the request ignore it)."""
    trigger, issue = situation.trigger, situation.snapshot.issue
    return trigger.is_(ISSUES, "edited") and not await is_maintainer_or_author(
        lookups, trigger.sender, situation.rules, issue.author
    )


async def nothing_to_gather(situation: Situation, lookups: Lookups) -> Any:
    return True


@dataclass(frozen=True)
class Feature:
    name: str
    wants: Callable[[Trigger, RepoRules], bool]
    propose: Callable[[Situation, Any], Proposal]
    gather: Gather = field(default=nothing_to_gather)
