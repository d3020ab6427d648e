"""With SANDBOX_DB, state and undelivered webhooks survive a restart of the process."""

from __future__ import annotations

import json
from pathlib import Path

from devstack.processes import free_port
from devstack.services import stripe_sandbox as start_stripe_sandbox
from tests.fixtures.stripe_sandbox import FAST_RETRY_ENV, WebhookReceiver
from tests.stripe_sandbox.helpers import complete, control, create_session, sdk, wait_for


def test_sessions_payments_events_and_pending_webhooks_survive_restart(
    tmp_path: Path, logs_dir: Path, webhook_receiver: WebhookReceiver
) -> None:
    port = free_port()
    env = {**FAST_RETRY_ENV, "SANDBOX_DB": str(tmp_path / "sandbox.sqlite3")}
    log = logs_dir / "stripe-sandbox-persistent.log"

    first = start_stripe_sandbox(port, webhook_urls=[webhook_receiver.url], env=env, log_path=log)
    first.start()
    try:
        control(first, "POST", "/_sandbox/webhooks", {"paused": True})
        client = sdk(first)
        session = create_session(client)
        done = complete(first, session.id)
        refund = client.v1.refunds.create(params={"payment_intent": done["payment_intent"]})
    finally:
        first.stop()
    second = start_stripe_sandbox(port, webhook_urls=[webhook_receiver.url], env=env, log_path=log)
    second.start()
    try:
        client = sdk(second)
        again = client.v1.checkout.sessions.retrieve(session.id)
        assert (again.status, again.payment_status) == ("complete", "paid")
        assert client.v1.refunds.retrieve(refund.id).amount == session.amount_total
        events = client.v1.events.list(params={"type": "checkout.session.completed"})
        assert any(e.data.object["id"] == session.id for e in events.data)

        def delivered() -> bool:
            with webhook_receiver.lock:
                bodies = [json.loads(b) for b, _ in webhook_receiver.received]
            return any(e["data"]["object"]["id"] == session.id for e in bodies)

        wait_for(delivered)
    finally:
        second.stop()
