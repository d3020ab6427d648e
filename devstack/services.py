"""How each process of the platform is started, in one place.

`make run`, the pytest fixtures, `make contract-test`, the reliability tests and the
benchmarks all start the services through these functions, with production servers:
gunicorn for the user service, uvicorn for the payment service and the sandbox.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from devstack.processes import ServerProcess, python_argv

SANDBOX_API_KEY = "sk_test_sandbox"  # the sandbox accepts any sk_test_ key
SANDBOX_WEBHOOK_SECRET = "whsec_sandbox_local_development_secret"  # noqa: S105
# The admin every launched user service bootstraps (make run prints it; tests log in with it).
DEV_ADMIN_EMAIL = "admin@example.com"
DEV_ADMIN_PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105 (development only)


def default_keys_dir(database_url: str) -> Path | None:
    """Signing keys next to a SQLite file; None (the service's default) otherwise."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        return Path(database_url[len(prefix) :]).parent / "keys"
    return None


def metrics_dir(name: str) -> dict[str, str]:
    """A fresh PROMETHEUS_MULTIPROC_DIR: the workers of one server share it, so its /metrics
    sums every worker (not only the one that answered the scrape)."""
    return {"PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix=f"{name}-metrics-")}


def migrate(module: str, env: Mapping[str, str]) -> None:
    """Run a service's Alembic migrations to head before its server starts."""
    import os

    subprocess.run(python_argv("-m", module, "migrate"), check=True, env={**os.environ, **env})


def user_service(
    port: int,
    database_url: str,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    keys_dir: Path | None = None,
    cors_allowed_origins: list[str] | None = None,
) -> ServerProcess:
    """gunicorn user service; it bootstraps DEV_ADMIN_EMAIL as admin unless `env` says else.

    `cors_allowed_origins`: browser origins that may log in across origins (the payment
    service's Swagger UI, whose OAuth2 form posts to our /auth/token): CORS_ALLOWED_ORIGINS.
    """
    keys_dir = keys_dir or default_keys_dir(database_url)
    full_env = {
        "DATABASE_URL": database_url,
        "BOOTSTRAP_ADMIN_EMAIL": DEV_ADMIN_EMAIL,
        "BOOTSTRAP_ADMIN_PASSWORD": DEV_ADMIN_PASSWORD,
        **({"JWT_KEYS_DIR": str(keys_dir)} if keys_dir else {}),
        **(
            {"CORS_ALLOWED_ORIGINS": ",".join(cors_allowed_origins)} if cors_allowed_origins else {}
        ),
        **metrics_dir("user-service"),
        **(env or {}),
    }
    migrate("user_management_service", full_env)
    argv = python_argv(
        "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--graceful-timeout", "10",
        "user_management_service.wsgi:app",
    )  # fmt: skip
    return ServerProcess("user-service", argv, port, full_env, log_path=log_path)


def user_worker(
    port: int,
    service_env: Mapping[str, str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> ServerProcess:
    """`python -m user_management_service worker` (sends the queued mail) beside a user
    service (its settings, `service_env`), /healthz and /metrics on `port`."""
    full_env = {
        **{k: v for k, v in service_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "WORKER_HTTP_PORT": str(port),
        "WORKER_POLL_SECONDS": "0.2",
        **(env or {}),
    }
    argv = python_argv("-m", "user_management_service", "worker")
    return ServerProcess("user-worker", argv, port, full_env, log_path=log_path)


def mail_sink(
    http_port: int, smtp_port: int, folder: Path, *, log_path: Path | None = None
) -> ServerProcess:
    """The local SMTP sink (mail_sink/): mail sent to `smtp_port` is kept in
    `folder`; /healthz on `http_port`. Point a user service at it with `smtp_env`."""
    argv = python_argv(
        "-m", "mail_sink",
        "--smtp-port", str(smtp_port),
        "--http-port", str(http_port),
        "--dir", str(folder),
    )  # fmt: skip
    return ServerProcess("mail-sink", argv, http_port, {}, log_path=log_path)


def smtp_env(smtp_port: int) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none"}


def stripe_sandbox(
    port: int,
    *,
    webhook_urls: list[str] | None = None,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> ServerProcess:
    full_env = {
        "SANDBOX_WEBHOOK_URLS": ",".join(webhook_urls or []),
        "SANDBOX_WEBHOOK_SECRET": SANDBOX_WEBHOOK_SECRET,
        "SANDBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    argv = python_argv("-m", "stripe_sandbox", "--host", "127.0.0.1", "--port", str(port))
    return ServerProcess("stripe-sandbox", argv, port, full_env, log_path=log_path)


def browser_origins(port: int) -> list[str]:
    """The origins a browser may show a service on this loopback port under."""
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


def payment_env(
    port: int,
    database_url: str,
    *,
    user_service_url: str,
    sandbox_url: str | None,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The settings the payment service and its worker share."""
    return {
        "DATABASE_URL": database_url,
        "USER_SERVICE_URL": user_service_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # Merchants' endpoints on this machine (tests, make run): loopback over plain HTTP.
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        **metrics_dir("payment-service"),
        **(
            {
                "STRIPE_API_KEY": SANDBOX_API_KEY,
                "STRIPE_API_BASE": sandbox_url,
                "STRIPE_WEBHOOK_SECRETS": SANDBOX_WEBHOOK_SECRET,
            }
            if sandbox_url
            else {}
        ),
        **(env or {}),
    }


def payment_service(
    port: int,
    database_url: str,
    *,
    user_service_url: str,
    sandbox_url: str | None,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> ServerProcess:
    full_env = payment_env(
        port, database_url, user_service_url=user_service_url, sandbox_url=sandbox_url, env=env
    )
    migrate("payment_api", full_env)
    argv = python_argv(
        "-m", "uvicorn",
        "--factory", "payment_api.main:create_app",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(workers),
        "--no-access-log",
        "--timeout-graceful-shutdown", "10",
    )  # fmt: skip
    return ServerProcess("payment-service", argv, port, full_env, log_path=log_path)


def payment_worker(
    port: int,
    service_env: Mapping[str, str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    name: str = "payment-worker",
) -> ServerProcess:
    """`python -m payment_api worker` beside a payment service (its settings, `service_env`),
    with /healthz and /metrics on `port`; the service's database is migrated already."""
    full_env = {
        # its metrics are its own: not summed into the service's multiprocess /metrics
        **{k: v for k, v in service_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "WORKER_HTTP_PORT": str(port),
        "WORKER_POLL_SECONDS": "0.2",
        **(env or {}),
    }
    argv = python_argv("-m", "payment_api", "worker")
    return ServerProcess(name, argv, port, full_env, log_path=log_path)


# The web's API client for guest checkout: start guests' checkouts, read and cancel them.
WEB_API_CLIENT_NAME = "Web storefront"
WEB_API_CLIENT_SCOPES = ("checkout:write", "payments:read", "payments:write", "auth:proxy")


def create_api_client(
    service_env: Mapping[str, str], name: str, scopes: tuple[str, ...] | list[str]
) -> tuple[str, str]:
    """`python -m user_management_service create-api-client` with a user service's settings
    (`service_env`: its DATABASE_URL): the new client's (client_id, client_secret)."""
    import os

    argv = python_argv("-m", "user_management_service", "create-api-client", "--name", name)
    for scope in scopes:
        argv += ["--scope", scope]
    done = subprocess.run(
        argv, check=True, capture_output=True, text=True, env={**os.environ, **service_env}
    )
    found = dict(
        line.split("=", 1) for line in done.stdout.splitlines() if line.startswith("client_")
    )
    return found["client_id"], found["client_secret"]


def guest_checkout_env(api_client: tuple[str, str]) -> dict[str, str]:
    """The web's settings that turn guest checkout on with this API client."""
    client_id, client_secret = api_client
    return {
        "WEB_ALLOW_GUEST_CHECKOUT": "true",
        "WEB_API_CLIENT_ID": client_id,
        "WEB_API_CLIENT_SECRET": client_secret,
    }


def web(
    port: int,
    *,
    user_service_url: str,
    payment_service_url: str,
    database_url: str,
    hosted_checkout_origins: list[str],
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    api_client: tuple[str, str] | None = None,
) -> ServerProcess:
    """The web frontend (uvicorn, `workers` processes sharing its sessions database, which
    also serialises each session's token refresh across them: tests/web/test_token_refresh.py).

    `hosted_checkout_origins`: where the gateway's hosted page lives (the sandbox's URL in
    development); the payment service must list this web's origin in ALLOWED_REDIRECT_ORIGINS
    for the hosted page to send shoppers back here. `api_client` (id, secret): the web's own
    API client (WEB_API_CLIENT_SCOPES), which turns guest checkout on."""
    full_env = {
        "WEB_USER_SERVICE_URL": user_service_url,
        "WEB_PAYMENT_SERVICE_URL": payment_service_url,
        "WEB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WEB_DATABASE_URL": database_url,
        "WEB_HOSTED_CHECKOUT_ORIGINS": ",".join(hosted_checkout_origins),
        **(guest_checkout_env(api_client) if api_client else {}),
        **(env or {}),
    }
    argv = python_argv(
        "-m", "web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)
    )  # fmt: skip
    return ServerProcess("web", argv, port, full_env, log_path=log_path)
