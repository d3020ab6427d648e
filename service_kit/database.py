"""Engine and session factory for SQLite (file, WAL) and PostgreSQL (psycopg 3), every wait bounded
by one timeout (a service's DATABASE_TIMEOUT_SECONDS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_TIMEOUT_SECONDS = 10.0
# Sized for a worker answering up to anyio's 40 threads at once (the payment service); a gunicorn
# sync worker opens one. Connections open lazily and are handed out last-in first-out, so the few
# busy ones stay hot instead of each warming its own page cache in turn (bench/RESULTS.md).
SQLITE_POOL_SIZE = 40
SQLITE_MAX_OVERFLOW = 10
# PostgreSQL: server connections are the scarce resource (max_connections is shared by every
# worker of every service).
POSTGRES_POOL_SIZE = 10
POSTGRES_MAX_OVERFLOW = 10


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Engine:
    """`timeout` bounds every wait on the database: connecting, a pool slot, a lock, a statement
    (PostgreSQL), the busy lock (SQLite). Past it the caller gets OperationalError, which both
    services answer as a 503 problem, instead of hanging."""
    parsed = make_url(url)
    wait_ms = int(timeout * 1000)
    if parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        if not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        pool: dict[str, Any] = (
            {}
            if in_memory
            else {
                "pool_timeout": timeout,
                "pool_size": SQLITE_POOL_SIZE,
                "max_overflow": SQLITE_MAX_OVERFLOW,
                "pool_use_lifo": True,
            }
        )
        engine = create_engine(
            url, connect_args={"timeout": timeout, "check_same_thread": False}, **pool
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={wait_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        pool_use_lifo=True,
        pool_timeout=timeout,
        connect_args={
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={wait_ms} -c lock_timeout={wait_ms}",
        },
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Objects stay readable after commit: services return what they stored."""
    return sessionmaker(engine, expire_on_commit=False)
