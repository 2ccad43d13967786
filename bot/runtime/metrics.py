"""Prometheus series (README, "Endpoints"). One registry per service instance, so tests
and several apps in one process never share counters."""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = _Deliveries()
        self.registry.register(self.deliveries)
        self.actions = Counter(
            "bot_actions",
            "Actions taken (or, in dry-run, planned) by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.github_calls = Counter(
            "bot_github_requests",
            "GitHub API requests by method and HTTP status",
            ["method", "status"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "bot_queue_depth", "Deliveries waiting or being worked", registry=self.registry
        )
        # Registered when GitHub first reports it: a 0 before any call reads as exhausted.
        self._rate_limit_remaining: Gauge | None = None

    def delivery(self, event: str, outcome: str) -> None:
        self.deliveries.count(event, outcome)

    def rate_limit_remaining(self, points: int) -> None:
        """GitHub's last word on the rate-limit points left (its x-ratelimit-remaining)."""
        if self._rate_limit_remaining is None:
            self._rate_limit_remaining = Gauge(
                "bot_github_rate_limit_remaining",
                "GitHub rate-limit points left, as last reported",
                registry=self.registry,
            )
        self._rate_limit_remaining.set(points)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Deliveries(Collector):
    """`bot_deliveries_total`, counted in a plain dict and reported when scraped: counting
    every acknowledgement through a prometheus_client Counter (a lock and its checks) cost
    more than the rest of the bookkeeping. Everything counts on the event loop's thread."""

    def __init__(self) -> None:
        self.counts: Tally[tuple[str, str]] = Tally()
        # When each series was first counted: its `_created` sample, as the other counters'.
        self.created: dict[tuple[str, str], float] = {}

    def count(self, event: str, outcome: str) -> None:
        key = (event, outcome)
        if key not in self.counts:
            self.created[key] = time.time()
        self.counts[key] += 1

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "bot_deliveries", "Webhook deliveries by event and outcome", labels=["event", "outcome"]
        )
        for key, count in sorted(self.counts.items()):
            family.add_metric(list(key), count, created=self.created[key])
        yield family
