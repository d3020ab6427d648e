"""The worker: `python -m payment_api worker`. Off the request path it

- processes the Stripe events the webhook route stored (WebhookInbox.process_received);
- delivers outbound events to merchants' endpoints, `worker_concurrency` at a time
  (DeliveryService), so one slow receiver never holds the others up;
- runs reconcile every `reconcile_interval_seconds`, on one worker of all (a named lease).

Any number of workers may run on PostgreSQL: every job is leased before it runs (FOR UPDATE
SKIP LOCKED), and a job whose worker died is due again when its lease expires. On SQLite, the
embedded default, run one. SIGTERM (or SIGINT) stops claiming; attempts in flight finish.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from payment_api.container import Container
from payment_api.db.leases import Leases
from payment_api.domain.model import utcnow
from payment_api.domain.ports import DueDelivery
from payment_api.domain.states import AttemptOutcome, InboxState
from service_kit.worker_status import serve_status, stop_on_signals

log = logging.getLogger("payment_api.worker")
RECONCILE = "reconcile"
# The queue gauges and the reconcile lease are database round trips: not on every busy step.
HOUSEKEEPING_SECONDS = 5.0


class WorkerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "webhook_deliveries_total",
            "Outbound webhook attempts by outcome (delivered, failed, refused).",
            ["outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "webhook_deliveries_pending", "Deliveries not delivered yet (due or waiting).",
            registry=self.registry,
        )  # fmt: skip
        self.oldest_due = Gauge(
            "webhook_delivery_oldest_due_seconds",
            "How long the longest-waiting due delivery has been due (0 when none is).",
            registry=self.registry,
        )
        self.inbox_processed = Counter(
            "stripe_events_processed_total",
            "Stored Stripe events the worker processed, by resulting state.",
            ["state"],
            registry=self.registry,
        )
        self.inbox_lag = Histogram(
            "stripe_event_processing_lag_seconds",
            "From a Stripe event's receipt to the end of its processing.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
            registry=self.registry,
        )
        self.reconcile_runs = Counter(
            "reconcile_runs_total", "Scheduled reconcile passes by result (ok, errors).",
            ["result"], registry=self.registry,
        )  # fmt: skip


class Worker:
    def __init__(self, container: Container, metrics: WorkerMetrics | None = None) -> None:
        s = container.settings
        self.container = container
        self.metrics = metrics or WorkerMetrics()
        self.poll = s.worker_poll_seconds
        self.concurrency = s.worker_concurrency
        self.batch = s.worker_batch_size
        self.reconcile_every = timedelta(seconds=s.reconcile_interval_seconds)
        self.leases = Leases(container.session_factory)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.inbox_lease = timedelta(seconds=2 * s.gateway_timeout_seconds + 30)
        self.stop = threading.Event()
        self._reconciling: Future[None] | None = None
        self._gauges_due = self._reconcile_check_due = 0.0
        self._heartbeat = time.monotonic()
        # A step waits at most a poll, or a delivery timeout for attempts in flight.
        self._stalled_after = max(60.0, 10 * self.poll, 3 * s.webhook_timeout_seconds)

    def alive(self) -> bool:
        return time.monotonic() - self._heartbeat < self._stalled_after

    def run(self) -> None:
        log.info("worker %s started", self.name)
        inflight: set[Future[AttemptOutcome]] = set()
        with ThreadPoolExecutor(self.concurrency + 1, thread_name_prefix="worker") as pool:
            while not self.stop.is_set():
                self._heartbeat = time.monotonic()
                busy = self._step(pool, inflight)
                if inflight:
                    done, _ = wait(inflight, timeout=0 if busy else self.poll,
                                   return_when=FIRST_COMPLETED)  # fmt: skip
                    inflight -= done
                elif not busy:
                    self.stop.wait(self.poll)
            wait(inflight)  # attempts in flight finish and are recorded
        log.info("worker %s stopped", self.name)

    def _step(self, pool: ThreadPoolExecutor, inflight: set[Future[AttemptOutcome]]) -> bool:
        """One round of every job; True when it found work (poll again at once)."""
        busy = False
        try:
            busy = self._inbox() or busy
            free = self.concurrency - len(inflight)
            if free > 0:
                for due in self.container.deliveries.claim(free):
                    inflight.add(pool.submit(self._deliver, due))
                    busy = True
            self._schedule_reconcile(pool)
            self._gauges()
        except Exception:  # a database blip: log, wait a poll, go on
            log.exception("worker step failed")
            self.stop.wait(self.poll)
        return busy

    def _inbox(self) -> bool:
        processed = self.container.inbox.process_received(self.batch, self.inbox_lease)
        now = utcnow()
        for row in processed:
            self.metrics.inbox_processed.labels(str(row.state)).inc()
            if row.state is InboxState.PROCESSED:
                self.metrics.inbox_lag.observe((now - row.received_at).total_seconds())
        return bool(processed)

    def _deliver(self, due: DueDelivery) -> AttemptOutcome:
        try:
            outcome = self.container.deliveries.attempt(due)
        except Exception:  # its lease runs out and it is attempted again; say why
            log.exception("delivery %s of event %s failed to run", due.id, due.event_id)
            raise
        self.metrics.deliveries.labels(outcome.value).inc()
        return outcome

    def _schedule_reconcile(self, pool: ThreadPoolExecutor) -> None:
        if not self.reconcile_every or (self._reconciling and not self._reconciling.done()):
            return
        if time.monotonic() < self._reconcile_check_due:
            return
        self._reconcile_check_due = time.monotonic() + HOUSEKEEPING_SECONDS
        now = utcnow()
        hold = max(self.reconcile_every, timedelta(minutes=10))
        if self.leases.acquire(RECONCILE, self.name, now, every=self.reconcile_every, hold=hold):
            self._reconciling = pool.submit(self._reconcile)

    def _reconcile(self) -> None:
        try:
            report = self.container.reconciler().run()
            self.metrics.reconcile_runs.labels("errors" if report.errors else "ok").inc()
            log.info("scheduled reconcile: %s", report)
        except Exception:
            self.metrics.reconcile_runs.labels("errors").inc()
            log.exception("scheduled reconcile failed")
        finally:
            self.leases.finish(RECONCILE, self.name, utcnow())

    def _gauges(self) -> None:
        if time.monotonic() < self._gauges_due:
            return
        self._gauges_due = time.monotonic() + HOUSEKEEPING_SECONDS
        now = utcnow()
        with self.container.uow() as uow:
            self.metrics.queue_depth.set(uow.deliveries.pending_count())
            oldest = uow.deliveries.oldest_due(now)
        self.metrics.oldest_due.set(0 if oldest is None else (now - oldest).total_seconds())


def serve(container: Container) -> int:
    """Run until SIGTERM/SIGINT; /healthz and /metrics on WORKER_HTTP_PORT when set."""
    worker = Worker(container)
    s = container.settings
    serve_status(s.worker_http_host, s.worker_http_port, worker.alive, worker.metrics.registry)
    stop_on_signals(worker.stop, worker.name)
    started = time.monotonic()
    worker.run()
    log.info("worker ran %.0f s", time.monotonic() - started)
    return 0
