"""With SANDBOX_DB, state survives a restart of the process."""

from __future__ import annotations

from pathlib import Path

from devstack.processes import free_port
from devstack.services import stripe_sandbox as start_stripe_sandbox
from tests.stripe_sandbox.helpers import complete, create_session, sdk


def test_sessions_payments_and_events_survive_restart(tmp_path: Path, logs_dir: Path) -> None:
    port = free_port()
    env = {"SANDBOX_DB": str(tmp_path / "sandbox.sqlite3")}
    log = logs_dir / "stripe-sandbox-persistent.log"
    first = start_stripe_sandbox(port, env=env, log_path=log).start()
    try:
        client = sdk(first)
        session = create_session(client)
        done = complete(first, session.id)
        refund = client.v1.refunds.create(params={"payment_intent": done["payment_intent"]})
    finally:
        first.stop()
    second = start_stripe_sandbox(port, env=env, log_path=log).start()
    try:
        client = sdk(second)
        again = client.v1.checkout.sessions.retrieve(session.id)
        assert (again.status, again.payment_status) == ("complete", "paid")
        assert client.v1.refunds.retrieve(refund.id).amount == session.amount_total
        events = client.v1.events.list(params={"type": "checkout.session.completed"})
        assert any(e.data.object["id"] == session.id for e in events.data)
    finally:
        second.stop()
