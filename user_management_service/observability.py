"""What operators see: one JSON access-log line per request and Prometheus metrics at /metrics.

Metrics are labelled by operationId (the Flask endpoint's function name), never by raw path, so
their cardinality stays bounded. Under gunicorn every worker is its own process: with
PROMETHEUS_MULTIPROC_DIR set (the launchers and `serve` set a fresh directory), the workers
write their samples there and /metrics sums them across workers; without it the counts are
those of the worker that answered. /metrics is a plain app route: it is not in the OpenAPI
contract.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from user_management_service.logging_setup import get_logger

# This service's own registry: both services' modules load in one test process.
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by operationId, method and status code.",
    ["operation", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by operationId and method.",
    ["operation", "method"],
    registry=REGISTRY,
)
QUIET_ENDPOINTS = {"metrics"}  # scrapes are counted, not logged
access_log = get_logger("user_management_service.access")


def operation_of(endpoint: str | None) -> str:
    """`users.getUser` -> `getUser`; no matching route (404, 405 on unknown paths) -> unmatched."""
    if not endpoint:
        return "unmatched"
    return endpoint.rsplit(".", 1)[-1]


def render_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def register(app: Flask) -> None:
    """Call before the other request hooks are registered: the timer starts first."""

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        operation = operation_of(request.endpoint)
        REQUESTS.labels(operation, request.method, str(response.status_code)).inc()
        LATENCY.labels(operation, request.method).observe(elapsed)
        if operation not in QUIET_ENDPOINTS:
            access_log.info(
                "request",
                method=request.method,
                path=request.path,
                operation=operation,
                status=response.status_code,
                duration_ms=round(elapsed * 1000, 2),
            )
        return response

    @app.get("/metrics", endpoint="metrics")
    def metrics() -> Response:
        return Response(render_metrics(), mimetype=None, content_type=CONTENT_TYPE_LATEST)
