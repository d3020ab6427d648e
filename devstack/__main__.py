"""`make run`: migrate and start the whole platform on the embedded defaults.

The web frontend on 127.0.0.1:8080, user service on 127.0.0.1:5000 (gunicorn) and its mail
worker, payment service on 127.0.0.1:8000 (uvicorn) and its worker, when STRIPE_API_KEY is
not set the Stripe sandbox on 127.0.0.1:12111, and when SMTP_HOST is not set a local SMTP
sink on 127.0.0.1:1025 that keeps every mail under data/mail/. Data lives in SQLite
files under data/ (DEVSTACK_DATA_DIR moves it) unless DATABASE_URL / PAYMENT_DATABASE_URL say
otherwise. It refuses to start when one of its ports is taken; SIGINT (Ctrl-C), SIGTERM and
SIGHUP (terminal closed) stop every server, and the servers also die if it is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TextIO

from devstack import ports, services
from devstack.processes import ROOT, ServerProcess

DATA = Path(os.environ.get("DEVSTACK_DATA_DIR") or ROOT / "data")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(Exception):  # noqa: N818 (a request, not an error)
    """Raised by the handler of STOP_SIGNALS so that main() unwinds into its cleanup."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def on_stop_signal(signum: int, _frame: FrameType | None) -> None:
    ignore_stop_signals()
    raise Stop(signum)


