"""Injected faults as the SDK sees them: 500s, hangs, dropped connections."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import stripe

from devstack.processes import ServerProcess
from tests.stripe_sandbox.helpers import control, sdk, session_params


@pytest.fixture(autouse=True)
def no_faults_left(stripe_sandbox: ServerProcess) -> Iterator[None]:
    yield
    control(stripe_sandbox, "DELETE", "/_sandbox/faults")


def count(sandbox: ServerProcess) -> int:
    return int(control(sandbox, "GET", "/_sandbox/checkout/sessions")["count"])


def test_500s_exhaust_sdk_retries_then_same_key_creates_exactly_one_session(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    key = uuid.uuid4().hex
    before = count(stripe_sandbox)
    control(stripe_sandbox, "POST", "/_sandbox/faults",
            {"path_prefix": "/v1/checkout/sessions", "method": "POST", "mode": "error_500",
             "count": 3})  # fmt: skip
    with pytest.raises(stripe.APIError):
        client.v1.checkout.sessions.create(
            params=session_params(),  # type: ignore[arg-type]
            options={"idempotency_key": key},
        )
    assert count(stripe_sandbox) == before
    control(stripe_sandbox, "POST", "/_sandbox/faults",
            {"path_prefix": "/v1/checkout/sessions", "mode": "error_500", "count": 1})  # fmt: skip
    created = client.v1.checkout.sessions.create(
        params=session_params(),  # type: ignore[arg-type]
        options={"idempotency_key": key},
    )
    again = client.v1.checkout.sessions.create(
        params=session_params(),  # type: ignore[arg-type]
        options={"idempotency_key": key},
    )
    assert created.id == again.id
    assert count(stripe_sandbox) == before + 1


def test_hang_delays_then_answers_normally(stripe_sandbox: ServerProcess) -> None:
    control(stripe_sandbox, "POST", "/_sandbox/faults",
            {"path_prefix": "/v1/events", "mode": "hang", "seconds": 0.6, "count": 1})  # fmt: skip
    started = time.monotonic()
    listing = sdk(stripe_sandbox).v1.events.list(params={"limit": 1})
    assert time.monotonic() - started >= 0.6
    assert listing.object == "list"


def test_a_hung_request_is_still_done_after_the_client_gave_up_waiting(
    stripe_sandbox: ServerProcess,
) -> None:
    """A timeout at the client is a lost answer, not a lost request: the session exists."""
    control(stripe_sandbox, "POST", "/_sandbox/faults",
            {"path_prefix": "/v1/checkout/sessions", "method": "POST", "mode": "hang",
             "seconds": 1.0, "count": 1})  # fmt: skip
    before = count(stripe_sandbox)
    impatient = stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": stripe_sandbox.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.3),
    )
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    assert count(stripe_sandbox) == before
    deadline = time.monotonic() + 5
    while count(stripe_sandbox) == before:
        assert time.monotonic() < deadline, "the hung request was dropped, not done"
        time.sleep(0.05)
    assert count(stripe_sandbox) == before + 1


def test_dropped_connections_raise_api_connection_error(stripe_sandbox: ServerProcess) -> None:
    control(stripe_sandbox, "POST", "/_sandbox/faults",
            {"path_prefix": "/v1/events", "mode": "drop", "count": 2})  # fmt: skip
    with pytest.raises(stripe.APIConnectionError):
        sdk(stripe_sandbox, retries=1).v1.events.list()
    assert sdk(stripe_sandbox).v1.events.list(params={"limit": 1}).object == "list"
