"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database per run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def is_postgres(url: str | None) -> bool:
    return bool(url) and make_url(url or "").get_backend_name() == "postgresql"


@contextmanager
def fresh_database(base_url: str | None, tmp_dir: Path, name: str) -> Iterator[str]:
    """Yield the URL of an empty database named after `name`.

    With a PostgreSQL `base_url` (e.g. TEST_DATABASE_URL) a new database is created on that
    server and dropped afterwards; otherwise a new SQLite file under `tmp_dir` is used.
    """
    if not is_postgres(base_url):
        yield f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
        return
    url = make_url(base_url or "").set(drivername="postgresql+psycopg")
    db_name = f"{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        yield url.set(database=db_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
