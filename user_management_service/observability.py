"""What operators see: service_kit's access-log line per request and its request metrics at
/metrics (a plain route, not in the OpenAPI contract). The operation is the Flask endpoint's
function name, which is the operationId."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST

from service_kit.logs import AccessLog
from service_kit.metrics import RequestMetrics

METRICS = RequestMetrics()
access_log = AccessLog("user_management_service.access")


def operation_of(endpoint: str | None) -> str:
    """`users.getUser` -> `getUser`; no matching route (404, 405 on unknown paths) -> unmatched."""
    if not endpoint:
        return "unmatched"
    return endpoint.rsplit(".", 1)[-1]


def register(app: Flask) -> None:
    """Call before the other request hooks are registered: the timer starts first."""

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        operation = operation_of(request.endpoint)
        METRICS.observe(operation, request.method, response.status_code, elapsed)
        access_log.record(
            method=request.method,
            path=request.path,
            operation=operation,
            status=response.status_code,
            seconds=elapsed,
        )
        return response

    @app.get("/metrics", endpoint="metrics")
    def metrics() -> Response:
        return Response(METRICS.render(), mimetype=None, content_type=CONTENT_TYPE_LATEST)
