"""Outbound webhooks under faults, with real processes: a payment service, its worker(s) and a
merchant's receiver on loopback. The receiver goes down and comes back, answers slowly, the
worker is SIGKILLed mid-delivery, two workers share a backlog on PostgreSQL, and an address
the delivery policy forbids is refused before anything is sent."""

from __future__ import annotations

import collections
import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.databases import fresh_database
from payment_api.db.unit_of_work import SqlUnitOfWork
from payment_api.domain.events import EventType
from service_kit.database import make_engine, make_session_factory
from tests.fixtures.receiver import running_receiver
from tests.reliability.conftest import Stack, custom_body, running_stack

pytestmark = pytest.mark.reliability

FAST_RETRIES = {
    "WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "WEBHOOK_RETRY_FACTOR": "2",
    "WEBHOOK_RETRY_CAP_SECONDS": "4",
    "WEBHOOK_TIMEOUT_SECONDS": "1",
}


def register(stack: Stack, url: str, types: list[str] | None = None) -> str:
    answer = httpx.post(
        f"{stack.url}/webhook-endpoints",
        json={"url": url, "event_types": types or ["*"]},
        headers=stack.headers,
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def a_payment(stack: Stack) -> str:
    answer = httpx.post(
        f"{stack.url}/checkout-sessions",
        json=custom_body(2500),
        headers={**stack.headers, "Idempotency-Key": f"rel-{time.time_ns()}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["payment_id"])


def emit(stack: Stack, payment_id: str, count: int) -> None:
    """`count` events about one payment, through the outbox adapter (events + deliveries in one
    transaction), as the domain writes them."""
    engine = make_engine(stack.database_url, 10)
    try:
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            payment = uow.payments.get(payment_id)
            assert payment is not None
            for _ in range(count):
                uow.outbox.emit(EventType.PAYMENT_SUCCEEDED, payment)
            uow.commit()
    finally:
        engine.dispose()


def attempts(stack: Stack, endpoint_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = httpx.get(
            f"{stack.url}/webhook-endpoints/{endpoint_id}/attempts",
            params={"limit": 100, **({"cursor": cursor} if cursor else {})},
            headers=stack.headers,
            timeout=10,
        ).json()
        found += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_receiver_down_then_back_gets_every_event_after_it_returns_in_back_off_order(
    db_url: str, users_url: str, auth_headers: dict[str, str], logs_dir: Path
) -> None:
    with (
        running_stack(name="down", database_url=db_url, users_url=users_url,
                      headers=auth_headers, logs_dir=logs_dir, webhooks=False,
                      worker_env=FAST_RETRIES) as stack,
        running_receiver() as receiver,
    ):  # fmt: skip
        endpoint_id = register(stack, receiver.url)
        receiver.stop()  # down: connections refused
        emit(stack, a_payment(stack), 20)
        wait_until(lambda: len(attempts(stack, endpoint_id)) >= 60, 30, "retries while down")
        receiver.start()
        back_at = time.monotonic()
        got = receiver.wait_for(lambda _: True, count=20, timeout=30)

        assert len({r.headers["webhook-id"] for r in got}) == 20
        assert all(r.at >= back_at for r in got)
        log = attempts(stack, endpoint_id)
        by_event: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for attempt in reversed(log):  # oldest first
            by_event[attempt["event_id"]].append(attempt)
        for tries in by_event.values():
            assert [t["outcome"] for t in tries][-1] == "delivered"
            assert all(t["error"] == "connection refused" for t in tries[:-1])
            gaps = [
                _seconds(b["attempted_at"]) - _seconds(a["attempted_at"])
                for a, b in itertools.pairwise(tries)
            ]
            # each wait at least half its back-off step: 0.25, 0.5, 1, 2 (cap 4: 2..4) s
            for n, gap in enumerate(gaps, start=1):
                assert gap >= min(0.5 * 2 ** (n - 1), 4) / 2 - 0.05, (n, gaps)
        print(
            f"\nRELIABILITY receiver down: 20 events, {len(log)} attempts, "
            f"{max(len(t) for t in by_event.values())} at most for one event; all delivered "
            f"{max(r.at for r in got) - back_at:.1f} s after the receiver came back"
        )


def test_a_worker_killed_mid_delivery_loses_nothing_the_next_one_redelivers_after_the_lease(
    db_url: str, users_url: str, auth_headers: dict[str, str], logs_dir: Path
) -> None:
    with (
        running_stack(name="killed", database_url=db_url, users_url=users_url,
                      headers=auth_headers, logs_dir=logs_dir, webhooks=False,
                      worker_env={**FAST_RETRIES, "WEBHOOK_TIMEOUT_SECONDS": "3"}) as stack,
        running_receiver() as receiver,
    ):  # fmt: skip
        receiver.delay_seconds = 2.0  # each POST is in flight for 2 s
        register(stack, receiver.url)
        emit(stack, a_payment(stack), 5)
        wait_until(lambda: receiver.arrivals > 0, 15, "a delivery in flight")
        [worker] = stack.job_workers
        worker.kill()  # SIGKILL: its leases stay until they expire (3 x 3 s + 5 s)
        killed_at = time.monotonic()
        receiver.delay_seconds = 0.0
        worker.start()
        wait_until(
            lambda: (
                stack.sql("SELECT count(*) FROM pay_deliveries WHERE state = 'delivered'")[0][0]
                == 5
            ),
            60,
            "every delivery recorded delivered by the restarted worker",
        )
        settled = time.monotonic() - killed_at
        ids = collections.Counter(r.headers["webhook-id"] for r in receiver.events())
        assert len(ids) == 5  # every event arrived
        # The POSTs in flight at the kill reached the receiver but were never recorded: they
        # are sent again once their lease expires (at least once, same webhook-id).
        twice = sum(n > 1 for n in ids.values())
        assert twice >= 1
        recorded = stack.sql("SELECT count(*) FROM pay_delivery_attempts")[0][0]
        print(
            f"\nRELIABILITY worker SIGKILL mid-delivery: 5 events, every delivery recorded "
            f"{settled:.1f} s after the kill (lease 14 s); {twice} event(s) sent twice under "
            f"the same webhook-id, {recorded} attempts recorded"
        )


def test_two_workers_on_postgresql_deliver_a_thousand_events_each_once(
    pg_base_url: str, users_url: str, auth_headers: dict[str, str], logs_dir: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    with (
        fresh_database(pg_base_url, tmp_path, "rel_workers") as db_url,
        running_stack(name="workers", database_url=db_url, users_url=users_url,
                      headers=auth_headers, logs_dir=logs_dir, webhooks=False, job_workers=2,
                      worker_env={"WORKER_CONCURRENCY": "8"}) as stack,
        running_receiver() as receiver,
    ):  # fmt: skip
        register(stack, receiver.url)
        payment_id = a_payment(stack)
        started = time.monotonic()
        emit(stack, payment_id, 1000)
        got = receiver.wait_for(lambda _: True, count=1000, timeout=180)
        seconds = time.monotonic() - started
        time.sleep(1)  # a late duplicate would show now
        ids = collections.Counter(r.headers["webhook-id"] for r in receiver.events())
        assert len(ids) == 1000
        assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1][:5]
        per_worker = [_delivered_by(w.url) for w in stack.job_workers]
        assert all(n > 0 for n in per_worker), per_worker  # both took a share
        assert sum(per_worker) == 1000
        print(
            f"\nRELIABILITY two workers on PostgreSQL: 1000 events delivered once each in "
            f"{seconds:.1f} s ({1000 / seconds:.0f}/s), split {per_worker}; {len(got)} POSTs"
        )


def _delivered_by(worker_url: str) -> int:
    metrics = httpx.get(f"{worker_url}/metrics", timeout=5).text
    for line in metrics.splitlines():
        if line.startswith('webhook_deliveries_total{outcome="delivered"}'):
            return int(float(line.split()[-1]))
    return 0


def test_a_slow_receiver_times_out_and_is_retried_while_other_endpoints_are_served(
    db_url: str, users_url: str, auth_headers: dict[str, str], logs_dir: Path
) -> None:
    with (
        running_stack(name="slow", database_url=db_url, users_url=users_url,
                      headers=auth_headers, logs_dir=logs_dir, webhooks=False,
                      worker_env={**FAST_RETRIES, "WORKER_CONCURRENCY": "4"}) as stack,
        running_receiver() as slow,
        running_receiver() as fast,
    ):  # fmt: skip
        slow.delay_seconds = 3.0  # beyond the 1 s timeout
        slow_id = register(stack, slow.url)
        register(stack, fast.url)
        emit(stack, a_payment(stack), 10)
        started = time.monotonic()
        fast.wait_for(lambda _: True, count=10, timeout=30)
        fast_seconds = time.monotonic() - started
        wait_until(
            lambda: (
                sum(a["error"] == "timeout after 1.0 s" for a in attempts(stack, slow_id)) >= 20
            ),
            60,
            "the slow receiver's attempts time out and are retried",
        )
        log = attempts(stack, slow_id)
        assert {a["outcome"] for a in log} == {"failed"}
        assert all(a["latency_ms"] < 2500 for a in log)  # cut at the timeout, not 3 s
        assert _alive(stack.job_workers[0].url)
        print(
            f"\nRELIABILITY slow receiver: 10 events reached the fast endpoint in "
            f"{fast_seconds:.1f} s while the slow one timed out {len(log)} times"
        )


def _alive(worker_url: str) -> bool:
    return httpx.get(f"{worker_url}/healthz", timeout=5).status_code == 200


def test_a_url_that_resolves_to_a_private_address_at_delivery_is_refused_and_nothing_is_sent(
    db_url: str, users_url: str, auth_headers: dict[str, str], logs_dir: Path
) -> None:
    # The API accepted the URL (its policy allows loopback here); by delivery time the worker's
    # policy forbids it: what a DNS answer changed to a private address looks like.
    strict = {**FAST_RETRIES, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "false"}
    with (
        running_stack(name="ssrf", database_url=db_url, users_url=users_url,
                      headers=auth_headers, logs_dir=logs_dir, webhooks=False,
                      worker_env=strict) as stack,
        running_receiver() as receiver,
    ):  # fmt: skip
        endpoint_id = register(stack, receiver.url)
        emit(stack, a_payment(stack), 3)
        wait_until(lambda: len(attempts(stack, endpoint_id)) >= 6, 30, "refused attempts")
        log = attempts(stack, endpoint_id)
        assert {a["outcome"] for a in log} == {"refused"}
        assert all("loopback" in a["error"] for a in log), log[0]["error"]
        assert all(a["status_code"] is None for a in log)
        assert receiver.received == []  # not one byte reached it
        [worker] = stack.job_workers
        assert worker.log_path is not None
        assert "refused by the URL policy" in worker.log_path.read_text()


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
