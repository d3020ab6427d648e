"""Outbound webhooks end to end: a merchant registers an endpoint through the generated SDK,
a payment is paid on the sandbox's hosted page and refunded, and the merchant's receiver gets
each event from the worker, signed so that `standardwebhooks` verifies it, shaped as the spec's
`webhooks` declare; a receiver that fails is retried and the log shows every attempt."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from jsonschema import FormatChecker
from payment_api_client import AuthenticatedClient
from payment_api_client.api.payments import create_refund
from payment_api_client.api.webhook_endpoints import (
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_webhook_endpoint,
    list_delivery_attempts,
    list_webhook_deliveries,
    retry_webhook_delivery,
    rotate_webhook_endpoint_secret,
    update_webhook_endpoint,
)
from payment_api_client.models import (
    DeliveryAttemptList,
    DeliveryState,
    Problem,
    Refund,
    RefundCreate,
    SecretRotation,
    SubscribedType,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from standardwebhooks import Webhook

from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.fixtures.receiver import Receiver
from tests.payment.helpers import custom_checkout, wait_for_status

SPEC = yaml.safe_load((Path(__file__).parents[2] / "specs" / "payment_api.yaml").read_text())


@pytest.fixture
def registered(
    payment_client: AuthenticatedClient, receiver: Receiver
) -> Iterator[WebhookEndpointWithSecret]:
    """The receiver, registered for every event type; deleted after the test (the stack and
    its events are shared)."""
    body = WebhookEndpointCreate(
        url=receiver.url, event_types=[SubscribedType.VALUE_0], description="e2e receiver"
    )
    created = create_webhook_endpoint.sync(client=payment_client, body=body)
    assert isinstance(created, WebhookEndpointWithSecret), created
    yield created
    delete_webhook_endpoint.sync_detailed(created.id, client=payment_client)


def about(object_id: str) -> Any:
    return lambda event: event["data"]["id"] == object_id


def payload_schema(event_type: str) -> dict[str, Any]:
    """The spec's declared body of one outbound event, with the components to resolve it."""
    body = SPEC["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]
    return {**body["schema"], "components": SPEC["components"]}


def pay(payment_stack: PaymentStack, client: AuthenticatedClient, amount: int) -> str:
    session = custom_checkout(client, amount)
    payment_stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session.session_id}/complete",
        json={"outcome": "paid"},
    )
    wait_for_status(client, session.payment_id, "succeeded")
    return session.payment_id


def test_a_paid_and_refunded_payment_reaches_the_receiver_signed_and_shaped_as_declared(
    payment_stack: PaymentStack,
    payment_client: AuthenticatedClient,
    receiver: Receiver,
    registered: WebhookEndpointWithSecret,
) -> None:
    payment_id = pay(payment_stack, payment_client, 4200)
    [succeeded] = receiver.wait_for(about(payment_id))
    event = succeeded.event
    assert event["type"] == "payment.succeeded"
    assert event["data"]["status"] == "succeeded"
    assert event["data"]["amount"] == {"amount": 4200, "currency": "USD"}
    # Any Standard Webhooks receiver verifies it with the secret it was given once.
    verified = Webhook(registered.secret).verify(succeeded.body, succeeded.headers)
    assert verified["id"] == succeeded.headers["webhook-id"] == event["id"]
    jsonschema.validate(event, payload_schema("payment.succeeded"), format_checker=FormatChecker())

    refund = create_refund.sync(payment_id, client=payment_client, body=RefundCreate(amount=1200))
    assert isinstance(refund, Refund)
    [refunded] = receiver.wait_for(about(refund.id))
    assert refunded.event["type"] == "refund.succeeded"
    jsonschema.validate(
        refunded.event, payload_schema("refund.succeeded"), format_checker=FormatChecker()
    )
    [_, partially] = receiver.wait_for(about(payment_id), count=2)
    assert partially.event["type"] == "payment.partially_refunded"
    assert partially.event["data"]["refunded_amount"] == {"amount": 1200, "currency": "USD"}

    page = list_webhook_deliveries.sync(registered.id, client=payment_client, event_id=event["id"])
    assert isinstance(page, WebhookDeliveryList)
    [delivery] = page.data
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        DeliveryState.DELIVERED, 1, 200,
    )  # fmt: skip


