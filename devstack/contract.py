"""`make contract-test`: every running service against its contract with schemathesis.

Starts the real processes (Stripe sandbox, user service under gunicorn, payment service under
uvicorn) on free loopback ports with fresh databases (PostgreSQL when TEST_DATABASE_URL points
at one), then runs `schemathesis run specs/<service>.yaml` against each with every check
enabled, all phases (examples, coverage, fuzzing, stateful via the specs' links), a fixed
seed and bounded examples, as the bootstrap admin (bearer token). CONTRACT_EXAMPLES raises
the depth; CONTRACT_SEED changes the seed.
The hooks of devstack/contract_hooks.py supply the state a generator cannot know (refresh
tokens, webhook signatures, a paid payment, stored events); their inputs go to the
schemathesis process as CONTRACT_* environment variables.
Reports (JUnit, JSON, HAR, NDJSON) land in build/contract/<service>/; a per-operation summary
of responses by class is printed from the NDJSON one (devstack/contract_summary.py).
Exit status is non-zero on any violation, and when any operation never got a success answer.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from devstack import contract_summary, services
from devstack.auth import TokenPair, login, register
from devstack.databases import fresh_database, is_postgres
from devstack.processes import ROOT, ServerProcess, free_port

BUILD = ROOT / "build" / "contract"
# What devstack/contract_hooks.py is told, as environment variables of the schemathesis process.
HOOK_ENV = {
    "user_service": "CONTRACT_USER_SERVICE_URL",
    "payment_service": "CONTRACT_PAYMENT_SERVICE_URL",
    "sandbox": "CONTRACT_SANDBOX_URL",
    "webhook_secret": "CONTRACT_WEBHOOK_SECRET",
    # The admin's access token (the one schemathesis sends): its password may not last the run,
    # since updateUser is tested as the admin on the admin too.
    "admin_token": "CONTRACT_ADMIN_TOKEN",
    # A customer of the hooks' own for refresh tokens, so the chain does not hang on the admin.
    "customer_email": "CONTRACT_CUSTOMER_EMAIL",
    "customer_password": "CONTRACT_CUSTOMER_PASSWORD",
    # Where the stack's SMTP sink keeps mail: reset and verification links carry tokens.
    "mail_dir": "CONTRACT_MAIL_DIR",
}


SPEC_EXAMPLE_USER = ("ada.lovelace@example.com", "correct horse battery staple", "Ada Lovelace")


@dataclass
class Target:
    """One service under contract test."""

    name: str
    spec: Path
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    # For devstack.contract_hooks: HOOK_ENV variable -> value.
    hook_env: dict[str, str] = field(default_factory=dict)


def contract_admin(users_url: str) -> TokenPair:
    bootstrap = login(users_url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    email, password = "contract-admin@example.com", secrets.token_urlsafe(18)
    created = httpx.post(
        f"{users_url}/users",
        json={"email": email, "full_name": "Contract Admin", "password": password, "role": "admin"},
        headers=bootstrap.headers,
        timeout=10,
    )
    created.raise_for_status()
    return login(users_url, email, password)


def hook_env(**values: str) -> dict[str, str]:
    return {HOOK_ENV[name]: value for name, value in values.items()}


@contextmanager
def running_platform(work: Path, database_base: str | None) -> Iterator[list[Target]]:
    """Start every service that exists in the tree and yield the contract targets."""
    with ExitStack() as stack:
        logs = BUILD / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        targets: list[Target] = []

        users_db = stack.enter_context(fresh_database(database_base, work, "contract_users"))
        mail_dir, smtp_port = work / "mail", free_port()
        sink = services.mail_sink(free_port(), smtp_port, mail_dir, log_path=logs / "mail-sink.log")
        stack.callback(sink.stop)
        sink.start()
        users = services.user_service(
            free_port(),
            users_db,
            log_path=logs / "user-service.log",
            # Long enough for a deep CONTRACT_EXAMPLES run on one token.
            env={
                "ACCESS_TOKEN_TTL_SECONDS": "14400",
                # Every case comes from 127.0.0.1, and the hooks ask for reset links too.
                "PASSWORD_RESET_MAX_PER_ADDRESS": "10000",
                **services.smtp_env(smtp_port),
            },
        )
        stack.callback(users.stop)
        users.start()
        user_worker = services.user_worker(
            free_port(), users.env, log_path=logs / "user-worker.log"
        )
        stack.callback(user_worker.stop)
        user_worker.start()
        # Every protected operation is exercised as an admin (the widest rights) that the
        # bootstrap admin made: its email is not verified yet, so requestEmailVerification can
        # succeed (an operator's admin counts as verified). schemathesis' ignored_auth check
        # also replays every call without and with a broken token.
        admin = contract_admin(users.url)
        auth = admin.headers
        customer_email, customer_password = "contract-hooks@example.com", secrets.token_urlsafe(18)
        register(users.url, customer_email, customer_password, "Contract Hooks")
        # The spec's example login (createToken's example), so its example answers 200
        # whichever operation's examples run first; createUser's same example is then a 409.
        register(users.url, *SPEC_EXAMPLE_USER)
        shared = hook_env(
            user_service=users.url,
            admin_token=admin.access_token,
            customer_email=customer_email,
            customer_password=customer_password,
            mail_dir=str(mail_dir),
        )
        targets.append(
            Target("user_management", ROOT / "specs/user_management.yaml", users.url, auth, shared)
        )

        if (ROOT / "payment_api").is_dir() and (ROOT / "specs/payment_api.yaml").exists():
            payment_port = free_port()
            sandbox = services.stripe_sandbox(
                free_port(),
                webhook_urls=[f"http://127.0.0.1:{payment_port}/webhooks/stripe"],
                env={"SANDBOX_WEBHOOK_RETRY_BASE_SECONDS": "0.2"},
                log_path=logs / "stripe-sandbox.log",
            )
            stack.callback(sandbox.stop)
            sandbox.start()
            payments_db = stack.enter_context(
                fresh_database(database_base, work, "contract_payments")
            )
            payments: ServerProcess = services.payment_service(
                payment_port,
                payments_db,
                user_service_url=users.url,
                sandbox_url=sandbox.url,
                log_path=logs / "payment-service.log",
            )
            stack.callback(payments.stop)
            payments.start()
            worker = services.payment_worker(
                free_port(), payments.env, log_path=logs / "payment-worker.log"
            )
            stack.callback(worker.stop)
            worker.start()
            payment_env = hook_env(
                payment_service=payments.url,
                sandbox=sandbox.url,
                webhook_secret=services.SANDBOX_WEBHOOK_SECRET,
            )
            targets.append(
                Target(
                    "payment_api",
                    ROOT / "specs/payment_api.yaml",
                    payments.url,
                    auth,
                    {**shared, **payment_env},
                )
            )
        yield targets


def run_schemathesis(target: Target, examples: int, seed: int) -> int:
    out = BUILD / target.name
    out.mkdir(parents=True, exist_ok=True)
    argv = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run", str(target.spec),
        "--url", target.url,
        "--checks", "all",
        "--max-examples", str(examples),
        "--seed", str(seed),
        "--generation-database", "none",
        "--request-timeout", "20",
        "--workers", "1",
        "--report", "junit,json,har,ndjson",
        "--report-dir", str(out),
        "--report-junit-path", str(out / "junit.xml"),
        "--report-json-path", str(out / "report.json"),
        "--report-har-path", str(out / "har.json"),
        "--report-ndjson-path", str(out / "events.ndjson"),
        "--no-color",
    ]  # fmt: skip
    for name, value in target.headers.items():
        argv += ["-H", f"{name}: {value}"]
    print(f"\n== schemathesis: {target.name} ({target.spec.relative_to(ROOT)}) at {target.url}")
    report = out / "events.ndjson"
    report.unlink(missing_ok=True)  # never summarize the previous run's
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "devstack.contract_hooks", **target.hook_env}
    started = time.monotonic()
    result = subprocess.run(argv, cwd=ROOT, env=env, check=False)
    print(f"   schemathesis took {time.monotonic() - started:.1f}s")
    proven = print_summary(report, target.spec)
    return result.returncode or (0 if proven else 1)


def print_summary(report: Path, spec: Path) -> bool:
    """Print responses by class and the verdict per operation; False if any did not pass."""
    if not report.exists():
        print("   (no NDJSON report written)")
        return False
    document = yaml.safe_load(spec.read_text())
    results = contract_summary.summarize(report, document)
    print(f"   per-operation summary ({report.relative_to(ROOT)}):")
    for line in contract_summary.format_summary(results):
        print(line)
    missing = [r.operation_id for r in results if not r.passed]
    if missing:
        print(
            f"   not proven: {', '.join(missing)} (no success answer, a failed check or an error)"
        )
    return not missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--examples", type=int, default=int(os.environ.get("CONTRACT_EXAMPLES", "25"))
    )
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("CONTRACT_SEED", "20261128"))
    )
    parser.add_argument("--only", choices=["user_management", "payment_api"], default=None)
    args = parser.parse_args(argv)
    database_base = os.environ.get("TEST_DATABASE_URL")
    if not is_postgres(database_base):
        database_base = None
    print(
        f"contract test on {'PostgreSQL' if database_base else 'SQLite'}; "
        f"examples={args.examples} seed={args.seed}"
    )
    failures = ran = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_platform(Path(tmp), database_base) as targets,
    ):
        for target in targets:
            if args.only and target.name != args.only:
                continue
            ran += 1
            failures += run_schemathesis(target, args.examples, args.seed) != 0
    print(f"\ncontract test: {ran - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
