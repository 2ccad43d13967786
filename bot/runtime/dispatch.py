"""Routing: one gidgethub Router per feature module, composed here, and a dispatcher that
runs every matching handler in a fixed order, each isolated from the others' failures.

gidgethub's own `Router.dispatch` stops at the first exception and iterates a frozenset, so
neither the order nor the isolation would hold; we fetch the callbacks and run them ourselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gidgethub import routing, sansio

import bot.features.triage.decide as triage
from bot.adapters.github import Api
from bot.core.model import History, Issue
from bot.core.rules import RepoRules, Rules
from bot.runtime.logs import event
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass
class Context:
    """Everything a handler needs besides the event. `now` is the one clock reading per delivery."""

    api: Api
    rules: Rules
    repo_rules: RepoRules
    repo: str
    bot_login: str | None
    now: datetime
    delivery_id: str
    metrics: Metrics | None = None
    services: dict[str, Any] = field(default_factory=dict)  # optional services, e.g. "names"
    _histories: dict[int, History] = field(default_factory=dict, repr=False)
    _verdicts: dict[int, triage.Verdict] = field(default_factory=dict, repr=False)

    def verdict(self, issue: Issue) -> triage.Verdict:
        """What the issue is, recognised once per delivery for all its handlers."""
        if issue.number not in self._verdicts:
            self._verdicts[issue.number] = triage.recognise(issue, self.repo_rules)
        return self._verdicts[issue.number]

    async def history(self, issue: Issue, *, fresh: bool = False) -> History:
        """The issue's comments and events, read once per delivery and shared by its handlers
        (what one handler writes is its own; no handler looks for another's writes).
        A just-opened issue without comments has nothing to read, so that costs no call."""
        if issue.number in self._histories:
            return self._histories[issue.number]
        if fresh and issue.comment_count == 0:
            history = History(bot_login=self.bot_login)
        else:
            comments = await self.api.comments(self.repo, issue.number)
            events = await self.api.events(self.repo, issue.number)
            history = History.from_api(comments, events, self.bot_login)
        self._histories[issue.number] = history
        return history


Handler = Callable[[sansio.Event, Context], Any]


# The order handlers of one event run in. Commands act first (a maintainer's word wins),
# triage next, and the name report last: it adds a label with a POST, which a new issue's
# triage PATCH (labels as delivered plus its own) would otherwise overwrite.
FEATURES = ("commands", "lifecycle", "triage", "names")


def compose() -> routing.Router:
    # Imported here so that each feature module owns its router and nothing else knows them.
    from bot.features.commands import handler as commands
    from bot.features.lifecycle import handler as lifecycle
    from bot.features.names import handler as names
    from bot.features.triage import handler as triage

    return routing.Router(commands.router, lifecycle.router, triage.router, names.router)


def _order(callback: Callable[..., Any]) -> tuple[int, str, str]:
    feature = callback.__module__.split(".")[-2]
    rank = FEATURES.index(feature) if feature in FEATURES else len(FEATURES)
    return (rank, callback.__module__, callback.__qualname__)


def handles(router: routing.Router, sansio_event: sansio.Event) -> bool:
    return bool(router.fetch(sansio_event))


async def dispatch(router: routing.Router, sansio_event: sansio.Event, ctx: Context) -> list[str]:
    """Run every handler for the event. Returns the names of the handlers that failed."""
    failed = []
    for callback in sorted(router.fetch(sansio_event), key=_order):
        try:
            await callback(sansio_event, ctx)
        except Exception as exc:
            name = f"{callback.__module__}.{callback.__qualname__}"
            failed.append(name)
            event(
                log,
                "handler failed",
                level=logging.ERROR,
                handler=name,
                error=f"{type(exc).__name__}: {exc}",
            )
    return failed
