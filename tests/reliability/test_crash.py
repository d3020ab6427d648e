"""SIGKILL of the payment service in the middle of a checkout burst loses and doubles nothing."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import (
    custom_body,
    post_until_created,
    retry_stats,
    running_stack,
)

pytestmark = pytest.mark.reliability

CHECKOUTS = 500
CLIENTS = 16
KILL_AFTER = 200  # answered checkouts before the SIGKILL
RETRY_DEADLINE_SECONDS = 150
GATEWAY_DELAY_SECONDS = 0.2


def test_sigkill_mid_burst_then_retries_with_the_same_keys_make_one_payment_per_key(
    db_url: str, users_url: str, auth_headers: dict[str, str], logs_dir: Path
) -> None:
    with running_stack(
        name="crash",
        database_url=db_url,
        users_url=users_url,
        headers=auth_headers,
        logs_dir=logs_dir,
        webhooks=False,
    ) as stack:
        # A slow gateway keeps requests between their first commit (payment + key in progress)
        # and their last (session stored) at the SIGKILL: the window a crash must not break.
        stack.slow_gateway("/v1/checkout/sessions", GATEWAY_DELAY_SECONDS)
        keys = [f"crash-{i:04d}-{time.time_ns()}" for i in range(CHECKOUTS)]
        answers: dict[str, str] = {}  # key -> payment id
        sessions: dict[str, str] = {}  # key -> session id
        lock = threading.Lock()
        answered = threading.Event()
        stats = retry_stats()
        deadline = time.monotonic() + RETRY_DEADLINE_SECONDS

        def create(index: int) -> None:
            key = keys[index]
            with httpx.Client(base_url=stack.url, timeout=10, headers=auth_headers) as client:
                response = post_until_created(
                    client, "/checkout-sessions", custom_body(100 + index), key,
                    deadline=deadline, stats=stats, lock=lock,
                )  # fmt: skip
            if response is None:
                return
            body = response.json()
            with lock:
                answers[key] = body["payment_id"]
                sessions[key] = body["session_id"]
                if len(answers) >= KILL_AFTER:
                    answered.set()

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(create, i) for i in range(CHECKOUTS)]
            assert answered.wait(120), "the burst never reached the kill point"
            killed_at = time.monotonic()
            answered_before_kill = len(answers)
            stack.payment.kill()
            # What the dead process left half-done: keys reserved, their answer never stored.
            cut_short = stack.sql(
                "SELECT count(*) FROM pay_idempotency_keys WHERE status_code IS NULL"
            )[0][0]
            stack.payment.start()
            restart_seconds = time.monotonic() - killed_at
            for future in futures:
                future.result()
        burst_seconds = time.monotonic() - started

        stack.sandbox_call("DELETE", "/_sandbox/faults")
        # The kill cut requests short between their first and last commit; the retries with
        # their keys resumed them (409 while a key still looked in progress).
        assert cut_short > 0, "the SIGKILL hit no request mid-way"
        missing = [k for k in keys if k not in answers]
        assert not missing, f"{len(missing)} keys never answered 201, e.g. {missing[:3]}"
        payment_ids = set(answers.values())
        assert len(payment_ids) == CHECKOUTS
        assert len(set(sessions.values())) == CHECKOUTS

        stored = stack.sql("SELECT id, checkout_session_id FROM pay_payments")
        assert len(stored) == CHECKOUTS, f"{len(stored)} payments for {CHECKOUTS} keys"
        assert {row[0] for row in stored} == payment_ids
        assert all(row[1] for row in stored), "a payment without its gateway session"

        gateway = stack.sandbox_sessions()
        assert len(gateway) == CHECKOUTS, f"{len(gateway)} sandbox sessions for {CHECKOUTS} keys"
        assert {s["metadata"]["payment_id"] for s in gateway} == payment_ids

        # Close every session at the gateway with webhooks lost; reconcile must close them all.
        for n, session_id in enumerate(sorted(sessions.values())):
            if n % 2:
                stack.sandbox_call("POST", f"/_sandbox/checkout/sessions/{session_id}/expire")
            else:
                stack.sandbox_call(
                    "POST",
                    f"/_sandbox/checkout/sessions/{session_id}/complete",
                    json={"outcome": "paid"},
                )
        reconcile_started = time.monotonic()
        report = stack.reconcile()
        reconcile_seconds = time.monotonic() - reconcile_started
        assert report["errors"] == []
        statuses = dict(stack.sql("SELECT status, count(*) FROM pay_payments GROUP BY status"))
        assert statuses == {"succeeded": CHECKOUTS // 2, "expired": CHECKOUTS - CHECKOUTS // 2}

        print(
            f"\nRELIABILITY crash: {CHECKOUTS} checkouts, {CLIENTS} clients, gateway delay "
            f"{GATEWAY_DELAY_SECONDS:g}s, SIGKILL after "
            f"{answered_before_kill} answers; restart {restart_seconds:.1f}s; "
            f"unanswered requests {stats['unanswered']}, retries {stats['retries']}, "
            f"{cut_short} cut short by the kill, 409 in progress {stats['in_progress_409']}, "
            f"5xx {stats['status_5xx']}; "
            f"burst {burst_seconds:.1f}s; payments {len(stored)} = keys {CHECKOUTS} = sandbox "
            f"sessions {len(gateway)}; reconcile closed {report['payments_changed']} in "
            f"{reconcile_seconds:.1f}s; statuses {statuses}"
        )
