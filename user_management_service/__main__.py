"""CLI: `python -m user_management_service migrate | serve | makemigration MESSAGE`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from user_management_service.settings import SettingsError, get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m user_management_service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations to head")
    serve = sub.add_parser("serve", help="migrate, then run gunicorn (production server)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=2)
    make = sub.add_parser("makemigration", help="autogenerate a migration (developers)")
    make.add_argument("message")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2

    if args.command == "migrate":
        command.upgrade(alembic_config(settings.database_url), "head")
        return 0
    if args.command == "makemigration":
        command.revision(
            alembic_config(settings.database_url), message=args.message, autogenerate=True
        )
        return 0
    command.upgrade(alembic_config(settings.database_url), "head")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    os.execv(  # noqa: S606 (gunicorn replaces this process: signals reach it directly)
        gunicorn,
        [
            str(gunicorn),
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "user_management_service.wsgi:app",
        ],
    )
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
