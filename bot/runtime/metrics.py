"""Prometheus series (README, "Endpoints"). One registry per service instance, so tests
and several apps in one process never share counters."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "bot_deliveries",
            "Webhook deliveries by event and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
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
        self._deliveries: dict[tuple[str, str], Any] = {}
        # Registered when GitHub first reports it: a 0 before any call reads as exhausted.
        self._rate_limit_remaining: Gauge | None = None

    def delivery(self, event: str, outcome: str) -> None:
        """Count a delivery. Each (event, outcome) series is looked up once, then kept: the
        lookup (a lock and a dict) is a good part of what counting costs."""
        series = self._deliveries.get((event, outcome))
        if series is None:
            series = self._deliveries[(event, outcome)] = self.deliveries.labels(event, outcome)
        series.inc()

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
