"""The user service's database down, hung or locked: 503 problems within DATABASE_TIMEOUT_SECONDS,
liveness and the JWKS kept, recovery without a restart.

A private user service (gunicorn, 2 workers) runs on its own PostgreSQL database, made
unavailable by refusing connections (`ALLOW_CONNECTIONS false` plus terminating its sessions) or
hung by an ACCESS EXCLUSIVE lock on the users table; on SQLite, another process holding the
write lock is the outage.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devstack import services
from devstack.auth import TokenPair, login
from devstack.databases import fresh_database
from devstack.processes import ServerProcess, free_port
from tests.reliability.conftest import is_problem
from tests.reliability.test_database_down import admin_connection

pytestmark = pytest.mark.reliability

DB_TIMEOUT_SECONDS = 5.0
ANSWER_BOUND_SECONDS = DB_TIMEOUT_SECONDS + 3.0
PASSWORD = "a long enough passphrase"


@contextmanager
def user_service(database_url: str, tmp_path: Path, logs_dir: Path, name: str) -> Iterator[Any]:
    server = services.user_service(
        free_port(),
        database_url,
        workers=2,
        keys_dir=tmp_path / "keys",
        env={"DATABASE_TIMEOUT_SECONDS": str(DB_TIMEOUT_SECONDS)},
        log_path=logs_dir / f"{name}-user-service.log",
    ).start()
    try:
        yield server
    finally:
        server.stop()


def timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[int, float]:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    took = time.monotonic() - started
    assert response.status_code < 500 or is_problem(response), response.text
    return response.status_code, took


def new_user_body() -> dict[str, str]:
    return {
        "email": f"u-{uuid.uuid4().hex[:12]}@example.com",
        "full_name": "U",
        "password": PASSWORD,
    }


def outage_cases(admin: TokenPair, admin_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every kind of use case: the caller's lookup, reads, a write, a login, a refresh."""
    bearer = {"headers": admin.headers}
    return [
        ("GET", f"/users/{admin_id}", bearer),
        ("GET", "/users/me", bearer),
        ("GET", "/users", bearer),
        ("POST", "/users", {"json": new_user_body()}),
        (
            "POST",
            "/auth/token",
            {
                "data": {
                    "username": services.DEV_ADMIN_EMAIL,
                    "password": services.DEV_ADMIN_PASSWORD,
                }
            },
        ),
        ("POST", "/auth/refresh", {"json": {"refresh_token": admin.refresh_token}}),
    ]


def check_outage(
    api: httpx.Client, admin: TokenPair, admin_id: str, label: str, figures: list[str]
) -> None:
    worst = 0.0
    cases = outage_cases(admin, admin_id)
    for method, path, kwargs in cases:
        status, took = timed(api, method, path, **kwargs)
        worst = max(worst, took)
        assert status == 503, (label, method, path, status)
        assert took < ANSWER_BOUND_SECONDS, (label, method, path, took)
    for path in ("/healthz", "/.well-known/jwks.json"):  # no database: still answered
        assert api.get(path).status_code == 200, (label, path)
    figures.append(f"{label}: {len(cases)} requests 503 (slowest {worst:.2f}s)")


def check_recovered(
    api: httpx.Client, admin: TokenPair, admin_id: str, label: str, figures: list[str]
) -> None:
    since = time.monotonic()
    deadline = since + 30
    while api.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, f"{label}: not ready again"
        time.sleep(0.1)
    ready = time.monotonic() - since
    assert api.get(f"/users/{admin_id}", headers=admin.headers).status_code == 200
    assert api.post("/users", json=new_user_body()).status_code == 201
    # The refresh answered 503 was rolled back: the same refresh token still works once.
    again = api.post("/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert again.status_code == 200, (label, again.text)
    figures.append(f"{label}: ready again {ready:.2f}s after the database came back")


def fresh_admin(server: ServerProcess) -> tuple[TokenPair, str]:
    tokens = login(server.url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    me = httpx.get(f"{server.url}/users/me", headers=tokens.headers, timeout=10)
    assert me.status_code == 200, me.text
    return tokens, str(me.json()["id"])


def test_user_service_postgres_refused_or_locked_503_within_timeout_and_recovers(
    pg_base_url: str, logs_dir: Path, tmp_path: Path
) -> None:
    figures: list[str] = []
    with (
        fresh_database(pg_base_url, tmp_path, "rel_users_dbdown") as db_url,
        user_service(db_url, tmp_path, logs_dir, "dbdown") as server,
        httpx.Client(base_url=server.url, timeout=60) as api,
    ):
        db_name = make_url(db_url).database

        # 1) Hung: the users table is locked by another session; every use case reads it.
        admin, admin_id = fresh_admin(server)
        locker = create_engine(db_url)
        try:
            with locker.connect() as conn:
                conn.execute(text("BEGIN"))
                conn.execute(text("LOCK TABLE ums_users IN ACCESS EXCLUSIVE MODE"))
                try:
                    # The server answers (SELECT 1 is fine): ready, but locked queries time out.
                    assert api.get("/readyz").status_code == 200
                    check_outage(api, admin, admin_id, "locked users table", figures)
                finally:
                    conn.execute(text("ROLLBACK"))
            check_recovered(api, admin, admin_id, "locked users table", figures)
        finally:
            locker.dispose()

        # 2) Refused: no new connections, the existing ones terminated.
        admin, admin_id = fresh_admin(server)
        with admin_connection(pg_base_url) as superuser:
            superuser.execute(text(f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS false'))
            try:
                superuser.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": db_name},
                )
                status, _ = timed(api, "GET", "/readyz")
                assert status == 503
                check_outage(api, admin, admin_id, "refused connections", figures)
            finally:
                superuser.execute(text(f'ALTER DATABASE "{db_name}" ALLOW_CONNECTIONS true'))
        check_recovered(api, admin, admin_id, "refused connections", figures)
    print(
        f"\nRELIABILITY user service database (PostgreSQL, DATABASE_TIMEOUT_SECONDS="
        f"{DB_TIMEOUT_SECONDS:g}): " + "; ".join(figures)
    )


def test_user_service_sqlite_write_lock_503_within_timeout_reads_served(
    logs_dir: Path, tmp_path: Path
) -> None:
    db_file = tmp_path / "users-locked.sqlite3"
    with (
        user_service(f"sqlite:///{db_file}", tmp_path, logs_dir, "sqlitelock") as server,
        httpx.Client(base_url=server.url, timeout=60) as api,
    ):
        admin, admin_id = fresh_admin(server)
        holder = sqlite3.connect(db_file, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            status, took = timed(api, "POST", "/users", json=new_user_body())
            assert status == 503
            assert took < ANSWER_BOUND_SECONDS
            read, _ = timed(api, "GET", f"/users/{admin_id}", headers=admin.headers)
            assert read == 200  # WAL: readers are not blocked by the writer
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert api.post("/users", json=new_user_body()).status_code == 201
    print(
        f"\nRELIABILITY user service database locked (SQLite): registration 503 in {took:.2f}s "
        f"(DATABASE_TIMEOUT_SECONDS={DB_TIMEOUT_SECONDS:g}), reads served, recovered"
    )
