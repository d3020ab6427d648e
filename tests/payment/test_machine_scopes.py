"""API clients (machine tokens, OAuth2 client credentials) are authorised by scope, people by
role, through the real FastAPI app in process (test_authorization.py's harness).

Each operation an API client may call names one scope (spec 3.3.0): a machine granted it
passes, one without it is 403 naming it (`WWW-Authenticate: Bearer error="insufficient_scope",
scope="..."`, RFC 6750 section 3.1); admins pass as before, customers keep only their own
payments; a machine never pays and is never taken for a customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from devstack.services import SANDBOX_WEBHOOK_SECRET
from payment_api.api.deps import SCOPES, Scope
from payment_api.db.models import AuditEventRow, Payment
from payment_api.domain.model import utcnow
from payment_api.domain.ports import SessionInfo
from tests.payment.fakes import IdempotentGateway
from tests.payment.helpers import event_payload, receive_and_process
from tests.payment.test_authorization import CUSTOM, PRODUCT, Api, assert_problem, make_api
from tests.payment.tokens import new_client_id

ALL_SCOPES = " ".join(SCOPES)


class Gateway(IdempotentGateway):
    """Refunds like Stripe, and closes sessions (a cancel)."""

    def expire_session(self, session_id: str, *, idempotency_key: str) -> SessionInfo:
        return SessionInfo(session_id, None, None, None, change=None)


@dataclass
class World:
    """An app with one of everything an operation can act on."""

    api: Api
    customer: str  # the token of the customer who owns both payments
    ids: dict[str, str]

    def call(self, op: Op, token: str) -> Any:
        path = op.path.format(**self.ids)
        return self.api.http.request(op.method, path, json=op.body, headers=self.api.as_(token))


@dataclass(frozen=True)
class Op:
    scope: Scope
    method: str
    path: str
    status: int  # what a caller that is let through gets in the World
    body: Any = None
    customers_too: bool = False  # customers may call it (for their own payments)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINT = {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}  # never delivered to here
ENDPOINT_2 = "http://127.0.0.1:9/another-hook"
# Every operation an API client may call, with its scope (specs/payment_api.yaml).
OPS = [
    Op(Scope.PAYMENTS_READ, "GET", "/payments", 200, customers_too=True),
    Op(Scope.PAYMENTS_READ, "GET", "/payments/{paid}", 200, customers_too=True),
    Op(Scope.PAYMENTS_READ, "GET", "/payments/{paid}/refunds", 200, customers_too=True),
    Op(Scope.PAYMENTS_WRITE, "POST", "/payments/{pending}/cancel", 200, customers_too=True),
    Op(Scope.PAYMENTS_WRITE, "POST", "/payments/{paid}/refunds", 201, {"amount": 100}),
    Op(Scope.PRODUCTS_WRITE, "POST", "/products", 201, PRODUCT),
    Op(Scope.PRODUCTS_WRITE, "PATCH", "/products/{product}", 200, {"name": "Green"}),
    Op(Scope.EVENTS_READ, "GET", "/events", 200),
    Op(Scope.EVENTS_READ, "GET", "/events/{event}", 200),
    Op(Scope.EVENTS_READ, "GET", "/webhooks/events", 200),
    Op(Scope.EVENTS_READ, "GET", "/webhooks/events/{evt}", 200),
    Op(Scope.EVENTS_WRITE, "POST", "/webhooks/events/{evt}/replay", 200),
    Op(Scope.WEBHOOKS_READ, "GET", "/webhook-endpoints", 200),
    Op(Scope.WEBHOOKS_READ, "GET", "/webhook-endpoints/{endpoint}", 200),
    Op(Scope.WEBHOOKS_READ, "GET", "/webhook-endpoints/{endpoint}/deliveries", 200),
    Op(Scope.WEBHOOKS_READ, "GET", "/webhook-endpoints/{endpoint}/attempts", 200),
    Op(Scope.WEBHOOKS_WRITE, "POST", "/webhook-endpoints", 201, {**ENDPOINT, "url": ENDPOINT_2}),
    Op(Scope.WEBHOOKS_WRITE, "PATCH", "/webhook-endpoints/{endpoint}", 200, {"enabled": False}),
    Op(Scope.WEBHOOKS_WRITE, "POST", "/webhook-endpoints/{endpoint}/rotate-secret", 200, {}),
    Op(Scope.WEBHOOKS_WRITE, "POST", "/webhook-endpoints/{endpoint}/deliveries/{event}/retry", 202),
    Op(Scope.WEBHOOKS_WRITE, "DELETE", "/webhook-endpoints/{endpoint}", 204),
    Op(Scope.AUDIT_READ, "GET", "/audit/payment-events", 200),
    Op(Scope.CHECKOUT_WRITE, "POST", "/checkout-sessions", 201, CUSTOM, customers_too=True),
]
ADMIN_ONLY = [op for op in OPS if not op.customers_too]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = {
        "stripe_webhook_secrets": [SANDBOX_WEBHOOK_SECRET],
        "webhook_allow_http": True,
        "webhook_allow_private_addresses": True,
    }
    for api in make_api(tmp_path, Gateway(), **settings):
        admin = api.as_(api.token("admin"))
        customer = api.token("customer")
        endpoint = api.http.post("/webhook-endpoints", json=ENDPOINT, headers=admin).json()["id"]
        product = api.http.post("/products", json=PRODUCT, headers=admin).json()["id"]
        pending = new_checkout(api, customer)
        paid, evt = new_checkout(api, customer), f"evt_test_{uuid.uuid4().hex}"
        pay(api, paid, evt)
        event = api.http.get("/events", headers=admin).json()["data"][0]["id"]
        ids = {"pending": pending, "paid": paid, "evt": evt, "event": event}
        yield World(api, customer, {**ids, "product": product, "endpoint": endpoint})


def new_checkout(api: Api, token: str) -> str:
    response = api.http.post("/checkout-sessions", json=CUSTOM, headers=api.as_(token))
    assert response.status_code == 201, response.text
    payment_id: str = response.json()["payment_id"]
    return payment_id


def pay(api: Api, payment_id: str, event_id: str) -> None:
    """The gateway reports the payment's session paid, through the webhook inbox."""
    with api.container.uow() as uow:
        payment = uow.session.get(Payment, payment_id)
        assert payment is not None
        session_id = payment.checkout_session_id
    session = {
        "id": session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_1",
        "metadata": {"payment_id": payment_id},
    }
    payload = event_payload("checkout.session.completed", session, event_id)
    assert receive_and_process(api.container, payload).state == "processed"


