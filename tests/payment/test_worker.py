"""The worker loop in process: it processes stored Stripe events and delivers outbound events
until told to stop, reports its health and metrics, and runs reconcile under a lease that one
worker of all holds, at most once per interval."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from payment_api.container import Container
from payment_api.db.leases import Leases
from payment_api.domain.checkout import CheckoutRequest
from payment_api.domain.endpoints import EndpointDraft
from payment_api.domain.model import utcnow
from payment_api.domain.money import Money
from payment_api.worker import Worker
from service_kit.worker_status import status_app
from tests.payment.fakes import FakeTransport, FakeUsers, IdempotentGateway, unit_container
from tests.payment.helpers import event_payload, sign


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def container(tmp_path: Path, transport: FakeTransport) -> Container:
    built = unit_container(tmp_path, IdempotentGateway(), FakeUsers(), transport)
    built.settings.worker_poll_seconds = 0.05
    built.settings.reconcile_interval_seconds = 0
    return built


@pytest.fixture
def running(container: Container) -> Iterator[Worker]:
    worker = Worker(container)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the worker did not stop"


def wait(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_stored_stripe_event_is_processed_and_its_outbound_event_delivered(
    container: Container, transport: FakeTransport, running: Worker
) -> None:
    container.endpoints.register(EndpointDraft("https://shop.example/h", ["payment.succeeded"]))
    started = container.checkout.start(CheckoutRequest(custom_amount=Money(700, "USD")))
    session = {
        "id": started.session_id, "object": "checkout.session", "payment_status": "paid",
        "status": "complete", "payment_intent": "pi_w",
        "metadata": {"payment_id": started.payment_id},
    }  # fmt: skip
    body = event_payload("checkout.session.completed", session)
    receipt = container.inbox.receive(body, sign(body))
    assert receipt.state == "received"  # the request path only stores it

    wait(lambda: len(transport.sent) == 1)
    stored = container.reads.inbox_event(receipt.event_id)
    assert stored is not None
    assert stored["state"] == "processed"
    payment = container.reads.payment(started.payment_id)
    assert payment is not None
    assert payment["status"] == "succeeded"
    assert '"type":"payment.succeeded"' in transport.sent[0].payload
    wait(lambda: running.metrics.deliveries.labels("delivered")._value.get() == 1)
    assert running.metrics.inbox_processed.labels("processed")._value.get() == 1


def test_the_health_endpoint_answers_200_while_the_loop_runs_and_503_once_it_stalls(
    running: Worker,
) -> None:
    app = status_app(running.alive, running.metrics.registry)
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    assert b"".join(app({"PATH_INFO": "/healthz"}, start_response)) == b'{"status":"ok"}'
    running._heartbeat -= 3600  # as if the loop had been stuck for an hour
    app({"PATH_INFO": "/healthz"}, start_response)
    metrics = b"".join(app({"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET"}, start_response))
    assert statuses[:2] == ["200 OK", "503 Service Unavailable"]
    assert b"webhook_deliveries_pending" in metrics


def test_one_worker_of_two_takes_the_reconcile_lease_and_not_again_within_the_interval(
    container: Container,
) -> None:
    leases = Leases(container.session_factory)
    now = utcnow()
    every, hold = timedelta(minutes=5), timedelta(minutes=10)
    assert leases.acquire("reconcile", "a", now, every=every, hold=hold)
    assert not leases.acquire("reconcile", "b", now, every=every, hold=hold)  # a holds it
    leases.finish("reconcile", "a", now)
    assert not leases.acquire("reconcile", "b", now + timedelta(minutes=1), every=every, hold=hold)
    assert leases.acquire("reconcile", "b", now + every, every=every, hold=hold)
    # b dies holding it: after `hold`, another worker may run it
    later = now + every + hold + timedelta(seconds=1)
    assert leases.acquire("reconcile", "a", later, every=every, hold=hold)


def test_stored_stripe_events_are_processed_in_the_order_they_arrived(
    container: Container,
) -> None:
    ids = []
    for n in range(5):
        body = event_payload("customer.created", {"id": f"cus_{n}"}, event_id=f"evt_order_{n}")
        ids.append(container.inbox.receive(body, sign(body)).event_id)
    processed = container.inbox.process_received(10, timedelta(minutes=1))
    assert [row.id for row in processed] == ids
    assert {row.state for row in processed} == {"processed"}
