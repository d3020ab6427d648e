"""`make contract-test`: every running service against its contract with schemathesis.

Starts the real processes (Stripe sandbox, user service under gunicorn, payment service under
uvicorn) on free loopback ports with fresh databases (PostgreSQL when TEST_DATABASE_URL points
at one), then runs `schemathesis run specs/<service>.yaml` against each with every check
enabled, all phases (examples, coverage, fuzzing, stateful via the specs' links), a fixed
seed and bounded examples, as the bootstrap admin (bearer token). CONTRACT_EXAMPLES raises
the depth; CONTRACT_SEED changes the seed.
Reports (JUnit + JSON) land in build/contract/<service>/; a per-operation summary is printed.
Exit status is non-zero on any violation.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devstack import services
from devstack.auth import login
from devstack.databases import fresh_database, is_postgres
from devstack.processes import ROOT, ServerProcess, free_port

BUILD = ROOT / "build" / "contract"


@dataclass
class Target:
    """One service under contract test."""

    name: str
    spec: Path
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def running_platform(work: Path, database_base: str | None) -> Iterator[list[Target]]:
    """Start every service that exists in the tree and yield the contract targets."""
    with ExitStack() as stack:
        logs = BUILD / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        targets: list[Target] = []

        users_db = stack.enter_context(fresh_database(database_base, work, "contract_users"))
        users = services.user_service(
            free_port(),
            users_db,
            log_path=logs / "user-service.log",
            # Long enough for a deep CONTRACT_EXAMPLES run on one token.
            env={"ACCESS_TOKEN_TTL_SECONDS": "14400"},
        )
        stack.callback(users.stop)
        users.start()
        # Every protected operation is exercised as the bootstrap admin (the widest rights);
        # schemathesis' ignored_auth check also replays them without and with a broken token.
        auth = login(users.url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD).headers
        targets.append(
            Target("user_management", ROOT / "specs/user_management.yaml", users.url, auth)
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
            targets.append(
                Target("payment_api", ROOT / "specs/payment_api.yaml", payments.url, auth)
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
        "--report", "junit,json,har",
        "--report-dir", str(out),
        "--report-junit-path", str(out / "junit.xml"),
        "--report-json-path", str(out / "report.json"),
        "--no-color",
    ]  # fmt: skip
    for name, value in target.headers.items():
        argv += ["-H", f"{name}: {value}"]
    print(f"\n== schemathesis: {target.name} ({target.spec.relative_to(ROOT)}) at {target.url}")
    result = subprocess.run(argv, cwd=ROOT, check=False)
    print_summary(out / "junit.xml")
    return result.returncode


def print_summary(junit: Path) -> None:
    """One line per operation from the JUnit report: cases and failures."""
    if not junit.exists():
        print("   (no JUnit report written)")
        return
    root = ET.parse(junit).getroot()  # noqa: S314 (our own report)
    print(f"   per-operation summary ({junit.relative_to(ROOT)}):")
    for case in root.iter("testcase"):
        failed = len(case.findall("failure")) + len(case.findall("error"))
        skipped = case.find("skipped") is not None
        verdict = "FAIL" if failed else ("skip" if skipped else "ok")
        print(f"   {verdict:4} {case.get('name')}")


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
    failures = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_platform(Path(tmp), database_base) as targets,
    ):
        for target in targets:
            if args.only and target.name != args.only:
                continue
            failures += run_schemathesis(target, args.examples, args.seed) != 0
    print(f"\ncontract test: {len(targets) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
