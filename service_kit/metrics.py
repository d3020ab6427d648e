"""Prometheus request metrics per operationId, and /metrics rendering across worker processes.

Labels are operationIds, never raw paths, so cardinality stays bounded. With
PROMETHEUS_MULTIPROC_DIR set (the launchers set a fresh one per server) every worker writes its
samples there and a scrape sums all workers; without it a scrape shows the answering worker's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector


class RequestMetrics:
    """A service's own registry (both services load in one test process) with the request metrics
    both define the same way; a service adds its own metrics to `registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by operationId, method and status code.",
            ["operation", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by operationId and method.",
            ["operation", "method"],
            registry=self.registry,
        )

    def observe(self, operation: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(operation, method, str(status)).inc()
        self.latency.labels(operation, method).observe(seconds)

    def render(self, *extra: Collector) -> bytes:
        """The exposition text: every worker's samples (multiprocess) or this one's, plus `extra`
        collectors evaluated at scrape time."""
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(_Own(self.registry))
        for collector in extra:
            registry.register(collector)
        return generate_latest(registry)


class _Own(Collector):
    """This process's own samples (single-process mode)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()