def ignore_stop_signals() -> None:
    """While the servers stop, a second signal (Ctrl-C again, SIGHUP then SIGTERM) must not
    cut the cleanup short; stop() itself escalates to SIGKILL."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def say(message: str, stream: TextIO = sys.stdout) -> None:
    """print, but a closed terminal (SIGHUP) must not stop the cleanup."""
    with contextlib.suppress(OSError):
        print(message, file=stream, flush=True)


def sqlite_url(name: str) -> str:
    return f"sqlite:///{DATA / (name + '.sqlite3')}"


def taken_ports(wanted: list[tuple[str, int]]) -> list[str]:
    """One line per port (named by its variable) that another process already listens on."""
    lines = []
    for variable, port in wanted:
        if not ports.is_free(port):
            line = ports.describe(port, ports.holders(port), variable)
            lines.append(f"make run: {line}; stop it or set {variable}")
    return lines


def main() -> int:
    user_port = int(os.environ.get("USER_SERVICE_PORT", "5000"))
    payment_port = int(os.environ.get("PAYMENT_SERVICE_PORT", "8000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "12111"))
    web_port = int(os.environ.get("WEB_PORT", "8080"))
    worker_port = int(os.environ.get("WORKER_PORT", "8001"))  # its /healthz and /metrics
    user_worker_port = int(os.environ.get("USER_WORKER_PORT", "5001"))
    smtp_port = int(os.environ.get("MAIL_SINK_PORT", "1025"))
    sink_http_port = int(os.environ.get("MAIL_SINK_HTTP_PORT", "1080"))
    use_sandbox = not os.environ.get("STRIPE_API_KEY")
    use_sink = not os.environ.get("SMTP_HOST")  # else the mail server SMTP_* names

    wanted = [
        ("WEB_PORT", web_port),
        ("USER_SERVICE_PORT", user_port),
        ("PAYMENT_SERVICE_PORT", payment_port),
        ("WORKER_PORT", worker_port),
        ("USER_WORKER_PORT", user_worker_port),
    ]
    if use_sandbox:
        wanted.append(("SANDBOX_PORT", sandbox_port))
    if use_sink:
        wanted += [("MAIL_SINK_PORT", smtp_port), ("MAIL_SINK_HTTP_PORT", sink_http_port)]
    if taken := taken_ports(wanted):
        say("\n".join(taken), sys.stderr)
        return 1

    DATA.mkdir(parents=True, exist_ok=True)
    logs = DATA / "logs"
    logs.mkdir(exist_ok=True)
    started: list[ServerProcess] = []

    def launch(server: ServerProcess) -> ServerProcess:
        server.die_with_parent = True
        started.append(server)  # before start(): a signal during startup stops it too
        return server.start()

    try:
        for sig in STOP_SIGNALS:
            signal.signal(sig, on_stop_signal)
        sandbox_url: str | None = None
        if use_sandbox:
            sandbox = services.stripe_sandbox(
                sandbox_port,
                webhook_urls=[f"http://127.0.0.1:{payment_port}/webhooks/stripe"],
                env={
                    "SANDBOX_DB": str(DATA / "stripe_sandbox.sqlite3"),
                    "SANDBOX_BUSINESS_NAME": os.environ.get("WEB_MERCHANT_NAME", "Demo Shop"),
                },
                log_path=logs / "stripe-sandbox.log",
            )
            sandbox_url = launch(sandbox).url
        mail_dir = DATA / "mail"
        if use_sink:
            launch(services.mail_sink(sink_http_port, smtp_port, mail_dir,
                                      log_path=logs / "mail-sink.log"))  # fmt: skip
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
                # mailed links open the web's account pages
                "ACCOUNT_LINKS_URL": f"http://127.0.0.1:{web_port}/account",
                **(services.smtp_env(smtp_port) if use_sink else {}),
            },
        )
        launch(users)
        api_client = web_api_client(users)
        # The queued mail (password reset, email verification) is sent off the request path.
        launch(services.user_worker(user_worker_port, users.env, log_path=logs / "user-worker.log"))
        payments = services.payment_service(
            payment_port,
            os.environ.get(
                "PAYMENT_DATABASE_URL", os.environ.get("DATABASE_URL", sqlite_url("payment_api"))
            ),
            user_service_url=users.url,
            sandbox_url=sandbox_url,
            env={
                "ALLOW_ANONYMOUS_CHECKOUT": os.environ.get("ALLOW_ANONYMOUS_CHECKOUT", "true"),
                # the hosted page sends shoppers back to the web's success and cancel pages
                "ALLOWED_REDIRECT_ORIGINS": ",".join(
                    [
                        *services.browser_origins(web_port),
                        *filter(None, [os.environ.get("ALLOWED_REDIRECT_ORIGINS")]),
                    ]
                ),
            },
            log_path=logs / "payment-service.log",
        )
        launch(payments)
        # Stripe events are processed, merchants' webhooks delivered, reconcile run: off the
        # request path (one worker: SQLite is the default).
        launch(
            services.payment_worker(worker_port, payments.env, log_path=logs / "payment-worker.log")
        )
        site = services.web(
            web_port,
            user_service_url=users.url,
            payment_service_url=payments.url,
            database_url=os.environ.get("WEB_DATABASE_URL", sqlite_url("web")),
            hosted_checkout_origins=[sandbox_url or "https://checkout.stripe.com"],
            log_path=logs / "web.log",
            api_client=api_client,
        )
        launch(site)
        print_banner(
            site.url, users.url, payments.url, sandbox_url, logs, (admin_email, admin_password),
            mail_dir if use_sink else None, api_client[0] if api_client else None,
        )  # fmt: skip
        while all(p.proc is not None and p.proc.poll() is None for p in started):
            time.sleep(0.5)
        dead = [p.name for p in started if p.proc is None or p.proc.poll() is not None]
        say(f"stopped: {', '.join(dead)} exited; see {logs}", sys.stderr)
        return 1
    except Stop as stop:
        say(f"\n{stop}: stopping ...")
        return 0
    except ports.PortInUseError as exc:  # taken between the check and the start
        say(f"make run: {exc}", sys.stderr)
        return 1
    finally:
        ignore_stop_signals()
        for proc in reversed(started):
            proc.stop()


WEB_API_CLIENT_FILE = "web-api-client.env"
OFF = {"false", "0", "no", "off", "f", "n"}


def web_api_client(users: ServerProcess) -> tuple[str, str] | None:
    """The web's API client for guest checkout (id, secret): WEB_API_CLIENT_ID and
    WEB_API_CLIENT_SECRET when set; else the one an earlier run kept in DATA while it still
    gets a token; else a new one (`python -m user_management_service create-api-client`),
    kept there. None (guest checkout off) with WEB_ALLOW_GUEST_CHECKOUT=false."""
    if os.environ.get("WEB_ALLOW_GUEST_CHECKOUT", "").strip().lower() in OFF:
        return None
    given = os.environ.get("WEB_API_CLIENT_ID"), os.environ.get("WEB_API_CLIENT_SECRET")
    if given[0] and given[1]:
        return given[0], given[1]
    kept = DATA / WEB_API_CLIENT_FILE
    if kept.exists():
        found = dict(line.split("=", 1) for line in kept.read_text().splitlines() if "=" in line)
        pair = found.get("WEB_API_CLIENT_ID", ""), found.get("WEB_API_CLIENT_SECRET", "")
        if all(pair) and gets_a_token(users.url, pair):
            return pair
    pair = services.create_api_client(
        users.env, services.WEB_API_CLIENT_NAME, services.WEB_API_CLIENT_SCOPES
    )
    kept.write_text(f"WEB_API_CLIENT_ID={pair[0]}\nWEB_API_CLIENT_SECRET={pair[1]}\n")
    kept.chmod(0o600)
    return pair


def gets_a_token(users_url: str, client: tuple[str, str]) -> bool:
    """Whether this API client still gets a token with the web's scopes (not revoked)."""
    import httpx

    try:
        answer = httpx.post(
            users_url + "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client[0],
                "client_secret": client[1],
                "scope": " ".join(services.WEB_API_CLIENT_SCOPES),
            },
            timeout=10,
        )
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


