"""The raw driver of the limit baselines: `sqlite3` or `psycopg`, as the run's database is.

One connection per thread (opened on first use, after the server forked its workers), in
autocommit: every statement is its own transaction, the least a correct read or insert needs.
Statements are written with `?` placeholders and turned into psycopg's `%s` once, when made.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url


class RawDatabase:
    def __init__(self, url: str, timeout: float) -> None:
        """`url`: the service's DATABASE_URL (SQLAlchemy form); `timeout`: its wait bound."""
        parsed = make_url(url)
        self.postgres = parsed.get_backend_name() == "postgresql"
        if self.postgres:
            self.dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        else:
            self.dsn = str(parsed.database)
        self.timeout = timeout
        self._local = threading.local()

    def statement(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.postgres:
                import psycopg

                conn = psycopg.connect(
                    self.dsn, autocommit=True, connect_timeout=max(1, int(self.timeout))
                )
            else:
                conn = sqlite3.connect(
                    self.dsn, timeout=self.timeout, isolation_level=None, check_same_thread=False
                )
            self._local.conn = conn
        return conn

    def columns(self, table: str) -> list[str]:
        """The names of `table`'s columns (read once, at start)."""
        cur = self.connection().execute(f"SELECT * FROM {table} WHERE 1 = 0")  # noqa: S608
        try:
            return [d[0] for d in cur.description or ()]
        finally:
            cur.close()

    def rows(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cur = self.connection().execute(statement, params)
        try:
            return list(cur.fetchall())
        finally:
            cur.close()

    def write(self, statement: str, params: tuple[Any, ...]) -> int:
        """One statement, one transaction; the number of rows it changed."""
        cur = self.connection().execute(statement, params)
        try:
            return int(cur.rowcount)
        finally:
            cur.close()

    def timestamp(self, moment: datetime | None = None) -> Any:
        """An aware time (default: now) as a parameter, as the services' UTC columns store it:
        a datetime for psycopg, SQLAlchemy's text form on SQLite."""
        moment = (moment or datetime.now(UTC)).astimezone(UTC)
        if self.postgres:
            return moment
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def rfc3339(value: Any) -> str | None:
    """A stored UTC timestamp (SQLite's text, PostgreSQL's datetime) as RFC 3339 with `Z`."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value).replace(" ", "T", 1) + "Z"
