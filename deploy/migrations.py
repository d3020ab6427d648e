"""`python -m deploy.migrations wait TARGET`: block until a service's database is migrated;
`python -m deploy.migrations migrate web`: create the web's session tables.

Kubernetes has no `depends_on: service_completed_successfully`: the migration Job runs the
migrations once, and every API pod starts with an init container that waits here until its
database is at the head revision of the image it runs (a pod of a newer release waits for
that release's Job; a pod of the current one passes at once). It only reads: two pods never
race to migrate. TARGET is `users`, `payments` or `web`; the URL is DATABASE_URL.

The web has no Alembic history: its tables (web.sessions) are created by its own start-up
code when missing. `migrate web` runs that code once, before the replicas start, so that two
replicas never race to create them on PostgreSQL; the web's database is "at head" once every
table exists.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import time
from collections.abc import Callable

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.util.exc import DatabaseNotAtHead

PACKAGES = {"users": "user_management_service", "payments": "payment_api"}
WEB = "web"
TARGETS = [*PACKAGES, WEB]


def alembic_config(target: str, database_url: str) -> Config:
    """The service's own Alembic configuration (its CLI's, with the URL as its settings
    normalise it: postgresql:// means psycopg 3), the output kept quiet."""
    package = PACKAGES[target]
    url = importlib.import_module(f"{package}.settings").normalise_database_url(database_url)
    config: Config = importlib.import_module(f"{package}.__main__").alembic_config(url)
    config.stdout = io.StringIO()
    return config


def web_database_url(database_url: str) -> str:
    """The URL as the web's settings normalise it (postgresql:// means psycopg 3)."""
    from web.settings import Settings

    return Settings(database_url=database_url).database_url


def migrate_web(database_url: str) -> None:
    """The web's tables, created exactly as the web creates them on start."""
    from web.sessions import SessionStore

    SessionStore(web_database_url(database_url), idle_seconds=60).engine.dispose()


def web_at_head(database_url: str) -> bool:
    """Every table of the web's (web.sessions.metadata) exists."""
    from web.sessions import metadata

    engine = sqlalchemy.create_engine(web_database_url(database_url))
    try:
        found = set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return set(metadata.tables) <= found


def at_head(target: str, database_url: str) -> bool:
    """True when the database has every head revision of this image's migrations."""
    if target == WEB:
        return web_at_head(database_url)
    try:
        command.current(alembic_config(target, database_url), check_heads=True)
    except DatabaseNotAtHead:
        return False
    return True


def wait(
    target: str,
    database_url: str,
    *,
    timeout: float,
    every: float = 2.0,
    say: Callable[[str], None] = print,
) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if at_head(target, database_url):
                say(f"{target}: database at head")
                return True
            reason = "not at head yet"
        except Exception as exc:  # unreachable or not created yet: keep waiting
            reason = type(exc).__name__
        if time.monotonic() > deadline:
            say(f"{target}: gave up after {timeout:.0f} s ({reason})")
            return False
        say(f"{target}: waiting for the migration ({reason})")
        time.sleep(every)


def main(argv: list[str]) -> int:
    usage = f"usage: python -m deploy.migrations wait {{{'|'.join(TARGETS)}}} | migrate {WEB}"
    if argv not in (["migrate", WEB], *(["wait", target] for target in TARGETS)):
        print(usage, file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("deploy.migrations: set DATABASE_URL", file=sys.stderr)
        return 2
    if argv[0] == "migrate":
        migrate_web(url)
        print(f"{WEB}: session tables ready")
        return 0
    timeout = float(os.environ.get("MIGRATION_WAIT_SECONDS", "600"))
    return 0 if wait(argv[1], url, timeout=timeout) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
