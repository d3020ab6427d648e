"""Database down and back, on a dedicated PostgreSQL database of this test.

The shared server keeps running (other suites use it): the test's own database is made
unavailable with `ALTER DATABASE ... ALLOW_CONNECTIONS false` plus terminating its sessions
(refused), or by holding an ACCESS EXCLUSIVE lock on the payments table (hung). The payment
service must answer 503 problems within its documented database timeout, keep /healthz alive,
refuse webhooks (so the gateway retries them), and recover without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devstack.databases import fresh_database
from tests.payment.helpers import event_payload, sign
from tests.reliability.conftest import custom_body, is_problem, running_stack

pytestmark = pytest.mark.reliability

# The payment service's database timeout (statement/lock wait) plus a margin for the answer.
DB_TIMEOUT_SECONDS = 5.0
ANSWER_BOUND_SECONDS = DB_TIMEOUT_SECONDS + 3.0


@contextmanager
def admin_connection(base_url: str) -> Iterator[Any]:
    engine = create_engine(
        make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[int, float, bool]:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    took = time.monotonic() - started
    assert response.status_code < 500 or is_problem(response), response.text
    return response.status_code, took, is_problem(response)


def test_postgres_database_down_and_back_503_within_timeout_and_recovers_without_restart(
    pg_base_url: str,
    users_url: str,
    auth_headers: dict[str, str],
    logs_dir: Path,
    tmp_path: Path,
) -> None:
    with (
        fresh_database(pg_base_url, tmp_path, "rel_dbdown") as db_url,
        running_stack(
            name="dbdown",
            database_url=db_url,
            users_url=users_url,
            headers=auth_headers,
            logs_dir=logs_dir,
            env={"DATABASE_TIMEOUT_SECONDS": str(DB_TIMEOUT_SECONDS)},
        ) as stack,
        httpx.Client(base_url=stack.url, headers=auth_headers, timeout=60) as api,
    ):
        db_name = make_url(db_url).database
        first = api.post("/checkout-sessions", json=custom_body(1000))
        assert first.status_code == 201, first.text
        figures: list[str] = []

        def outage_checks(label: str, *, readiness: bool) -> None:
            cases: list[tuple[str, str, dict[str, Any]]] = (
                [("GET", "/readyz", {})] if readiness else []
            )
            cases += [
                ("GET", "/payments", {}),
                ("GET", f"/payments/{first.json()['payment_id']}", {}),
                ("POST", "/checkout-sessions", {"json": custom_body(1001)}),
            ]
            payload = event_payload("customer.created", {"id": "cus_outage"})
            cases.append(
                ("POST", "/webhooks/stripe", {
                    "content": payload,
                    "headers": {"Stripe-Signature": sign(payload),
                                "content-type": "application/json"},
                })
            )  # fmt: skip
            worst = 0.0
            for method, path, kwargs in cases:
                status, took, problem = timed(api, method, path, **kwargs)
                worst = max(worst, took)
                assert status == 503, (label, method, path, status)
                assert problem
                assert took < ANSWER_BOUND_SECONDS, (label, method, path, took)
            status, took, _ = timed(api, "GET", "/healthz")
            assert status == 200  # alive: the orchestrator must not kill it for this
            figures.append(f"{label}: {len(cases)} requests 503 (slowest {worst:.2f}s)")

        def recovered(label: str, since: float) -> None:
            deadline = time.monotonic() + 30
            while api.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "not ready again after the database came back"
                time.sleep(0.1)
            ready = time.monotonic() - since
            again = api.post("/checkout-sessions", json=custom_body(1002))
            assert again.status_code == 201, again.text
            figures.append(f"{label}: ready again {ready:.2f}s after the database came back")

        # 1) Refused: no new connections, existing ones terminated.
        with admin_connection(pg_base_url) as admin:
            admin.execute(text(f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS false'))
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": db_name},
            )
            try:
                # A payment is paid while the database is away: its webhook must wait.
                stack.sandbox_call(
                    "POST",
                    f"/_sandbox/checkout/sessions/{first.json()['session_id']}/complete",
                    json={"outcome": "paid"},
                )
                outage_checks("refused connections", readiness=True)
            finally:
                admin.execute(text(f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS true'))
            recovered("refused connections", time.monotonic())
        deadline = time.monotonic() + 15
        while api.get(f"/payments/{first.json()['payment_id']}").json()["status"] != "succeeded":
            assert time.monotonic() < deadline, "the webhook refused during the outage was lost"
            time.sleep(0.1)
        figures.append("webhook refused during the outage delivered by the gateway's retry")

        # 2) Hung: the payments table is locked by another session; queries wait.
        locker = create_engine(db_url)
        try:
            with locker.connect() as conn:
                conn.execute(text("BEGIN"))
                conn.execute(text("LOCK TABLE pay_payments IN ACCESS EXCLUSIVE MODE"))
                conn.execute(text("LOCK TABLE pay_webhook_events IN ACCESS EXCLUSIVE MODE"))
                try:
                    # The server answers (SELECT 1 is fine): ready, but locked queries time out.
                    outage_checks("locked tables", readiness=False)
                finally:
                    conn.execute(text("ROLLBACK"))
                recovered("locked tables", time.monotonic())
        finally:
            locker.dispose()
        print("\nRELIABILITY database down (PostgreSQL): " + "; ".join(figures))


def test_sqlite_database_locked_answers_503_within_timeout_and_recovers(
    users_url: str, auth_headers: dict[str, str], logs_dir: Path, tmp_path: Path
) -> None:
    """SQLite cannot be "stopped": another process holding the write lock is its outage."""
    import sqlite3

    db_file = tmp_path / "locked.sqlite3"
    with (
        running_stack(
            name="sqlitelock",
            database_url=f"sqlite:///{db_file}",
            users_url=users_url,
            headers=auth_headers,
            logs_dir=logs_dir,
            env={"DATABASE_TIMEOUT_SECONDS": str(DB_TIMEOUT_SECONDS)},
        ) as stack,
        httpx.Client(base_url=stack.url, headers=auth_headers, timeout=60) as api,
    ):
        assert api.post("/checkout-sessions", json=custom_body(1)).status_code == 201
        holder = sqlite3.connect(db_file, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            status, took, problem = timed(api, "POST", "/checkout-sessions", json=custom_body(2))
            assert (status, problem) == (503, True)
            assert took < ANSWER_BOUND_SECONDS
            reads, _, _ = timed(api, "GET", "/payments")
            assert reads == 200  # WAL: readers are not blocked by the writer
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert api.post("/checkout-sessions", json=custom_body(3)).status_code == 201
        rows = stack.sql("SELECT status FROM pay_payments")
        assert len(rows) == 2, "the refused checkout left a record"
        print(
            f"\nRELIABILITY database locked (SQLite): checkout 503 in {took:.2f}s "
            f"(DATABASE_TIMEOUT_SECONDS={DB_TIMEOUT_SECONDS:g}), reads served, recovered"
        )
