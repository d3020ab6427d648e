"""CLI: `python -m user_management_service migrate | serve | worker | create-admin |
rotate-key | unlock --email EMAIL | makemigration MESSAGE`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config

from user_management_service.settings import Settings, SettingsError, get_settings

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
    sub.add_parser("worker", help="send the queued mail (SMTP_* settings) until SIGTERM")
    admin = sub.add_parser(
        "create-admin",
        help="create an admin (or promote the active user with this email and set its password)",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--password", help="else the ADMIN_PASSWORD environment variable, else a prompt"
    )
    sub.add_parser(
        "rotate-key",
        help="add a new token signing key; prune keys retired longer than an access token lives",
    )
    unlock = sub.add_parser(
        "unlock", help="forget an account's failed logins from every address (see unlockUser)"
    )
    unlock.add_argument("--email", required=True)
    reset_mfa = sub.add_parser(
        "reset-mfa", help="remove a user's second factor (lost phone and codes; resetUserMfa)"
    )
    reset_mfa.add_argument("--email", required=True)
    client = sub.add_parser(
        "create-api-client", help="create an API client and print its id and secret (once)"
    )
    client.add_argument("--name", required=True)
    client.add_argument("--scope", action="append", required=True, help="repeat for each scope")
    client.add_argument("--expires-at", help="ISO 8601 with an offset, e.g. 2027-12-31T00:00Z")
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
    if args.command == "create-admin":
        command.upgrade(alembic_config(settings.database_url), "head")
        return create_admin(settings, args.email, args.password)
    if args.command == "rotate-key":
        return rotate_key(settings)
    if args.command in ("unlock", "reset-mfa"):
        return operate_on_user(settings, args.command, args.email)
    if args.command == "create-api-client":
        command.upgrade(alembic_config(settings.database_url), "head")
        return create_api_client(settings, args.name, args.scope, args.expires_at)
    if args.command == "worker":
        from service_kit.logs import GUNICORN, configure_logging
        from user_management_service.container import build_container
        from user_management_service.worker import serve as serve_worker

        configure_logging(settings.log_level, settings.log_format, GUNICORN)
        container = build_container(settings)
        try:
            return serve_worker(container)
        finally:
            container.close()
    if args.command == "makemigration":
        command.revision(
            alembic_config(settings.database_url), message=args.message, autogenerate=True
        )
        return 0
    command.upgrade(alembic_config(settings.database_url), "head")
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The workers share one metrics directory: /metrics then sums all of them.
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="user-service-metrics-")
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


def operate_on_user(settings: Settings, what: str, email: str) -> int:
    """The operator's unlock or second-factor reset of the active user with this email
    (audited as the operator)."""
    from user_management_service.container import build_container
    from user_management_service.domain.audit import OPERATOR
    from user_management_service.domain.errors import MfaStateError
    from user_management_service.domain.users import Status

    container = build_container(settings)
    try:
        found = container.users.list(1, email=email, status=Status.ACTIVE).items
        if not found:
            print(f"no active user has the email {email}", file=sys.stderr)
            return 1
        if what == "unlock":
            cleared = container.auth.unlock(found[0], OPERATOR)
            print(f"unlocked {email}: {cleared} counter(s) cleared")
            return 0
        try:
            container.mfa.reset(found[0].id, OPERATOR)
        except MfaStateError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"removed the second factor of {email}: the password alone signs in again")
        return 0
    finally:
        container.end_session()


def create_api_client(
    settings: Settings, name: str, scopes: list[str], expires_at: str | None
) -> int:
    from datetime import datetime

    from user_management_service.container import build_container
    from user_management_service.domain.audit import OPERATOR
    from user_management_service.domain.errors import InvalidScopeError

    try:
        expiry = datetime.fromisoformat(expires_at) if expires_at else None
    except ValueError:
        print(f"--expires-at: not an ISO 8601 date-time: {expires_at}", file=sys.stderr)
        return 2
    if expiry is not None and expiry.tzinfo is None:
        print("--expires-at needs an offset (Z or +hh:mm)", file=sys.stderr)
        return 2
    container = build_container(settings)
    try:
        created = container.api_clients.create(name, scopes, expiry, OPERATOR)
    except InvalidScopeError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        container.end_session()
    print(f"client_id={created.client.id}")
    print(f"client_secret={created.secret}")  # shown this once: keep it in a secret store
    return 0


def create_admin(settings: Settings, email: str, password: str | None) -> int:
    from marshmallow import ValidationError

    from user_management_service.api.schemas import email_field, password_field
    from user_management_service.container import build_container

    password = password or os.environ.get("ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("Password for the admin: ")
        if getpass.getpass("Same password again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    try:
        email_field().deserialize(email)
        password_field().deserialize(password)
    except ValidationError as exc:
        print(f"refused: {' '.join(map(str, exc.messages))}", file=sys.stderr)
        return 2
    container = build_container(settings)
    try:
        user, created = container.users.ensure_admin(email, password)
    finally:
        container.close()
    print(f"{'created' if created else 'updated'} admin {user.email} ({user.id})")
    return 0


def rotate_key(settings: Settings) -> int:
    from user_management_service.adapters.keys import KeyStore

    store = KeyStore(settings.jwt_keys_dir)
    # A retired key keeps verifying (and stays in the JWKS) as long as the tokens it signed
    # live, plus a minute for clock skew and JWKS caches.
    retire_after = timedelta(seconds=settings.access_token_ttl_seconds + 60)
    key = store.rotate(retire_after)
    kept = [path.stem for path in sorted(settings.jwt_keys_dir.glob("*.pem"))]
    print(f"new signing key {key.kid}; published keys: {', '.join(kept)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
