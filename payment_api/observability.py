"""What operators see: one JSON access-log line per request and Prometheus metrics at /metrics.

The request metrics and the access line are service_kit's (labelled by operationId, the route's
name); the webhook and dependency metrics are this service's. Payments by status are read from
the database at scrape time (one GROUP BY on an indexed column). /metrics is not in the OpenAPI
contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Scope

from payment_api.db.models import Payment
from service_kit.logs import AccessLog, get_logger
from service_kit.metrics import RequestMetrics

METRICS = RequestMetrics()
REGISTRY = METRICS.registry
WEBHOOK_EVENTS = Counter(
    "webhook_events_total",
    "Stripe webhook deliveries by event type and outcome (processed, failed, ignored, "
    "duplicate, bad_signature...).",
    ["type", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_LAG = Histogram(
    "webhook_lag_seconds",
    "From the event's creation at the gateway to its receipt here.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600),
    registry=REGISTRY,
)
DEPENDENCY_FAILURES = Counter(
    "dependency_failures_total",
    "Failed calls to a dependency (payment gateway, user service), by kind.",
    ["dependency", "kind"],
    registry=REGISTRY,
)
access_log = AccessLog("payment_api.access")
log = get_logger("payment_api.observability")


def operation_of(scope: Scope) -> str:
    route = scope.get("route")
    name = getattr(route, "name", None)
    return str(name) if name else "unmatched"


class PaymentsByStatus(Collector):
    """`payments{status=...}`: counted in the database when scraped (any worker answers)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("payments", "Payment records by status.", labels=["status"])
        try:
            with self.session_factory() as db:
                rows = db.execute(select(Payment.status, func.count()).group_by(Payment.status))
                for status, count in rows:
                    gauge.add_metric([str(status)], float(count))
        except Exception as exc:  # a down database must not break the scrape
            DEPENDENCY_FAILURES.labels("database", "metrics_scrape").inc()
            log.warning("payments by status not collected", error=type(exc).__name__)
            return
        yield gauge


def record_webhook(event_type: str, outcome: str, created: float | None = None) -> None:
    """Count a delivery; with the event's `created` (read when it was verified), observe the
    lag since then."""
    WEBHOOK_EVENTS.labels(event_type, outcome).inc()
    if created is not None:
        WEBHOOK_LAG.observe(max(datetime.now(UTC).timestamp() - created, 0.0))


def record_dependency_failure(dependency: str, kind: str) -> None:
    DEPENDENCY_FAILURES.labels(dependency, kind).inc()


def render_metrics(session_factory: sessionmaker[Session]) -> bytes:
    return METRICS.render(PaymentsByStatus(session_factory))


def install(app: FastAPI) -> None:
    """`GET /metrics` (outside the schema); api.edge records every request."""

    @app.get("/metrics", name="metrics", include_in_schema=False)
    def metrics() -> Response:
        # A sync route: the database count runs in the thread pool, not on the event loop.
        body = render_metrics(app.state.container.session_factory)
        return Response(content=body, media_type=CONTENT_TYPE_LATEST)
