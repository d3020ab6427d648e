"""What operators see: one JSON access-log line per request and Prometheus metrics at /metrics.

The request metrics and the access line are service_kit's (labelled by operationId, the route's
name); the webhook and dependency metrics are this service's. Payments by status are read from
the database at scrape time (one GROUP BY on an indexed column). /metrics is not in the OpenAPI
contract.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payment_api.db.models import Payment
from service_kit.logs import REQUEST_ID, AccessLog, get_logger
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


class AccessLogMiddleware:
    """Inside RequestIdMiddleware: binds the request id for the request's logs and outgoing
    calls, then logs one line and records the request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = REQUEST_ID.set(scope.get("state", {}).get("request_id"))
        started = time.perf_counter()
        status = 500

        async def send_tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        finally:
            elapsed = time.perf_counter() - started
            operation = operation_of(scope)
            method = str(scope.get("method", ""))
            METRICS.observe(operation, method, status, elapsed)
            access_log.record(
                method=method,
                path=scope.get("path", ""),
                operation=operation,
                status=status,
                seconds=elapsed,
            )
            REQUEST_ID.reset(token)


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


def record_webhook(event_type: str, outcome: str, payload: bytes | None = None) -> None:
    """Count a delivery; with the verified payload, observe the lag since its `created`."""
    WEBHOOK_EVENTS.labels(event_type, outcome).inc()
    if payload is None:
        return
    try:
        created = json.loads(payload).get("created")
    except (ValueError, AttributeError, RecursionError):
        return
    if isinstance(created, int | float) and not isinstance(created, bool):
        lag = datetime.now(UTC).timestamp() - float(created)
        WEBHOOK_LAG.observe(max(lag, 0.0))


def record_dependency_failure(dependency: str, kind: str) -> None:
    DEPENDENCY_FAILURES.labels(dependency, kind).inc()


def render_metrics(session_factory: sessionmaker[Session]) -> bytes:
    return METRICS.render(PaymentsByStatus(session_factory))


def install(app: FastAPI) -> None:
    """`GET /metrics` (outside the schema) and the access-log middleware (add it before
    RequestIdMiddleware so that it runs inside it)."""
    app.add_middleware(AccessLogMiddleware)

    @app.get("/metrics", name="metrics", include_in_schema=False)
    def metrics() -> Response:
        # A sync route: the database count runs in the thread pool, not on the event loop.
        body = render_metrics(app.state.container.session_factory)
        return Response(content=body, media_type=CONTENT_TYPE_LATEST)
