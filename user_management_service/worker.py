"""The user service's worker: `python -m user_management_service worker` sends the queued
mail (domain/mail.py) through SMTP, off the request path.

Jobs are leased before they are sent (service_kit.leasing), so any number of workers may run
on PostgreSQL; a job whose worker died is due again when its lease runs out, and a mail
server that is down only delays mail (retried with growing delays for a day). SIGTERM stops
claiming; the mail in hand is finished. /healthz and /metrics on WORKER_HTTP_PORT when set.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge

from service_kit.worker_status import serve_status, stop_on_signals
from user_management_service.container import Container
from user_management_service.domain.mail_delivery import MailDelivery

log = logging.getLogger("user_management_service.worker")
GAUGE_SECONDS = 5.0  # the queue depth is a count over the table: not on every step


class MailWorker:
    def __init__(self, container: Container, delivery: MailDelivery | None = None) -> None:
        s = container.settings
        self.delivery = delivery or container.mail_delivery()
        self.end_session = container.end_session
        self.poll = s.worker_poll_seconds
        self.batch = s.worker_batch_size
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stop = threading.Event()
        self.registry = CollectorRegistry()
        self.mails = Counter(
            "mail_jobs_total", "Mail jobs the worker finished or retried, by resulting state.",
            ["state"], registry=self.registry,
        )  # fmt: skip
        self.pending = Gauge(
            "mail_jobs_pending", "Mail not sent yet (due or waiting for a retry).",
            registry=self.registry,
        )  # fmt: skip
        self._heartbeat = time.monotonic()
        self._gauge_due = 0.0
        # A step takes at most a batch of SMTP conversations, each bounded by its timeout.
        self._stalled_after = max(60.0, 10 * self.poll, 2 * s.smtp_timeout_seconds * self.batch)

    def alive(self) -> bool:
        return time.monotonic() - self._heartbeat < self._stalled_after

    def run(self) -> None:
        log.info("mail worker %s started", self.name)
        while not self.stop.is_set():
            self._heartbeat = time.monotonic()
            if not self.step():
                self.stop.wait(self.poll)
        log.info("mail worker %s stopped", self.name)

    def step(self) -> bool:
        """Send one batch of due mail; True when there was some (look again at once)."""
        try:
            jobs = self.delivery.claim(self.batch)
            for job in jobs:
                state = self.delivery.deliver(job)
                self.mails.labels(state.value).inc()
                log.info("mail %s (%s): %s", job.id, job.kind.value, state.value)
            if time.monotonic() >= self._gauge_due:
                self._gauge_due = time.monotonic() + GAUGE_SECONDS
                self.pending.set(self.delivery.pending())
        except Exception:  # a database blip: the leases run out, the jobs come back
            log.exception("mail worker step failed")
            self.stop.wait(self.poll)
            return False
        finally:
            self.end_session()
        return bool(jobs)


def serve(container: Container) -> int:
    worker = MailWorker(container)
    s = container.settings
    serve_status(s.worker_http_host, s.worker_http_port, worker.alive, worker.registry)
    stop_on_signals(worker.stop, worker.name)
    worker.run()
    return 0