def machine(api: Api, scope: str, client_id: str | None = None) -> str:
    return api.key.client_token(scope, client_id)


def insufficient_scope(response: Any, scope: str) -> dict[str, Any]:
    body = assert_problem(response, 403)
    assert scope in body["detail"]
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="payment-api", error="insufficient_scope", scope="{scope}"'
    )
    return body


# -- scopes --------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=str)
def test_a_machine_granted_the_operations_scope_is_let_through(world: World, op: Op) -> None:
    response = world.call(op, machine(world.api, op.scope))
    assert response.status_code == op.status, response.text


@pytest.mark.parametrize("op", OPS, ids=str)
def test_a_machine_with_every_other_scope_is_403_naming_the_missing_one(
    world: World, op: Op
) -> None:
    others = " ".join(s for s in SCOPES if s != op.scope)
    insufficient_scope(world.call(op, machine(world.api, others)), op.scope)


def test_a_machine_without_any_scope_is_403_everywhere_it_could_go(world: World) -> None:
    token = machine(world.api, "")
    for op in OPS:
        insufficient_scope(world.call(op, token), op.scope)


def test_a_scope_grants_only_when_named_exactly(world: World) -> None:
    """`payments` or `payments:*` is not `payments:read`, nor is another case."""
    for granted in ("payments", "payments:*", "PAYMENTS:READ", "payments:read,payments:write"):
        response = world.api.http.get(
            "/payments", headers=world.api.as_(machine(world.api, granted))
        )
        insufficient_scope(response, "payments:read")


