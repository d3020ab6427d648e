"""CLI: `python -m payment_api migrate | reconcile | worker | serve | makemigration MESSAGE`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from alembic import command
from alembic.config import Config

from payment_api.settings import SettingsError, get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m payment_api")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations to head")
    sub.add_parser("reconcile", help="repair stale payments and failed webhook events")
    sub.add_parser(
        "worker", help="process Stripe events, deliver outbound events, reconcile on schedule"
    )
    serve = sub.add_parser("serve", help="run uvicorn (development)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
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
    if args.command in ("reconcile", "worker"):
        from payment_api.container import build_container
        from service_kit.logs import UVICORN, configure_logging

        # stderr: stdout is the report
        configure_logging(settings.log_level, settings.log_format, UVICORN)
        container = build_container(settings)
        if args.command == "worker":
            from payment_api.worker import serve as run_worker

            return run_worker(container)
        report = container.reconciler().run()
        print(json.dumps(asdict(report)))
        return 1 if report.errors else 0
    import uvicorn

    uvicorn.run(
        "payment_api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