ACCESS_TOKEN_OF_JSON = "python3 -c \"import json,sys;print(json.load(sys.stdin)['access_token'])\""  # noqa: S105 (a shell command)


def print_banner(
    web: str,
    users: str,
    payments: str,
    sandbox: str | None,
    logs: Path,
    admin: tuple[str, str],
    mail_dir: Path | None,
    api_client_id: str | None = None,
) -> None:
    gateway = f"Stripe sandbox  {sandbox}" if sandbox else "Stripe          real (STRIPE_API_KEY)"
    mail = f"kept in {mail_dir}/ (local SMTP sink)" if mail_dir else "sent through SMTP_HOST"
    email, password = admin
    guests = (
        f"on, as the web's API client {api_client_id} (WEB_API_CLIENT_ID)"
        if api_client_id
        else "off (WEB_ALLOW_GUEST_CHECKOUT=false)"
    )
    # The CLI reads only its environment: it must be pointed at the same gateway.
    reconcile = f"STRIPE_API_BASE={sandbox} " if sandbox else ""
    reconcile += ".venv/bin/python -m payment_api reconcile"
    print(
        f"""
  Web (shop)       {web}      console {web}/console (sign in as the admin)
  Guest checkout   {guests}
  User service     {users}      docs {users}/docs
  Payment service  {payments}      docs {payments}/docs
  {gateway}
  Mail             {mail}
  Admin (dev)      {email} / {password}
                   (Swagger UI: Authorize, or curl below; BOOTSTRAP_ADMIN_EMAIL/PASSWORD change it)
  Try:  curl -i '{payments}/checkout/?price=50&currency=usd'
        TOKEN=$(curl -s -d 'username={email}' -d 'password={password}' \\
                {users}/auth/token | {ACCESS_TOKEN_OF_JSON})
        curl -H "Authorization: Bearer $TOKEN" {users}/users/me
        curl -H "Authorization: Bearer $TOKEN" {payments}/payments
        bash docs/walkthrough.sh      (every operation, in order, ids carried along)
  Reconcile:  {reconcile}
  Logs: {logs}        Ctrl-C stops everything.
""",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
