"""`python -m deploy.migrations wait TARGET`: block until a service's database is migrated.

Kubernetes has no `depends_on: service_completed_successfully`: the migration Job runs the
migrations once, and every API pod starts with an init container that waits here until its
database is at the head revision of the image it runs (a pod of a newer release waits for
that release's Job; a pod of the current one passes at once). It only reads: two pods never
race to migrate. TARGET is `users` or `payments`; the URL is DATABASE_URL.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import time
from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.util.exc import DatabaseNotAtHead

PACKAGES = {"users": "user_management_service", "payments": "payment_api"}


def alembic_config(target: str, database_url: str) -> Config:
    """The service's own Alembic configuration (its CLI's, with the URL as its settings
    normalise it: postgresql:// means psycopg 3), the output kept quiet."""
    package = PACKAGES[target]
    url = importlib.import_module(f"{package}.settings").normalise_database_url(database_url)
    config: Config = importlib.import_module(f"{package}.__main__").alembic_config(url)
    config.stdout = io.StringIO()
    return config


def at_head(target: str, database_url: str) -> bool:
    """True when the database has every head revision of this image's migrations."""
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
    if len(argv) != 2 or argv[0] != "wait" or argv[1] not in PACKAGES:
        print(f"usage: python -m deploy.migrations wait {{{'|'.join(PACKAGES)}}}", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("deploy.migrations: set DATABASE_URL", file=sys.stderr)
        return 2
    timeout = float(os.environ.get("MIGRATION_WAIT_SECONDS", "600"))
    return 0 if wait(argv[1], url, timeout=timeout) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
