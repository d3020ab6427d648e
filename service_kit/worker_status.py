"""What every worker process of the platform shares: a stop on SIGTERM/SIGINT, and /healthz
and /metrics on a port of its own (a worker has no web server to put them on)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

log = logging.getLogger("service_kit.worker")


def status_app(alive: Callable[[], bool], registry: CollectorRegistry) -> WSGIApplication:
    """`/healthz`: 200 while the loop has gone round lately, 503 once it is stuck; anything
    else: the worker's Prometheus metrics."""
    metrics = make_wsgi_app(registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/healthz":
            answer: Iterable[bytes] = metrics(environ, start_response)
            return answer
        ok = alive()
        status = "200 OK" if ok else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json")])
        return [b'{"status":"ok"}' if ok else b'{"status":"stalled"}']

    return app


def serve_status(
    host: str, port: int | None, alive: Callable[[], bool], registry: CollectorRegistry
) -> None:
    """Answer /healthz and /metrics on a daemon thread (nothing when `port` is unset)."""
    if not port:
        return
    server = make_server(host, port, status_app(alive, registry), ThreadingWSGIServer,
                         handler_class=_QuietHandler)  # fmt: skip
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()


def stop_on_signals(stop: threading.Event, name: str) -> None:
    """SIGTERM (docker stop) or SIGINT sets `stop`: the loop stops claiming, work in flight
    finishes."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: signal %d, finishing the work in flight", name, signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Probes and scrapes are not worth a log line each."""
