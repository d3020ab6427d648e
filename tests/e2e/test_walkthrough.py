"""docs/walkthrough.sh, the README's curl walkthrough, run literally against real processes.

The session's user service, payment service and Stripe sandbox (tests/fixtures/) stand in
for `make run`; the script gets their URLs as U, P and S and, as RECONCILE, the reconcile
CLI with the payment service's own environment (database, sandbox).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from devstack import services
from devstack.processes import ROOT
from tests.fixtures.payment_service import PaymentStack

SCRIPT = ROOT / "docs" / "walkthrough.sh"


def declared_steps() -> list[str]:
    """The `== step: ...` header of every `step "..."` line of the script, in order."""
    titles = re.findall(r'^step "([^"$]+)"$', SCRIPT.read_text(), flags=re.MULTILINE)
    return [f"== step: {title}" for title in titles]


def run_walkthrough(stack: PaymentStack) -> subprocess.CompletedProcess[str]:
    service_env = [f"{name}={value}" for name, value in stack.env.items()]
    reconcile = shlex.join(["env", *service_env, sys.executable, "-m", "payment_api", "reconcile"])
    env = {
        **os.environ,
        "U": stack.users_url,
        "P": stack.url,
        "S": stack.sandbox.url,
        "ADMIN_EMAIL": services.DEV_ADMIN_EMAIL,
        "ADMIN_PASSWORD": services.DEV_ADMIN_PASSWORD,
        "RECONCILE": reconcile,
    }
    return subprocess.run(
        ["bash", "docs/walkthrough.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_in_order(output: str, headers: list[str]) -> None:
    position = 0
    for header in headers:
        found = output.find(header + "\n", position)
        assert found >= 0, f"{header!r} missing after offset {position}:\n{output[-3000:]}"
        position = found + len(header)


def test_walkthrough_script_runs_every_step_in_order_on_a_fresh_platform(
    payment_stack: PaymentStack,
) -> None:
    headers = declared_steps()
    assert len(headers) >= 30, headers
    result = run_walkthrough(payment_stack)
    assert result.returncode == 0, (
        f"exit {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-2000:]}"
    )
    assert_in_order(result.stdout, headers)
    assert result.stdout.count("== step: ") == len(headers), result.stdout