def test_a_failing_receiver_is_retried_with_the_same_id_and_every_attempt_is_logged(
    payment_stack: PaymentStack,
    payment_client: AuthenticatedClient,
    receiver: Receiver,
    registered: WebhookEndpointWithSecret,
) -> None:
    receiver.answers = [500, 503]
    payment_id = pay(payment_stack, payment_client, 1700)
    tries = receiver.wait_for(about(payment_id), count=3)
    assert len({t.headers["webhook-id"] for t in tries}) == 1
    assert tries[1].at - tries[0].at >= 0.15  # back-off: at least half the base of 0.3 s

    event_id = tries[0].event["id"]
    # The receiver has answered the third attempt; the worker records it just after.
    deadline = time.monotonic() + 10
    while True:
        log = list_delivery_attempts.sync(registered.id, client=payment_client, event_id=event_id)
        assert isinstance(log, DeliveryAttemptList)
        if len(log.data) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    newest_first = [(a.number, a.status_code, str(a.outcome)) for a in log.data]
    assert newest_first == [(3, 200, "delivered"), (2, 503, "failed"), (1, 500, "failed")]
    assert log.data[1].response_excerpt == "not now"
    assert all(a.latency_ms >= 0 for a in log.data)


def test_an_admin_disables_rotates_retries_and_deletes_an_endpoint(
    payment_stack: PaymentStack,
    payment_client: AuthenticatedClient,
    receiver: Receiver,
    registered: WebhookEndpointWithSecret,
) -> None:
    shown = get_webhook_endpoint.sync(registered.id, client=payment_client)
    assert isinstance(shown, WebhookEndpoint)
    assert "secret" not in shown.to_dict()  # shown once, at creation

    rotated = rotate_webhook_endpoint_secret.sync(
        registered.id, client=payment_client, body=SecretRotation(expire_previous_after_seconds=600)
    )
    assert isinstance(rotated, WebhookEndpointWithSecret)
    assert rotated.secret != registered.secret
    payment_id = pay(payment_stack, payment_client, 900)
    [got] = receiver.wait_for(about(payment_id))
    for secret in (rotated.secret, registered.secret):  # both verify during the overlap
        Webhook(secret).verify(got.body, got.headers)

    off = update_webhook_endpoint.sync(
        registered.id, client=payment_client, body=WebhookEndpointUpdate(enabled=False)
    )
    assert isinstance(off, WebhookEndpoint)
    assert str(off.status) == "disabled"
    event_id = got.event["id"]
    refused = retry_webhook_delivery.sync_detailed(registered.id, event_id, client=payment_client)
    assert refused.status_code == 409
    update_webhook_endpoint.sync(
        registered.id, client=payment_client, body=WebhookEndpointUpdate(enabled=True)
    )
    queued = retry_webhook_delivery.sync(registered.id, event_id, client=payment_client)
    assert isinstance(queued, WebhookDelivery)
    assert receiver.wait_for(about(payment_id), count=2)[1].headers["webhook-id"] == event_id

    assert (
        delete_webhook_endpoint.sync_detailed(registered.id, client=payment_client).status_code
        == 204
    )
    gone = get_webhook_endpoint.sync_detailed(registered.id, client=payment_client)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, Problem)


def test_a_metadata_address_is_refused_naming_the_field_and_customers_may_not_register(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient, customer: Customer
) -> None:
    body = WebhookEndpointCreate(
        url="http://169.254.169.254/latest", event_types=[SubscribedType.PAYMENT_SUCCEEDED]
    )
    refused = create_webhook_endpoint.sync_detailed(client=payment_client, body=body)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, Problem)
    assert "body.url" in str(refused.parsed.to_dict())
    with payment_stack.client(customer.token) as as_customer:
        ok_url = WebhookEndpointCreate(
            url="http://127.0.0.1:9/x", event_types=[SubscribedType.VALUE_0]
        )
        assert (
            create_webhook_endpoint.sync_detailed(client=as_customer, body=ok_url).status_code
            == 403
        )
