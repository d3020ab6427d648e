"""The payment worker's throughput, measured after the wrk rounds: how fast one worker drains
the Stripe events the webhook scenarios stored (acknowledged, not yet processed), and how many
outbound events it delivers per second to a receiver on this machine (which shares the cores).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import Engine, text

from devstack import services
from devstack.processes import ServerProcess, free_port
from payment_api.db.unit_of_work import SqlUnitOfWork
from payment_api.domain.events import EventType
from service_kit.database import make_engine, make_session_factory


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Ok)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def _counter(engine: Engine, query: str) -> Callable[[], int]:
    """A count polled every 50 ms during a measurement: one engine, not one per poll."""

    def count() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text(query)).scalar() or 0)

    return count


def _drain(worker: ServerProcess, left: Callable[[], int], timeout: float) -> dict[str, float]:
    """Seconds and worker CPU until `left()` is 0."""
    assert worker.proc is not None
    proc = psutil.Process(worker.proc.pid)
    cpu0, t0 = sum(proc.cpu_times()[:2]), time.monotonic()
    first = left()
    deadline = t0 + timeout
    while (remaining := left()) > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    done = first - remaining
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    return {
        "items": done,
        "left": remaining,
        "seconds": round(seconds, 2),
        "per_second": round(done / seconds, 1) if seconds else 0.0,
        "cpu_ms_per_item": round(cpu * 1000 / done, 3) if done else 0.0,
    }


def measure(
    payment_url: str,
    headers: Mapping[str, str],
    database_url: str,
    service_env: Mapping[str, str],
    payment_id: str,
    log_path: Path,
    deliveries: int = 2000,
) -> dict[str, Any]:
    worker = services.payment_worker(
        free_port(), service_env, env={"RECONCILE_INTERVAL_SECONDS": "0"}, log_path=log_path
    )
    worker.start()
    engine = make_engine(database_url, 10)
    try:
        received = "SELECT count(*) FROM pay_webhook_events WHERE state = 'received'"
        inbox = _drain(worker, _counter(engine, received), timeout=600)
        with receiver() as url:
            created = httpx.post(
                f"{payment_url}/webhook-endpoints",
                json={"url": url, "event_types": ["*"]},
                headers=dict(headers),
                timeout=10,
            )
            created.raise_for_status()
            with SqlUnitOfWork(make_session_factory(engine)) as uow:
                payment = uow.payments.get(payment_id)
                assert payment is not None
                for _ in range(deliveries):
                    uow.outbox.emit(EventType.PAYMENT_SUCCEEDED, payment)
                uow.commit()
            pending = "SELECT count(*) FROM pay_deliveries WHERE state = 'pending'"
            out = _drain(worker, _counter(engine, pending), timeout=600)
            httpx.delete(
                f"{payment_url}/webhook-endpoints/{created.json()['id']}",
                headers=dict(headers),
                timeout=10,
            )
    finally:
        engine.dispose()
        worker.stop()
    return {"stripe_events": inbox, "deliveries": out}
