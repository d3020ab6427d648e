"""Webhooks: Stripe's signature, retries until 2xx, pause/duplicate/shuffle, resend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from devstack.processes import ServerProcess
from devstack.services import SANDBOX_WEBHOOK_SECRET
from tests.fixtures.stripe_sandbox import WebhookReceiver
from tests.stripe_sandbox.helpers import complete, control, create_session, sdk, wait_for


@pytest.fixture
def receiver(
    stripe_sandbox: ServerProcess, webhook_receiver: WebhookReceiver
) -> Iterator[WebhookReceiver]:
    """The test receiver added to whatever endpoints are configured; all restored afterwards."""
    saved = control(stripe_sandbox, "GET", "/_sandbox/webhooks")["urls"]
    urls = [*saved, webhook_receiver.url] if webhook_receiver.url not in saved else saved
    control(stripe_sandbox, "PUT", "/_sandbox/webhooks/endpoints", {"urls": urls})
    webhook_receiver.clear()
    yield webhook_receiver
    control(stripe_sandbox, "POST", "/_sandbox/webhooks",
            {"paused": False, "duplicate": False, "shuffle": False})  # fmt: skip
    control(stripe_sandbox, "PUT", "/_sandbox/webhooks/endpoints", {"urls": saved})
    webhook_receiver.clear()


def events_for(receiver: WebhookReceiver, object_id: str) -> list[dict[str, Any]]:
    with receiver.lock:
        bodies = [json.loads(body) for body, _ in receiver.received]
    return [e for e in bodies if e["data"]["object"]["id"] == object_id]


def deliveries_for(sandbox: ServerProcess, event_id: str, url: str) -> list[dict[str, Any]]:
    data = control(sandbox, "GET", "/_sandbox/deliveries")["data"]
    return [d for d in data if d["event_id"] == event_id and d["url"] == url]


def test_webhook_passes_stripes_signature_check_and_tampering_fails(
    stripe_sandbox: ServerProcess, receiver: WebhookReceiver
) -> None:
    session = create_session(sdk(stripe_sandbox))
    complete(stripe_sandbox, session.id)
    wait_for(lambda: events_for(receiver, session.id))
    with receiver.lock:
        payload, header = next((b, h) for b, h in receiver.received if session.id in b.decode())
    event = stripe.Webhook.construct_event(payload, header, SANDBOX_WEBHOOK_SECRET)
    assert event.type == "checkout.session.completed"
    assert event.data.object["id"] == session.id
    assert event.data.object["payment_status"] == "paid"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload.replace(b"paid", b"PAID"), header, SANDBOX_WEBHOOK_SECRET
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")


def test_failing_endpoint_is_retried_until_2xx(
    stripe_sandbox: ServerProcess, receiver: WebhookReceiver
) -> None:
    receiver.fail_next = 3
    session = create_session(sdk(stripe_sandbox))
    complete(stripe_sandbox, session.id)
    received = wait_for(lambda: events_for(receiver, session.id))
    (delivery,) = wait_for(
        lambda: [d for d in deliveries_for(stripe_sandbox, received[0]["id"], receiver.url)
                 if d["status"] == "delivered"]
    )  # fmt: skip
    assert delivery["attempts"] == 4
    assert delivery["last_status_code"] == 200


def test_unreachable_endpoint_shows_as_failing(
    stripe_sandbox: ServerProcess, receiver: WebhookReceiver
) -> None:
    control(stripe_sandbox, "PUT", "/_sandbox/webhooks/endpoints",
            {"urls": ["http://127.0.0.1:9/nowhere"]})  # fmt: skip
    session = create_session(sdk(stripe_sandbox))
    done = complete(stripe_sandbox, session.id)
    assert done["status"] == "complete"
    failing = wait_for(
        lambda: [d for d in control(stripe_sandbox, "GET", "/_sandbox/deliveries")["data"]
                 if d["url"].endswith("/nowhere") and d["attempts"] >= 2]
    )  # fmt: skip
    assert failing[0]["status"] == "failing"
    assert failing[0]["last_error"]


def test_paused_deliveries_are_held_then_shuffled_and_duplicated(
    stripe_sandbox: ServerProcess, receiver: WebhookReceiver
) -> None:
    client = sdk(stripe_sandbox)
    orders = []
    # A shuffle may by chance keep the four sessions' first deliveries in order (1 in 24):
    # three rounds in order would be 1 in 13,824, so a shuffle that never reorders fails.
    for _ in range(3):
        control(stripe_sandbox, "POST", "/_sandbox/webhooks", {"paused": True, "duplicate": True})
        sessions = [create_session(client) for _ in range(4)]
        for s in sessions:
            client.v1.checkout.sessions.expire(s.id)
        assert all(not events_for(receiver, s.id) for s in sessions)
        control(stripe_sandbox, "POST", "/_sandbox/webhooks", {"paused": False, "shuffle": True})
        wait_for(lambda: all(len(events_for(receiver, s.id)) == 2 for s in sessions))  # noqa: B023
        with receiver.lock:
            order = [json.loads(b)["data"]["object"]["id"] for b, _ in receiver.received]
        mine = [i for i in order if i in {s.id for s in sessions}]
        orders.append(list(dict.fromkeys(mine)) != [s.id for s in sessions])
        if orders[-1]:
            break
    assert any(orders), "three shuffled rounds all arrived in creation order"


def test_resend_delivers_the_same_event_again(
    stripe_sandbox: ServerProcess, receiver: WebhookReceiver
) -> None:
    session = create_session(sdk(stripe_sandbox))
    complete(stripe_sandbox, session.id)
    (event,) = wait_for(lambda: events_for(receiver, session.id))
    control(stripe_sandbox, "POST", f"/_sandbox/events/{event['id']}/resend")
    again = wait_for(
        lambda: len(events_for(receiver, session.id)) == 2 and events_for(receiver, session.id)
    )
    assert {e["id"] for e in again} == {event["id"]}
    assert len(deliveries_for(stripe_sandbox, event["id"], receiver.url)) == 2


def test_refund_emits_charge_refunded_refund_created_and_updated(
    stripe_sandbox: ServerProcess, receiver: WebhookReceiver
) -> None:
    client = sdk(stripe_sandbox)
    done = complete(stripe_sandbox, create_session(client, amount=900).id)
    refund = client.v1.refunds.create(
        params={"payment_intent": done["payment_intent"], "amount": 400}
    )
    client.v1.refunds.update(refund.id, params={"metadata": {"note": "x"}})
    kinds = wait_for(
        lambda: len(events_for(receiver, refund.id)) == 2 and events_for(receiver, refund.id)
    )
    assert {e["type"] for e in kinds} == {"refund.created", "refund.updated"}
    (charge_event,) = wait_for(
        lambda: [e for e in receiver_events(receiver) if e["type"] == "charge.refunded"
                 and e["data"]["object"]["payment_intent"] == done["payment_intent"]]
    )  # fmt: skip
    assert charge_event["data"]["object"]["amount_refunded"] == 400
    assert charge_event["data"]["object"]["refunded"] is False


def receiver_events(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    with receiver.lock:
        return [json.loads(body) for body, _ in receiver.received]
