"""The features. Each decides, from a snapshot of an issue, what it wants done (see
`bot.features.base`). They run in this order, and the order is also the merge rule: when two
want different things for the same label, comment or state, the one listed first wins.
Commands come first (a maintainer's word), then the lifecycle clocks, triage, the name
report and the account recovery note. To add a feature, add its package and one line here."""

from __future__ import annotations

from bot.features import commands, lifecycle, names, recovery, triage
from bot.features.base import Feature

FEATURES: tuple[Feature, ...] = (
    commands.FEATURE,
    lifecycle.FEATURE,
    triage.FEATURE,
    names.FEATURE,
    recovery.FEATURE,
)
