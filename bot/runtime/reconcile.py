"""Working one issue: read a fresh snapshot, let every feature decide, merge the proposals
into one plan, apply what is not already true. Deliveries, the sweep, its catch-up of missed
new issues and `plan` all go through here (the first three through the work queue, one issue
at a time), so they converge on the same end state however often they run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.adapters.account_lookup import AccountLookup
from bot.adapters.github import GITHUB_ERRORS, Api
from bot.adapters.permissions import Permissions
from bot.core.model import History, Issue, Snapshot
from bot.core.reconcile import Plan, Proposal, difference, merge
from bot.core.recovery import Account, RepoFacts
from bot.core.roles import MAINTAINER_ASSOCIATIONS
from bot.core.rules import RepoRules
from bot.core.trigger import Trigger
from bot.features import FEATURES
from bot.features.base import AccountFacts, Feature, NameFacts, Situation
from bot.runtime.apply import Applied, Budget, apply
from bot.runtime.logs import error_text, event
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

GITHUB_UNREACHABLE = "GitHub could not be reached"
OFFLINE = "not looked up (offline)"
# What the index would have said, when `plan` or `backtest` ran without `--pypi`.
OFFLINE_INDEX = "not looked up (offline; `--pypi` asks the index)"


class GitHubLookups:
    """Lookups for the features, answered by GitHub and PyPI (`bot.features.base.Lookups`)."""

    online = True

    def __init__(
        self,
        api: Api,
        repo: str,
        rules: RepoRules,
        permissions: Permissions,
        names: NameFacts | None = None,
        accounts: AccountLookup | None = None,
    ) -> None:
        self.api = api
        self.repo = repo
        self.rules = rules
        self.permissions = permissions
        self._names = names
        # Once per piece of work: triage and the recovery note ask about the same account,
        # and an index that failed the first is not asked again by the second.
        self._accounts = OncePerWork(accounts) if accounts is not None else None
        self._labels: tuple[str, ...] | None = None
        # Once per piece of work too: triage and the report on a request each ask who edited it.
        self._teams: dict[tuple[str, str], bool] = {}

    async def role(self, login: str) -> str:
        return await self.permissions.role(self.api, self.repo, login)

    async def in_team(self, team: str, login: str) -> bool:
        key = (team.lower(), login.lower())
        if key not in self._teams:
            org, _, slug = team.partition("/")
            self._teams[key] = await self.api.team_member(org, slug, login)
        return self._teams[key]

    async def repo_labels(self) -> tuple[str, ...] | None:
        if self._labels is None:
            self._labels = tuple(await self.api.label_names(self.repo))
        return self._labels

    async def search_count(self, query: str) -> int | None:
        try:
            return await self.api.search_count(query)
        except GITHUB_ERRORS as exc:
            event(log, "search failed", level=logging.WARNING, error=error_text(exc))
            return None

    async def search_issues(self, query: str, limit: int) -> list[dict[str, Any]] | None:
        try:
            return await self.api.search_issues(query, limit)
        except GITHUB_ERRORS as exc:
            event(log, "search failed", level=logging.WARNING, error=error_text(exc))
            return None

    def names(self) -> NameFacts | None:
        return self._names if self.rules.name_intelligence.enabled else None

    def accounts(self) -> AccountFacts | None:
        if self._accounts is None or not self.rules.recovery_evidence.enabled:
            return None
        return self._accounts

    async def repository(self, owner: str, name: str) -> tuple[RepoFacts | None, str | None]:
        try:
            data = await self.api.repository(owner, name)
        except GITHUB_ERRORS as exc:
            event(log, "repository lookup failed", level=logging.WARNING, error=error_text(exc))
            return None, GITHUB_UNREACHABLE
        if data is None:
            return None, None
        found = RepoFacts.from_api(data)
        return (found, None) if found is not None else (None, "GitHub's answer was unexpected")

    async def public_member(self, org: str, login: str) -> tuple[bool | None, str | None]:
        try:
            return await self.api.public_member(org, login), None
        except GITHUB_ERRORS as exc:
            event(log, "membership lookup failed", level=logging.WARNING, error=error_text(exc))
            return None, GITHUB_UNREACHABLE


class OncePerWork:
    """An account service whose answers, good or not, are kept for one piece of work."""

    def __init__(self, service: AccountFacts) -> None:
        self._service = service
        self._answers: dict[tuple[str, bool, int], Account] = {}

    def index_url(self, test: bool) -> str:
        return self._service.index_url(test)

    async def account(self, username: str, *, test: bool, limit: int) -> Account:
        key = (username.lower(), test, limit)
        if key not in self._answers:
            self._answers[key] = await self._service.account(username, test=test, limit=limit)
        found = self._answers[key]
        return found if found.username == username else replace(found, username=username)


class OfflineAccounts:
    """The account service of `plan` and `backtest` without an index to ask: nothing is
    known, and the note says so."""

    def index_url(self, test: bool) -> str:
        return "https://test.pypi.org" if test else "https://pypi.org"

    async def account(self, username: str, *, test: bool, limit: int) -> Account:
        return Account(username, test, error=OFFLINE_INDEX)


class OfflineLookups:
    """Lookups without GitHub, for `plan` and `backtest`: a person's role is judged from the
    author association the delivery shows; searches give no answer; PyPI's account facts come
    from the index only when the command was given one (`--pypi`), and the note says what
    was not looked up."""

    online = False

    def __init__(
        self,
        associations: Mapping[str, str] | None = None,
        accounts: AccountFacts | None = None,
    ) -> None:
        self.associations = {k.lower(): v for k, v in (associations or {}).items()}
        # PyPI's account facts, when `plan --pypi` or `backtest --pypi` may ask the index.
        self._accounts = accounts or OfflineAccounts()

    async def role(self, login: str) -> str:
        association = self.associations.get(login.lower(), "NONE")
        return "write" if association in MAINTAINER_ASSOCIATIONS else "none"

    async def in_team(self, team: str, login: str) -> bool:
        return False

    async def repo_labels(self) -> tuple[str, ...] | None:
        return None

    async def search_count(self, query: str) -> int | None:
        return None

    async def search_issues(self, query: str, limit: int) -> list[dict[str, Any]] | None:
        return None

    def names(self) -> NameFacts | None:
        return None

    def accounts(self) -> AccountFacts | None:
        return self._accounts

    async def repository(self, owner: str, name: str) -> tuple[RepoFacts | None, str | None]:
        return None, OFFLINE

    async def public_member(self, org: str, login: str) -> tuple[bool | None, str | None]:
        return None, OFFLINE


async def read_snapshot(
    api: Api, repo: str, number: int, bot_login: str | None, issue: Issue | None = None
) -> Snapshot:
    """The issue and its timeline (comments and events in one list): two conditional reads,
    free when nothing changed since the last look. `issue`: as a listing just showed it,
    to read only the timeline (see `work`)."""
    listed = issue
    if issue is None:
        issue = Issue.from_api(await api.get_issue(repo, number), repo)
    timeline = await api.timeline(repo, number)
    history = History.from_timeline(timeline, bot_login)
    if listed is not None and history.latest() > listed.updated_at:
        # Something happened since the listing was read (a close, a label, a comment): the
        # issue itself is read again, so that nothing is decided on its old state.
        issue = Issue.from_api(await api.get_issue(repo, number), repo)
    return Snapshot(issue, history)


def wanted_by(
    trigger: Trigger, rules: RepoRules, features: Iterable[Feature] = FEATURES
) -> list[str]:
    """The features this trigger concerns, judged on the delivery alone."""
    return [f.name for f in features if f.wants(trigger, rules)]


@dataclass
class Decided:
    plan: Plan
    failed: list[str] = field(default_factory=list)  # features that could not decide


async def decide(
    situation: Situation, lookups: Any, features: Iterable[Feature] = FEATURES
) -> Decided:
    """Every feature's proposal for the situation, merged. A feature that fails (a lookup
    GitHub would not answer) is left out and named; the others still decide."""
    proposals: list[Proposal] = []
    failed = []
    for feature in features:
        if not feature.wants(situation.trigger, situation.rules):
            continue
        try:
            facts = await feature.gather(situation, lookups)
            if facts is not None:
                proposals.append(feature.propose(situation, facts))
        except Exception as exc:
            failed.append(feature.name)
            event(
                log,
                "feature failed",
                level=logging.ERROR,
                feature=feature.name,
                error=error_text(exc),
            )
    return Decided(merge(proposals), failed)


@dataclass
class Worked:
    applied: Applied
    failed_features: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.failed_features or self.applied.failed)


async def work(
    api: Api,
    repo: str,
    number: int,
    trigger: Trigger,
    rules: RepoRules,
    now: datetime,
    *,
    bot_login: str | None,
    lookups: Any,
    metrics: Metrics | None = None,
    budget: Budget | None = None,
    listed: Issue | None = None,
    snapshot: Snapshot | None = None,
) -> Worked:
    """Work one issue. With `listed` (the issue as the sweep's listing showed it moments ago,
    and nothing worked on it since in this process), only its timeline is read; with
    `snapshot` (read by the sweep moments ago, under the same condition), nothing is."""
    if snapshot is None:
        snapshot = await read_snapshot(api, repo, number, bot_login, listed)
    if snapshot.history.is_ours(snapshot.issue.author):
        # An issue the bot opened (its queue dashboard) is no request: nothing to sort,
        # time or answer on it.
        return Worked(Applied(), [])
    decided = await decide(Situation(snapshot, trigger, rules, now, repo), lookups)
    todo = difference(decided.plan, snapshot)
    for overruled in decided.plan.overruled:
        event(
            log,
            "plan: overruled",
            feature=overruled.feature,
            action_kind=overruled.action.kind,
            by=overruled.by,
        )
    applied = await apply(api, repo, snapshot, todo, metrics=metrics, budget=budget)
    return Worked(applied, decided.failed)
