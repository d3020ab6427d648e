"""End to end with real processes: sandbox -> signed webhook -> payment service -> state machine."""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from payment_api_client import AuthenticatedClient
from payment_api_client.api.payments import create_refund, list_refunds
from payment_api_client.api.webhooks import replay_webhook_event
from payment_api_client.models import (
    PaymentStatus,
    Problem,
    Refund,
    RefundCreate,
    RefundList,
    RefundStatus,
    WebhookEventRecord,
)

from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import (
    checkout,
    custom_checkout,
    event_payload,
    fetch,
    new_product,
    sandbox_events,
    sign,
    wait_for_status,
    wait_until_processed,
)


def complete(stack: PaymentStack, session_id: str, outcome: str) -> None:
    stack.sandbox_call(
        "POST", f"/_sandbox/checkout/sessions/{session_id}/complete", json={"outcome": outcome}
    )


def transitions(client: AuthenticatedClient, payment_id: str) -> list[str]:
    return [str(h.to_status) for h in fetch(client, payment_id).status_history]


@pytest.fixture
def webhooks_restored(payment_stack: PaymentStack) -> Iterator[None]:
    yield
    payment_stack.sandbox_call(
        "POST", "/_sandbox/webhooks", json={"paused": False, "duplicate": False, "shuffle": False}
    )
    payment_stack.sandbox_call(
        "PUT", "/_sandbox/webhooks/endpoints", json={"urls": [payment_stack.webhook_url]}
    )


