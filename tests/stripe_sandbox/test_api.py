"""The /v1 API through the real stripe SDK: lifecycle, lists, refunds, errors, idempotency."""

from __future__ import annotations

import uuid

import httpx
import pytest
import stripe

from devstack.processes import ServerProcess
from tests.stripe_sandbox.helpers import complete, control, create_session, sdk, session_params


def test_created_session_is_open_unpaid_with_hosted_url_and_retrievable(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(
        client, amount=500, quantity=3, customer_email="a@b.test", client_reference_id="ref-1"
    )
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.amount_total == 1500
    assert session.currency == "usd"
    assert session.url == f"{stripe_sandbox.url}/checkout/{session.id}"
    assert session.to_dict()["metadata"] == {"order": "o-1"}
    assert session.client_reference_id == "ref-1"
    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.id == session.id
    assert again.customer_email == "a@b.test"


def test_paid_completion_gives_succeeded_payment_intent_with_captured_charge(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(client, amount=2000)
    done = complete(stripe_sandbox, session.id, "paid")
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    pi = client.v1.payment_intents.retrieve(
        done["payment_intent"], params={"expand": ["latest_charge"]}
    )
    assert pi.status == "succeeded"
    assert pi.amount_received == 2000
    assert pi.to_dict()["metadata"] == {"payment_id": "pay_1"}
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.amount_captured == 2000
    assert charge.paid


def test_async_pending_then_succeeded_and_failed(stripe_sandbox: ServerProcess) -> None:
    client = sdk(stripe_sandbox)
    ok, ko = create_session(client), create_session(client)
    for s in (ok, ko):
        pending = complete(stripe_sandbox, s.id, "async_pending")
        assert (pending["status"], pending["payment_status"]) == ("complete", "unpaid")
        assert client.v1.payment_intents.retrieve(pending["payment_intent"]).status == "processing"
    assert complete(stripe_sandbox, ok.id, "async_succeeded")["payment_status"] == "paid"
    failed = complete(stripe_sandbox, ko.id, "async_failed")
    assert failed["payment_status"] == "unpaid"
    pi = client.v1.payment_intents.retrieve(failed["payment_intent"])
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error is not None


def test_completing_a_finished_session_is_rejected(stripe_sandbox: ServerProcess) -> None:
    session = create_session(sdk(stripe_sandbox))
    complete(stripe_sandbox, session.id)
    r = httpx.post(
        f"{stripe_sandbox.url}/_sandbox/checkout/sessions/{session.id}/complete",
        json={"outcome": "paid"},
    )
    assert r.status_code == 400


def test_expire_by_api_and_by_time(stripe_sandbox: ServerProcess) -> None:
    import time

    client = sdk(stripe_sandbox)
    session = create_session(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    short = create_session(client, expires_at=int(time.time()) + 1)
    time.sleep(2.1)
    assert client.v1.checkout.sessions.retrieve(short.id).status == "expired"


def test_list_sessions_filters_by_payment_intent_and_paginates(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    sessions = [create_session(client) for _ in range(3)]
    done = complete(stripe_sandbox, sessions[1].id)
    found = client.v1.checkout.sessions.list(params={"payment_intent": done["payment_intent"]})
    assert [s.id for s in found.data] == [sessions[1].id]
    page1 = client.v1.checkout.sessions.list(params={"limit": 2})
    assert [s.id for s in page1.data] == [sessions[2].id, sessions[1].id]
    assert page1.has_more
    page2 = client.v1.checkout.sessions.list(params={"limit": 1, "starting_after": sessions[1].id})
    assert [s.id for s in page2.data] == [sessions[0].id]


def test_refunds_partial_then_full_update_charge_and_never_exceed_captured(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    done = complete(stripe_sandbox, create_session(client, amount=1000).id)
    pi_id = done["payment_intent"]
    partial = client.v1.refunds.create(
        params={
            "payment_intent": pi_id,
            "amount": 300,
            "metadata": {"refund_id": "r1"},
            "reason": "requested_by_customer",
        }
    )
    assert (partial.amount, partial.status) == (300, "succeeded")
    assert partial.to_dict()["metadata"] == {"refund_id": "r1"}
    assert client.v1.refunds.retrieve(partial.id).payment_intent == pi_id
    with pytest.raises(stripe.InvalidRequestError) as too_large:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 701})
    assert too_large.value.code == "amount_too_large"
    assert too_large.value.http_status == 400
    rest = client.v1.refunds.create(params={"payment_intent": pi_id})
    assert rest.amount == 700
    pi = client.v1.payment_intents.retrieve(pi_id, params={"expand": ["latest_charge"]})
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as already:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 1})
    assert already.value.code == "charge_already_refunded"


def test_refunds_are_listed_newest_first_and_filtered_by_payment_intent(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    pi_a = complete(stripe_sandbox, create_session(client, amount=1000).id)["payment_intent"]
    pi_b = complete(stripe_sandbox, create_session(client, amount=1000).id)["payment_intent"]
    first = client.v1.refunds.create(params={"payment_intent": pi_a, "amount": 100})
    client.v1.refunds.create(params={"payment_intent": pi_b, "amount": 100})
    second = client.v1.refunds.create(
        params={"payment_intent": pi_a, "amount": 200, "metadata": {"refund_id": "r2"}}
    )
    listed = client.v1.refunds.list(params={"payment_intent": pi_a})
    assert [r.id for r in listed.data] == [second.id, first.id]
    assert listed.data[0].to_dict()["metadata"] == {"refund_id": "r2"}
    page = client.v1.refunds.list(params={"payment_intent": pi_a, "limit": 1})
    assert ([r.id for r in page.data], page.has_more) == ([second.id], True)
    assert [r.id for r in page.auto_paging_iter()] == [second.id, first.id]


def test_refund_of_unpaid_payment_intent_is_rejected(stripe_sandbox: ServerProcess) -> None:
    client = sdk(stripe_sandbox)
    pending = complete(stripe_sandbox, create_session(client).id, "async_pending")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": pending["payment_intent"]})


def test_events_are_retrievable_and_listable_by_type_and_created(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(client)
    complete(stripe_sandbox, session.id)
    events = client.v1.events.list(params={"type": "checkout.session.completed", "limit": 100})
    mine = [e for e in events.data if e.data.object["id"] == session.id]
    assert len(mine) == 1
    event = client.v1.events.retrieve(mine[0].id)
    assert event.type == "checkout.session.completed"
    assert event.data.object["payment_status"] == "paid"
    later = client.v1.events.list(params={"created": {"gte": event.created + 3600}})
    assert later.data == []
    first = client.v1.events.list(params={"limit": 1})
    assert len(first.data) == 1
    after = client.v1.events.list(params={"limit": 1, "starting_after": first.data[0].id})
    assert after.data[0].id != first.data[0].id


def test_missing_or_bad_key_is_401_in_stripes_format(stripe_sandbox: ServerProcess) -> None:
    bad = stripe.StripeClient("sk_live_nope", base_addresses={"api": stripe_sandbox.url})
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.checkout.sessions.list()
    r = httpx.get(f"{stripe_sandbox.url}/v1/events")
    assert r.status_code == 401
    assert set(r.json()["error"]) == {"type", "code", "message", "param"}
    assert r.headers["request-id"].startswith("req_")
    basic = httpx.get(f"{stripe_sandbox.url}/v1/events", auth=("sk_test_basic", ""))
    assert basic.status_code == 200


def test_unknown_objects_are_404_resource_missing(stripe_sandbox: ServerProcess) -> None:
    client = sdk(stripe_sandbox)
    for call in (
        lambda: client.v1.checkout.sessions.retrieve("cs_test_nope"),
        lambda: client.v1.payment_intents.retrieve("pi_nope"),
        lambda: client.v1.refunds.retrieve("re_nope"),
        lambda: client.v1.events.retrieve("evt_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            call()
        assert (exc.value.http_status, exc.value.code) == (404, "resource_missing")


@pytest.mark.parametrize(
    ("override", "param"),
    [
        ({"mode": None}, "mode"),
        ({"line_items": None}, "line_items"),
        ({"line_items": [{"price_data": {"currency": "usd", "unit_amount": "12.5",
          "product_data": {"name": "x"}}, "quantity": 1}]},
         "line_items[0][price_data][unit_amount]"),
        ({"line_items": [{"price_data": {"currency": "usd", "unit_amount": 5,
          "product_data": {"name": "x"}}, "quantity": 0}]}, "line_items[0][quantity]"),
        ({"currency": "usdollar"}, "currency"),
        ({"expires_at": "soon"}, "expires_at"),
    ],
)  # fmt: skip
def test_invalid_params_are_400_naming_the_param_and_store_nothing(
    stripe_sandbox: ServerProcess, override: dict[str, object], param: str
) -> None:
    before = control(stripe_sandbox, "GET", "/_sandbox/checkout/sessions")["count"]
    params = {k: v for k, v in {**session_params(), **override}.items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sdk(stripe_sandbox).v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert exc.value.http_status == 400
    assert exc.value.param == param
    assert control(stripe_sandbox, "GET", "/_sandbox/checkout/sessions")["count"] == before


def test_same_idempotency_key_replays_and_different_params_conflict(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    key = uuid.uuid4().hex
    before = control(stripe_sandbox, "GET", "/_sandbox/checkout/sessions")["count"]
    first = client.v1.checkout.sessions.create(
        params=session_params(),  # type: ignore[arg-type]
        options={"idempotency_key": key},
    )
    second = client.v1.checkout.sessions.create(
        params=session_params(),  # type: ignore[arg-type]
        options={"idempotency_key": key},
    )
    assert first.id == second.id
    assert second.last_response is not None
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert control(stripe_sandbox, "GET", "/_sandbox/checkout/sessions")["count"] == before + 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            params=session_params(amount=1),  # type: ignore[arg-type]
            options={"idempotency_key": key},
        )


def test_every_answer_carries_request_id(stripe_sandbox: ServerProcess) -> None:
    client = sdk(stripe_sandbox)
    session = create_session(client)
    assert session.last_response is not None
    assert session.last_response.headers["Request-Id"].startswith("req_")
    assert httpx.get(f"{stripe_sandbox.url}/healthz").headers["request-id"].startswith("req_")


def test_failed_validation_saves_no_idempotent_result(stripe_sandbox: ServerProcess) -> None:
    client = sdk(stripe_sandbox)
    key = uuid.uuid4().hex
    bad = {k: v for k, v in session_params().items() if k != "mode"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            params=bad,  # type: ignore[arg-type]
            options={"idempotency_key": key},
        )
    fixed = client.v1.checkout.sessions.create(
        params=session_params(),  # type: ignore[arg-type]
        options={"idempotency_key": key},
    )
    assert fixed.status == "open"


def test_unknown_api_routes_and_methods_answer_in_stripes_error_format(
    stripe_sandbox: ServerProcess,
) -> None:
    for method in ("GET", "PATCH", "POST"):
        r = httpx.request(method, f"{stripe_sandbox.url}/v1/nothing_here", auth=("sk_test_x", ""))
        assert r.status_code == 404
        assert r.json()["error"]["type"] == "invalid_request_error"
