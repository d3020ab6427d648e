"""Engine and session factory for SQLite (file, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_TIMEOUT_SECONDS = 10.0
# Sync endpoints run in anyio's thread pool (40 threads by default); a SQLite file pool at least
# that large keeps every connection open instead of opening (and running the PRAGMAs on) an
# overflow connection per request under load. Connections are opened lazily, only as many as
# run concurrently, and handed out last-in first-out: the few busy ones stay hot instead of
# every pooled connection warming its own page cache in turn (the bench saw a worker's RSS
# climb from 140 to 255 MiB with the default FIFO order). PostgreSQL keeps 10 + 10 per
# worker: server connections are the scarce resource there (max_connections is shared by
# every worker of every service).
SQLITE_POOL_SIZE = 40
SQLITE_MAX_OVERFLOW = 10


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Engine:
    """`timeout` bounds every wait on the database: connecting, a pool slot, a lock, a
    statement (PostgreSQL), the busy lock (SQLite). Past it the request fails with
    OperationalError, answered as a 503 problem, instead of hanging."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        in_memory = not parsed.database or parsed.database == ":memory:"
        engine = create_engine(
            url,
            connect_args={"timeout": timeout, "check_same_thread": False},
            **(
                {}
                if in_memory
                else {
                    "pool_timeout": timeout,
                    "pool_size": SQLITE_POOL_SIZE,
                    "max_overflow": SQLITE_MAX_OVERFLOW,
                    "pool_use_lifo": True,
                }
            ),
        )
        busy_ms = int(timeout * 1000)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    wait_ms = int(timeout * 1000)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_use_lifo=True,
        pool_timeout=timeout,
        connect_args={
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={wait_ms} -c lock_timeout={wait_ms}",
        },
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