def test_paying_on_the_hosted_page_makes_the_payment_succeeded(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = checkout(payment_client, new_product(payment_client, 2500))
    started = time.monotonic()
    complete(payment_stack, session.session_id, "paid")
    payment = wait_for_status(payment_client, session.payment_id, "succeeded")
    elapsed = time.monotonic() - started
    assert elapsed < 2, f"took {elapsed:.2f}s"
    assert payment.gateway.payment_intent_id
    assert transitions(payment_client, session.payment_id) == ["pending", "succeeded"]


def test_async_payment_goes_processing_then_succeeded(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 4200)
    complete(payment_stack, session.session_id, "async_pending")
    wait_for_status(payment_client, session.payment_id, "processing")
    complete(payment_stack, session.session_id, "async_succeeded")
    wait_for_status(payment_client, session.payment_id, "succeeded")
    assert transitions(payment_client, session.payment_id) == ["pending", "processing", "succeeded"]


DECLINED = "card_declined: Your card was declined."  # the sandbox's last_payment_error


def test_async_payment_failure_makes_it_failed_with_the_gateways_reason(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 4300)
    complete(payment_stack, session.session_id, "async_pending")
    wait_for_status(payment_client, session.payment_id, "processing")
    complete(payment_stack, session.session_id, "async_failed")
    payment = wait_for_status(payment_client, session.payment_id, "failed")
    assert payment.failure_reason == DECLINED
    assert transitions(payment_client, session.payment_id) == ["pending", "processing", "failed"]


@pytest.mark.usefixtures("webhooks_restored")
def test_reconcile_fails_an_async_payment_nobody_told_us_about_with_the_gateways_reason(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    dead = "http://127.0.0.1:9/webhooks/stripe"
    payment_stack.sandbox_call("PUT", "/_sandbox/webhooks/endpoints", json={"urls": [dead]})
    session = custom_checkout(payment_client, 4301)
    complete(payment_stack, session.session_id, "async_failed")
    assert fetch(payment_client, session.payment_id).failure_reason is None
    payment_stack.run_cli("reconcile", extra_env={"RECONCILE_AFTER_SECONDS": "0"})
    payment = fetch(payment_client, session.payment_id)
    assert (str(payment.status), payment.failure_reason) == ("failed", DECLINED)


def test_expired_session_makes_the_payment_expired_and_late_events_are_ignored(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 4400)
    payment_stack.sandbox_call("POST", f"/_sandbox/checkout/sessions/{session.session_id}/expire")
    wait_for_status(payment_client, session.payment_id, "expired")
    # A forged-late but correctly signed "completed" after expiry changes nothing.
    payload = event_payload(
        "checkout.session.completed",
        {"id": session.session_id, "metadata": {"payment_id": session.payment_id},
         "payment_status": "paid"},
    )  # fmt: skip
    response = httpx.post(
        payment_stack.webhook_url, content=payload, headers={"Stripe-Signature": sign(payload)}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "received"  # stored; the worker processes it
    stored = wait_until_processed(
        payment_stack.url, payment_stack.admin_headers, response.json()["event_id"]
    )
    assert stored["state"] == "processed"
    assert stored["outcome"].startswith("ignored")
    assert transitions(payment_client, session.payment_id) == ["pending", "expired"]


def test_partial_then_full_refund(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 1000)
    complete(payment_stack, session.session_id, "paid")
    wait_for_status(payment_client, session.payment_id, "succeeded")

    key = uuid.uuid4().hex
    first = create_refund.sync_detailed(
        session.payment_id,
        client=payment_client,
        body=RefundCreate(amount=300),
        idempotency_key=key,
    )
    assert first.status_code == 201, first.content
    assert isinstance(first.parsed, Refund)
    assert first.parsed.status == RefundStatus.SUCCEEDED
    again = create_refund.sync(
        session.payment_id,
        client=payment_client,
        body=RefundCreate(amount=300),
        idempotency_key=key,
    )
    assert isinstance(again, Refund)
    assert again.id == first.parsed.id
    payment = wait_for_status(payment_client, session.payment_id, "partially_refunded")
    assert payment.refunded_amount.amount == 300

    too_much = create_refund.sync_detailed(
        session.payment_id, client=payment_client, body=RefundCreate(amount=701)
    )
    assert too_much.status_code == 422

    rest = create_refund.sync(session.payment_id, client=payment_client, body=RefundCreate())
    assert isinstance(rest, Refund)
    assert rest.amount.amount == 700
    payment = wait_for_status(payment_client, session.payment_id, "refunded")
    assert payment.refunded_amount.amount == 1000
    time.sleep(0.3)  # let refund.* / charge.refunded webhooks land: they must not count twice
    assert fetch(payment_client, session.payment_id).refunded_amount.amount == 1000
    assert transitions(payment_client, session.payment_id) == [
        "pending", "succeeded", "partially_refunded", "refunded",
    ]  # fmt: skip

    listed = list_refunds.sync(session.payment_id, client=payment_client)
    assert isinstance(listed, RefundList)
    assert [r.amount.amount for r in listed.data] == [300, 700]
    done = create_refund.sync_detailed(
        session.payment_id, client=payment_client, body=RefundCreate()
    )
    assert done.status_code == 409
    assert isinstance(done.parsed, Problem)


def test_refund_of_an_unpaid_payment_is_409(payment_client: AuthenticatedClient) -> None:
    session = custom_checkout(payment_client, 1100)
    response = create_refund.sync_detailed(
        session.payment_id, client=payment_client, body=RefundCreate()
    )
    assert response.status_code == 409


@pytest.mark.usefixtures("webhooks_restored")
def test_duplicate_deliveries_change_nothing(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    payment_stack.sandbox_call("POST", "/_sandbox/webhooks", json={"duplicate": True})
    session = custom_checkout(payment_client, 1200)
    complete(payment_stack, session.session_id, "paid")
    payment = wait_for_status(payment_client, session.payment_id, "succeeded")
    event_id = payment.status_history[-1].event_id
    assert isinstance(event_id, str)
    payment_stack.sandbox_call("POST", f"/_sandbox/events/{event_id}/resend")
    time.sleep(0.3)
    assert transitions(payment_client, session.payment_id) == ["pending", "succeeded"]
    replayed = replay_webhook_event.sync(event_id, client=payment_client)
    assert isinstance(replayed, WebhookEventRecord)
    assert str(replayed.state) == "processed"
    assert transitions(payment_client, session.payment_id) == ["pending", "succeeded"]


def test_racing_deliveries_of_one_event_make_one_transition(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 1300)
    payload = event_payload(
        "checkout.session.completed",
        {"id": session.session_id, "metadata": {"payment_id": session.payment_id},
         "payment_status": "paid", "payment_intent": "pi_race"},
    )  # fmt: skip
    headers = {"Stripe-Signature": sign(payload), "content-type": "application/json"}

    def deliver(_: int) -> httpx.Response:
        return httpx.post(payment_stack.webhook_url, content=payload, headers=headers, timeout=15)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(deliver, range(8)))
    assert {r.status_code for r in responses} == {200}
    assert sum(not r.json()["duplicate"] for r in responses) == 1
    wait_until_processed(payment_stack.url, payment_stack.admin_headers, json.loads(payload)["id"])
    assert transitions(payment_client, session.payment_id) == ["pending", "succeeded"]


@pytest.mark.usefixtures("webhooks_restored")
def test_out_of_order_events_never_move_a_payment_backwards(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    payment_stack.sandbox_call("POST", "/_sandbox/webhooks", json={"paused": True})
    session = custom_checkout(payment_client, 1400)
    complete(payment_stack, session.session_id, "async_pending")
    complete(payment_stack, session.session_id, "async_succeeded")
    # Deliver the async success BEFORE the completed(unpaid) event.
    events = {
        e["type"]: e
        for e in sandbox_events(payment_stack.sandbox.url, "checkout.session.*")
        if e["data"]["object"]["id"] == session.session_id
    }
    for event_type in (
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
    ):
        payload = json.dumps(events[event_type]).encode()
        response = httpx.post(
            payment_stack.webhook_url, content=payload, headers={"Stripe-Signature": sign(payload)}
        )
        assert response.status_code == 200
        wait_until_processed(
            payment_stack.url, payment_stack.admin_headers, events[event_type]["id"]
        )
    payment_stack.sandbox_call(
        "POST", "/_sandbox/webhooks", json={"paused": False, "shuffle": True}
    )
    time.sleep(0.3)
    assert transitions(payment_client, session.payment_id) == ["pending", "succeeded"]


@pytest.mark.usefixtures("webhooks_restored")
def test_endpoint_down_then_resend_repairs(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    dead = "http://127.0.0.1:9/webhooks/stripe"
    payment_stack.sandbox_call("PUT", "/_sandbox/webhooks/endpoints", json={"urls": [dead]})
    session = custom_checkout(payment_client, 1500)
    complete(payment_stack, session.session_id, "paid")
    time.sleep(0.2)
    assert str(fetch(payment_client, session.payment_id).status) == "pending"
    payment_stack.sandbox_call(
        "PUT", "/_sandbox/webhooks/endpoints", json={"urls": [payment_stack.webhook_url]}
    )
    event = next(
        e
        for e in sandbox_events(payment_stack.sandbox.url, "checkout.session.completed")
        if e["data"]["object"]["id"] == session.session_id
    )
    payment_stack.sandbox_call("POST", f"/_sandbox/events/{event['id']}/resend")
    wait_for_status(payment_client, session.payment_id, "succeeded")


@pytest.mark.usefixtures("webhooks_restored")
def test_endpoint_down_then_reconcile_repairs(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    dead = "http://127.0.0.1:9/webhooks/stripe"
    payment_stack.sandbox_call("PUT", "/_sandbox/webhooks/endpoints", json={"urls": [dead]})
    paid = custom_checkout(payment_client, 1600)
    expired = custom_checkout(payment_client, 1601)
    complete(payment_stack, paid.session_id, "paid")
    payment_stack.sandbox_call("POST", f"/_sandbox/checkout/sessions/{expired.session_id}/expire")
    report = json.loads(
        payment_stack.run_cli("reconcile", extra_env={"RECONCILE_AFTER_SECONDS": "0"})
    )
    assert report["payments_changed"] >= 2
    assert str(fetch(payment_client, paid.payment_id).status) == "succeeded"
    assert str(fetch(payment_client, expired.payment_id).status) == "expired"
    again = json.loads(
        payment_stack.run_cli("reconcile", extra_env={"RECONCILE_AFTER_SECONDS": "0"})
    )
    assert again["errors"] == []
    assert transitions(payment_client, paid.payment_id) == ["pending", "succeeded"]


def test_unknown_event_types_are_stored_and_acknowledged(payment_stack: PaymentStack) -> None:
    payload = event_payload("customer.created", {"id": "cus_1"})
    response = httpx.post(
        payment_stack.webhook_url, content=payload, headers={"Stripe-Signature": sign(payload)}
    )
    assert response.status_code == 200
    event_id = json.loads(payload)["id"]
    assert (
        wait_until_processed(payment_stack.url, payment_stack.admin_headers, event_id)["state"]
        == "processed"
    )
    replay = httpx.post(
        f"{payment_stack.url}/webhooks/events/{event_id}/replay",
        headers=payment_stack.admin_headers,
    )
    assert replay.status_code == 200
    assert replay.json()["outcome"].startswith("ignored")


def test_payment_status_enum_covers_the_state_machine() -> None:
    from payment_api.domain.states import PaymentStatus as DomainStatus

    assert {s.value for s in PaymentStatus} == {s.value for s in DomainStatus}


@pytest.mark.usefixtures("webhooks_restored")
def test_concurrent_reconcile_runs_apply_each_change_once(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    import os
    import subprocess

    from devstack.processes import python_argv

    dead = "http://127.0.0.1:9/webhooks/stripe"
    payment_stack.sandbox_call("PUT", "/_sandbox/webhooks/endpoints", json={"urls": [dead]})
    sessions = [custom_checkout(payment_client, 1700 + i) for i in range(3)]
    for session in sessions:
        complete(payment_stack, session.session_id, "paid")
    env = {**os.environ, **payment_stack.env, "RECONCILE_AFTER_SECONDS": "0"}
    runs = [
        subprocess.Popen(
            python_argv("-m", "payment_api", "reconcile"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    reports = [json.loads(run.communicate(timeout=60)[0]) for run in runs]
    assert all(r["errors"] == [] for r in reports)
    for session in sessions:
        assert transitions(payment_client, session.payment_id) == ["pending", "succeeded"]


def test_concurrent_refunds_never_exceed_the_paid_amount(
    payment_stack: PaymentStack, payment_client: AuthenticatedClient
) -> None:
    session = custom_checkout(payment_client, 1000)
    complete(payment_stack, session.session_id, "paid")
    wait_for_status(payment_client, session.payment_id, "succeeded")

    def refund(_: int) -> httpx.Response:
        return httpx.post(
            f"{payment_stack.url}/payments/{session.payment_id}/refunds",
            json={"amount": 600},
            headers=payment_stack.admin_headers,
            timeout=15,
        )

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = sorted(r.status_code for r in pool.map(refund, range(4)))
    assert statuses == [201, 422, 422, 422]
    time.sleep(0.3)
    assert fetch(payment_client, session.payment_id).refunded_amount.amount == 600
