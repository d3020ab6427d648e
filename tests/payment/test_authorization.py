"""Who may call what, through the real FastAPI app in process.

The app runs with a fake gateway and user directory, a SQLite file, and a JWKS served from a
mock transport with keys made here: every rule is checked without the other services. The
same rules against the real user service are in tests/e2e/test_auth_with_users.py.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from payment_api.auth import TokenVerifier
from payment_api.container import Container, build_container
from payment_api.db.models import Base
from payment_api.domain.ports import DirectoryUser, ForwardedTokenRejectedError, LookupResult
from payment_api.gateways.jwks import JwksKeySource
from payment_api.main import create_app
from payment_api.settings import Settings
from tests.payment.fakes import FakeGateway
from tests.payment.tokens import AUDIENCE, ISSUER, FakeJwks, SigningKey

with warnings.catch_warnings():  # starlette 1.x would like httpx2 for TestClient; httpx works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


class Directory:
    """Every user exists; remembers the token each lookup forwarded."""

    def __init__(self) -> None:
        self.lookups: list[tuple[str, str | None]] = []
        self.refuse_tokens = False

    def lookup(self, user_id: str, *, bearer_token: str | None = None) -> LookupResult:
        self.lookups.append((user_id, bearer_token))
        if self.refuse_tokens:
            raise ForwardedTokenRejectedError("401")
        return DirectoryUser(id=user_id, email=f"{user_id}@example.com", full_name="X", active=True)

    def ping(self) -> None:
        pass


@dataclass
class Api:
    http: TestClient
    key: SigningKey
    jwks: FakeJwks
    users: Directory
    container: Container

    def token(self, role: str = "customer", sub: str | None = None, **claims: Any) -> str:
        return self.key.token(sub or str(uuid.uuid4()), role, **claims)

    def as_(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}


def make_api(tmp_path: Path, gateway: FakeGateway | None = None, **settings: Any) -> Iterator[Api]:
    key = SigningKey()
    jwks, users = FakeJwks(key), Directory()
    config = Settings(
        **{
            "database_url": f"sqlite:///{tmp_path / 'auth.sqlite3'}",
            "stripe_webhook_secrets": [],
            **settings,
        }
    )
    keys = JwksKeySource(
        config.jwks_url,
        cache_seconds=300,
        refresh_interval=0,
        timeout=1,
        transport=jwks.transport(),
    )
    container = build_container(
        config,
        gateway=gateway or FakeGateway(),
        users=users,
        verifier=TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE),
    )
    Base.metadata.create_all(container.engine)
    with TestClient(create_app(config, container), follow_redirects=False) as http:
        yield Api(http, key, jwks, users, container)
    container.engine.dispose()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from make_api(tmp_path)


PRODUCT = {"name": "Tea", "price": {"amount": 500, "currency": "USD"}}
CUSTOM = {"custom_amount": {"amount": 700, "currency": "USD"}}

# Every operation that needs a token: (method, path, JSON body). The catalogue's reads are
# public (tests/payment/test_cancel_and_catalogue.py).
PROTECTED = [
    ("POST", "/products", PRODUCT),
    ("PATCH", "/products/p1", {"active": False}),
    ("POST", "/payments/p1/cancel", None),
    ("POST", "/checkout-sessions", CUSTOM),
    ("GET", "/checkout/?price=5", None),
    ("GET", "/payments", None),
    ("GET", "/payments/pay1", None),
    ("POST", "/payments/pay1/refunds", {}),
    ("GET", "/payments/pay1/refunds", None),
    ("POST", "/webhooks/events/evt_1/replay", None),
]
CUSTOMERS_TOO = {"/checkout-sessions", "/payments/p1/cancel"}  # their own payments
ADMIN_ONLY = [op for op in PROTECTED if op[0] != "GET" and op[1] not in CUSTOMERS_TOO]
OP_IDS = [f"{m} {p}" for m, p, _ in PROTECTED]


def call(api: Api, op: tuple[str, str, Any], token: str | None) -> Any:
    method, path, body = op
    return api.http.request(method, path, json=body, headers=api.as_(token))


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def new_payment(api: Api, token: str, **extra: Any) -> dict[str, Any]:
    response = api.http.post("/checkout-sessions", json={**CUSTOM, **extra}, headers=api.as_(token))
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


# -- 401: no token, bad tokens -------------------------------------------------------------


@pytest.mark.parametrize("op", PROTECTED, ids=OP_IDS)
def test_protected_operation_without_a_token_is_401_with_a_bearer_challenge(
    api: Api, op: tuple[str, str, Any]
) -> None:
    response = call(api, op, None)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="payment-api"'


BAD_TOKENS = {
    "expired": lambda api: api.token("admin", ttl=-120),
    "signed_by_another_key": lambda api: SigningKey(kid=api.key.kid).token(role="admin"),
    "unknown_kid": lambda api: SigningKey().token(role="admin"),
    "wrong_audience": lambda api: api.token("admin", aud="urn:payment-platform:other"),
    "wrong_issuer": lambda api: api.token("admin", iss="https://evil.example"),
    "not_a_jwt": lambda api: "garbage",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
@pytest.mark.parametrize("op", PROTECTED, ids=OP_IDS)
def test_protected_operation_with_a_bad_token_is_401_invalid_token(
    api: Api, op: tuple[str, str, Any], kind: str
) -> None:
    response = call(api, op, BAD_TOKENS[kind](api))
    assert_problem(response, 401)
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="payment-api", error="invalid_token"')


def test_other_authorization_schemes_count_as_no_token(api: Api) -> None:
    response = api.http.get("/payments", headers={"Authorization": "Basic YTpi"})
    assert_problem(response, 401)
    assert "error=" not in response.headers["www-authenticate"]


def test_health_docs_spec_and_the_signed_webhook_need_no_token(api: Api) -> None:
    assert api.http.get("/healthz").status_code == 200
    assert api.http.get("/readyz").status_code == 200
    assert api.http.get("/docs").status_code == 200
    assert api.http.get("/openapi.json").status_code == 200
    # the webhook is authenticated by its Stripe signature: 400 without one, never 401
    assert_problem(api.http.post("/webhooks/stripe", content=b"{}"), 400)


def test_served_spec_points_both_oauth2_flows_at_the_configured_user_service(
    tmp_path: Path,
) -> None:
    for api in make_api(tmp_path, user_service_url="https://id.example"):
        schemes = api.http.get("/openapi.json").json()["components"]["securitySchemes"]
        assert schemes["OAuth2Password"]["flows"]["password"]["tokenUrl"] == (
            "https://id.example/auth/token"
        )
        client_flow = schemes["OAuth2ClientCredentials"]["flows"]["clientCredentials"]
        assert client_flow["tokenUrl"] == "https://id.example/auth/token"
        assert schemes["BearerAuth"] == {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": schemes["BearerAuth"]["description"],
        }


# -- 403: customers on admin operations ----------------------------------------------------


@pytest.mark.parametrize("op", ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
def test_admin_operation_with_a_customer_token_is_403(api: Api, op: tuple[str, str, Any]) -> None:
    response = call(api, op, api.token("customer"))
    body = assert_problem(response, 403)
    assert "admin" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_admins_create_and_update_products_customers_read_them(api: Api) -> None:
    admin, customer = api.as_(api.token("admin")), api.as_(api.token("customer"))
    created = api.http.post("/products", json=PRODUCT, headers=admin)
    assert created.status_code == 201
    product_id = created.json()["id"]
    patched = api.http.patch(f"/products/{product_id}", json={"name": "Green"}, headers=admin)
    assert patched.status_code == 200
    assert api.http.get(f"/products/{product_id}", headers=customer).json()["name"] == "Green"
    listed = api.http.get("/products", headers=customer).json()["data"]
    assert [p["id"] for p in listed] == [product_id]


def test_admin_reaches_refunds_and_replay_past_authorization(api: Api) -> None:
    admin = api.as_(api.token("admin"))
    payment = new_payment(api, api.token("customer"))
    refund = api.http.post(f"/payments/{payment['payment_id']}/refunds", json={}, headers=admin)
    assert_problem(refund, 409)  # authorised; the payment is not paid yet
    assert_problem(api.http.post("/webhooks/events/evt_nope/replay", headers=admin), 404)


# -- ownership -----------------------------------------------------------------------------


def test_a_customer_checkout_belongs_to_the_customer_and_forwards_their_token(api: Api) -> None:
    sub = str(uuid.uuid4())
    token = api.token("customer", sub)
    session = new_payment(api, token)
    payment = api.http.get(f"/payments/{session['payment_id']}", headers=api.as_(token)).json()
    assert (payment["user_id"], payment["customer_email"]) == (sub, f"{sub}@example.com")
    assert api.users.lookups == [(sub, token)]
    explicit = new_payment(api, token, user_id=sub)
    assert explicit["payment_id"] != session["payment_id"]


def test_a_customer_cannot_create_a_checkout_for_another_user(api: Api) -> None:
    token = api.token("customer")
    response = api.http.post(
        "/checkout-sessions", json={**CUSTOM, "user_id": str(uuid.uuid4())}, headers=api.as_(token)
    )
    body = assert_problem(response, 403)
    assert "body.user_id" in body["detail"]
    assert api.users.lookups == []  # no lookup: the answer says nothing about that user
    admin = api.as_(api.token("admin"))
    assert api.http.get("/payments", headers=admin).json()["data"] == []


def test_an_admin_may_create_a_checkout_for_any_user_or_none(api: Api) -> None:
    admin = api.token("admin")
    other = str(uuid.uuid4())
    for_other = new_payment(api, admin, user_id=other)
    anonymous = new_payment(api, admin)
    headers = api.as_(admin)
    users = {
        api.http.get(f"/payments/{p['payment_id']}", headers=headers).json()["user_id"]
        for p in (for_other, anonymous)
    }
    assert users == {other, None}


def test_another_users_payment_is_404_exactly_like_an_unknown_one(api: Api) -> None:
    alice, bob = api.token("customer"), api.token("customer")
    payment_id = new_payment(api, alice)["payment_id"]
    theirs = api.http.get(f"/payments/{payment_id}", headers=api.as_(bob))
    unknown = api.http.get("/payments/no-such-payment", headers=api.as_(bob))
    assert_problem(theirs, 404)
    assert_problem(unknown, 404)
    assert theirs.json()["detail"] == f"payment {payment_id} does not exist"
    refunds = api.http.get(f"/payments/{payment_id}/refunds", headers=api.as_(bob))
    assert_problem(refunds, 404)
    assert api.http.get(f"/payments/{payment_id}/refunds", headers=api.as_(alice)).json() == {
        "data": [],
        "next_cursor": None,
    }


def test_customers_list_only_their_own_payments_admins_list_all(api: Api) -> None:
    alice_id, bob_id = str(uuid.uuid4()), str(uuid.uuid4())
    alice, bob = api.token("customer", alice_id), api.token("customer", bob_id)
    mine = {new_payment(api, alice)["payment_id"] for _ in range(2)}
    theirs = new_payment(api, bob)["payment_id"]

    def listed(token: str, **params: str) -> set[str]:
        response = api.http.get("/payments", params=params, headers=api.as_(token))
        assert response.status_code == 200
        return {p["id"] for p in response.json()["data"]}

    assert listed(alice) == mine
    assert listed(alice, user_id=alice_id) == mine
    assert listed(alice, user_id=bob_id) == set()
    assert listed(api.token("admin")) == mine | {theirs}
    assert listed(api.token("admin"), user_id=bob_id) == {theirs}


def test_an_idempotency_key_never_replays_another_users_answer(api: Api) -> None:
    alice, bob = api.token("customer"), api.token("customer")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.http.post("/checkout-sessions", json=CUSTOM, headers={**api.as_(alice), **key})
    again = api.http.post("/checkout-sessions", json=CUSTOM, headers={**api.as_(alice), **key})
    assert first.json() == again.json()
    other = api.http.post("/checkout-sessions", json=CUSTOM, headers={**api.as_(bob), **key})
    assert other.status_code == 201  # keys are per caller: bob's own new checkout
    assert other.json()["payment_id"] != first.json()["payment_id"]


# -- GET /checkout/ shortcut ---------------------------------------------------------------


def test_anonymous_checkout_shortcut_is_401_unless_allowed(api: Api) -> None:
    assert_problem(api.http.get("/checkout/", params={"price": "5"}), 401)


def test_anonymous_checkout_shortcut_is_303_when_allowed(tmp_path: Path) -> None:
    for api in make_api(tmp_path, allow_anonymous_checkout=True):
        response = api.http.get("/checkout/", params={"price": "5"})
        assert response.status_code == 303
        assert response.headers["location"] == "https://pay.example/cs"
        # a token, when sent, must still be valid
        bad = api.http.get("/checkout/", params={"price": "5"}, headers=api.as_("garbage"))
        assert_problem(bad, 401)
        sub = str(uuid.uuid4())
        token = api.token("customer", sub)
        mine = api.http.get("/checkout/", params={"price": "5"}, headers=api.as_(token))
        assert mine.status_code == 303
        listed = api.http.get("/payments", headers=api.as_(token)).json()["data"]
        assert [p["user_id"] for p in listed] == [sub]


# -- keys ----------------------------------------------------------------------------------


def test_a_rotated_key_is_fetched_and_both_keys_verify(api: Api) -> None:
    old_token = api.token("admin")
    assert api.http.get("/payments", headers=api.as_(old_token)).status_code == 200
    new_key = SigningKey()
    api.jwks.keys = [new_key, api.key]
    new_token = new_key.token(str(uuid.uuid4()), "admin")
    assert api.http.get("/payments", headers=api.as_(new_token)).status_code == 200
    assert api.http.get("/payments", headers=api.as_(old_token)).status_code == 200
    assert api.jwks.requests == 2


def test_jwks_unreachable_is_503_problem(api: Api) -> None:
    api.jwks.down = True
    body = assert_problem(api.http.get("/payments", headers=api.as_(api.token("admin"))), 503)
    assert "keys" in body["detail"]
    api.jwks.down = False
    assert api.http.get("/payments", headers=api.as_(api.token("admin"))).status_code == 200


def test_authentication_is_checked_before_the_request_is_validated(api: Api) -> None:
    """No token and a bad body or path is 401, not 422: nothing is learnt without a token."""
    assert_problem(api.http.post("/products", json={"name": ""}), 401)
    assert_problem(api.http.get("/payments", params={"limit": "0"}), 401)
    assert_problem(api.http.post("/checkout-sessions", json={"x": 1}), 401)
    customer = api.as_(api.token("customer"))
    assert_problem(api.http.post("/products", json={"name": ""}, headers=customer), 403)


def test_a_token_with_odd_bytes_is_401_never_500(api: Api) -> None:
    for raw in (b"Bearer \xc3\xa9\xff", b'Bearer a"b\\c.d.e', b"Bearer " + b"x" * 8000):
        response = api.http.get("/payments", headers={"Authorization": raw})  # type: ignore[dict-item]
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].isascii()


def test_swagger_ui_keeps_the_authorization_across_reloads(api: Api) -> None:
    assert '"persistAuthorization": true' in api.http.get("/docs").text


def test_a_token_the_user_service_refuses_on_lookup_is_401_and_stores_nothing(api: Api) -> None:
    api.users.refuse_tokens = True
    token = api.token("customer")
    response = api.http.post("/checkout-sessions", json=CUSTOM, headers=api.as_(token))
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    admin = api.as_(api.token("admin"))
    assert api.http.get("/payments", headers=admin).json()["data"] == []