@pytest.mark.parametrize("op", ADMIN_ONLY, ids=str)
def test_a_customer_is_still_403_on_an_admin_operation(world: World, op: Op) -> None:
    body = insufficient_scope(world.call(op, world.api.token("customer")), op.scope)
    assert "admin" in body["detail"]


@pytest.mark.parametrize("op", OPS, ids=str)
def test_an_admin_still_passes_without_any_scope(world: World, op: Op) -> None:
    response = world.call(op, world.api.token("admin"))
    assert response.status_code == op.status, response.text


def test_customers_keep_their_own_payments_and_only_those(world: World) -> None:
    stranger = world.api.as_(world.api.token("customer"))
    assert world.api.http.get("/payments", headers=stranger).json()["data"] == []
    assert_problem(world.api.http.get(f"/payments/{world.ids['paid']}", headers=stranger), 404)
    owner = world.api.as_(world.customer)
    mine = {p["id"] for p in world.api.http.get("/payments", headers=owner).json()["data"]}
    assert mine == {world.ids["paid"], world.ids["pending"]}


def test_a_machine_sees_every_payment_as_an_admin_does(world: World) -> None:
    other = new_checkout(world.api, world.api.token("customer"))

    def listed(token: str) -> set[str]:
        response = world.api.http.get("/payments", headers=world.api.as_(token))
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["data"]}

    everyone = {world.ids["paid"], world.ids["pending"], other}
    assert listed(machine(world.api, "payments:read")) == everyone
    assert listed(world.api.token("admin")) == everyone


def test_a_machine_is_never_taken_for_the_user_its_client_id_would_name(world: World) -> None:
    """A payment whose user id equals a client id is not that client's own: without the
    scope the machine is refused, not shown "its" payments as a customer would be."""
    client_id = new_client_id()
    admin = world.api.token("admin")
    world.api.http.post(
        "/checkout-sessions", json={**CUSTOM, "user_id": client_id}, headers=world.api.as_(admin)
    )
    token = machine(world.api, "products:write", client_id)
    insufficient_scope(
        world.api.http.get("/payments", headers=world.api.as_(token)), "payments:read"
    )


# -- checkout: people, and a storefront's guests ------------------------------------------


def test_a_machine_with_checkout_write_starts_a_guests_checkout_with_no_user(
    world: World,
) -> None:
    token = world.api.as_(machine(world.api, "checkout:write payments:read"))
    created = world.api.http.post("/checkout-sessions", json=CUSTOM, headers=token)
    assert created.status_code == 201, created.text
    payment = world.api.http.get(f"/payments/{created.json()['payment_id']}", headers=token)
    assert payment.json()["user_id"] is None
    named = world.api.http.post(
        "/checkout-sessions", json={**CUSTOM, "user_id": str(uuid.uuid4())}, headers=token
    )
    assert assert_problem(named, 422)["errors"][0]["field"] == "body.user_id"


def test_other_machines_cannot_create_a_checkout_nor_use_the_shortcut(world: World) -> None:
    others = " ".join(s for s in SCOPES if s != "checkout:write")
    token = world.api.as_(machine(world.api, others))
    sessions = len(world.api.container.reads.payments(limit=100, cursor=None)["data"])
    insufficient_scope(
        world.api.http.post("/checkout-sessions", json=CUSTOM, headers=token), "checkout:write"
    )
    shortcut = world.api.http.get("/checkout/", params={"price": "5"}, headers=token)
    assert "API clients cannot pay" in assert_problem(shortcut, 403)["detail"]
    assert len(world.api.container.reads.payments(limit=100, cursor=None)["data"]) == sessions


