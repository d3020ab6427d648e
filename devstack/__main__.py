"""`make run`: migrate and start the whole platform on the embedded defaults.

User service on 127.0.0.1:5000 (gunicorn), payment service on 127.0.0.1:8000 (uvicorn) and,
when STRIPE_API_KEY is not set, the Stripe sandbox on 127.0.0.1:12111. Data lives in SQLite
files under data/ unless DATABASE_URL / PAYMENT_DATABASE_URL say otherwise. Ctrl-C stops all.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from devstack import services
from devstack.processes import ROOT, ServerProcess

DATA = ROOT / "data"


def sqlite_url(name: str) -> str:
    return f"sqlite:///{DATA / (name + '.sqlite3')}"


def main() -> int:
    DATA.mkdir(exist_ok=True)
    logs = DATA / "logs"
    logs.mkdir(exist_ok=True)
    user_port = int(os.environ.get("USER_SERVICE_PORT", "5000"))
    payment_port = int(os.environ.get("PAYMENT_SERVICE_PORT", "8000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "12111"))
    use_sandbox = not os.environ.get("STRIPE_API_KEY")

    started: list[ServerProcess] = []

    def stop_all(*_: object) -> None:
        for proc in reversed(started):
            proc.stop()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sandbox_url: str | None = None
        if use_sandbox:
            sandbox = services.stripe_sandbox(
                sandbox_port,
                webhook_urls=[f"http://127.0.0.1:{payment_port}/webhooks/stripe"],
                env={"SANDBOX_DB": str(DATA / "stripe_sandbox.sqlite3")},
                log_path=logs / "stripe-sandbox.log",
            )
            started.append(sandbox.start())
            sandbox_url = sandbox.url
        admin_email = os.environ.get("BOOTSTRAP_ADMIN_EMAIL") or services.DEV_ADMIN_EMAIL
        admin_password = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD") or services.DEV_ADMIN_PASSWORD
        users = services.user_service(
            user_port,
            os.environ.get("DATABASE_URL", sqlite_url("user_management")),
            log_path=logs / "user-service.log",
            keys_dir=Path(os.environ.get("JWT_KEYS_DIR", str(DATA / "keys"))),
            # the payment service's Swagger UI logs in at our /auth/token from its own origin
            cors_allowed_origins=services.browser_origins(payment_port),
            env={
                "BOOTSTRAP_ADMIN_EMAIL": admin_email,
                "BOOTSTRAP_ADMIN_PASSWORD": admin_password,
            },
        )
        started.append(users.start())
        payments = services.payment_service(
            payment_port,
            os.environ.get(
                "PAYMENT_DATABASE_URL", os.environ.get("DATABASE_URL", sqlite_url("payment_api"))
            ),
            user_service_url=users.url,
            sandbox_url=sandbox_url,
            env={"ALLOW_ANONYMOUS_CHECKOUT": os.environ.get("ALLOW_ANONYMOUS_CHECKOUT", "true")},
            log_path=logs / "payment-service.log",
        )
        started.append(payments.start())
        print_banner(users.url, payments.url, sandbox_url, logs, (admin_email, admin_password))
        while all(p.proc is not None and p.proc.poll() is None for p in started):
            time.sleep(0.5)
        dead = [p.name for p in started if p.proc is None or p.proc.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited; see {logs}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...")
        return 0
    finally:
        stop_all()


ACCESS_TOKEN_OF_JSON = "python3 -c \"import json,sys;print(json.load(sys.stdin)['access_token'])\""  # noqa: S105 (a shell command)


def print_banner(
    users: str, payments: str, sandbox: str | None, logs: Path, admin: tuple[str, str]
) -> None:
    gateway = f"Stripe sandbox  {sandbox}" if sandbox else "Stripe          real (STRIPE_API_KEY)"
    email, password = admin
    print(
        f"""
  User service     {users}      docs {users}/docs
  Payment service  {payments}      docs {payments}/docs
  {gateway}
  Admin (dev)      {email} / {password}
                   (Swagger UI: Authorize, or curl below; BOOTSTRAP_ADMIN_EMAIL/PASSWORD change it)
  Try:  curl -i '{payments}/checkout/?price=50&currency=usd'
        TOKEN=$(curl -s -d 'username={email}' -d 'password={password}' \\
                {users}/auth/token | {ACCESS_TOKEN_OF_JSON})
        curl -H "Authorization: Bearer $TOKEN" {users}/users/me
        curl -H "Authorization: Bearer $TOKEN" {payments}/payments
  Logs: {logs}        Ctrl-C stops everything.
""",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