def test_a_machine_cannot_use_the_anonymous_checkout_shortcut_either(tmp_path: Path) -> None:
    for api in make_api(tmp_path, allow_anonymous_checkout=True):
        token = api.as_(machine(api, ALL_SCOPES))
        assert api.http.get("/checkout/", params={"price": "5"}).status_code == 303
        response = api.http.get("/checkout/", params={"price": "5"}, headers=token)
        assert "API clients cannot pay" in assert_problem(response, 403)["detail"]


# -- person or machine, never both ---------------------------------------------------------


def test_a_token_with_both_a_role_and_a_client_id_is_401(world: World) -> None:
    client_id = new_client_id()
    token = world.api.key.token(client_id, "admin", client_id=client_id, scope=ALL_SCOPES)
    response = world.api.http.get("/payments", headers=world.api.as_(token))
    body = assert_problem(response, 401)
    assert "role and a client_id" in body["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_token_with_neither_a_role_nor_a_client_id_is_401(world: World) -> None:
    token = world.api.key.token(str(uuid.uuid4()), None, scope=ALL_SCOPES)
    response = world.api.http.get("/payments", headers=world.api.as_(token))
    assert "neither a role" in assert_problem(response, 401)["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


# -- the audit trail -----------------------------------------------------------------------


def audit(world: World, **params: str) -> list[dict[str, Any]]:
    response = world.api.http.get(
        "/audit/payment-events", params=params, headers=world.api.as_(world.api.token("admin"))
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events


def test_a_machines_refund_is_audited_under_its_client_id(world: World) -> None:
    client_id = new_client_id()
    token = world.api.as_(machine(world.api, "payments:write", client_id))
    refund = world.api.http.post(
        f"/payments/{world.ids['paid']}/refunds", json={"amount": 100}, headers=token
    )
    assert refund.status_code == 201, refund.text
    [event] = audit(world, actor_id=client_id)
    assert event["action"] == "refund.created"
    assert event["target_id"] == refund.json()["id"]
    assert event["actor"]["type"] == "api_client"
    assert (event["actor"]["client_id"], event["actor"]["user_id"]) == (client_id, None)
    assert event["actor"]["request_id"]


def test_a_machines_product_changes_are_audited_under_its_client_id(world: World) -> None:
    client_id = new_client_id()
    token = world.api.as_(machine(world.api, "products:write", client_id))
    created = world.api.http.post("/products", json=PRODUCT, headers=token).json()
    world.api.http.patch(f"/products/{created['id']}", json={"active": False}, headers=token)
    events = audit(world, actor_id=client_id)
    assert [e["action"] for e in events] == ["product.updated", "product.created"]
    assert {e["target_id"] for e in events} == {created["id"]}
    assert {(e["actor"]["type"], e["actor"]["client_id"]) for e in events} == {
        ("api_client", client_id)
    }


def test_an_admins_actions_are_still_audited_as_a_user(world: World) -> None:
    events = audit(world, action="product.created")  # the world's product, made by an admin
    [actor] = [e["actor"] for e in events]
    assert actor["type"] == "user"
    assert actor["client_id"] is None
    uuid.UUID(actor["user_id"])


def test_audit_events_recorded_before_api_clients_existed_read_as_users(world: World) -> None:
    """The migration's default: every earlier event was an admin's."""
    row = {"id": str(uuid.uuid4()), "at": utcnow(), "action": "product.created"}
    with world.api.container.engine.begin() as conn:  # no actor_type, as before 3.3.0
        conn.execute(
            insert(AuditEventRow).values(**row, actor_id="u-old", target_id="p", details={})
        )
    [old] = audit(world, actor_id="u-old")
    assert old["actor"]["type"] == "user"
    assert old["actor"]["user_id"] == "u-old"
