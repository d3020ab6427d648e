"""OWASP API Security Top 10 (2023), walked through against the real session processes.

One section per item; docs/security.md maps each item to these tests, to the deeper suites
(tests/payment, tests/user_management, tests/reliability) and to the decisions taken.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack import services
from devstack.processes import ServerProcess, free_port
from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import SHOP_ORIGIN, PaymentStack
from tests.payment.tokens import AUDIENCE, ISSUER, SigningKey

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def is_problem(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers.get("content-type", "").startswith(PROBLEM)
        and response.json().get("status") == status
    )


def own_checkout(
    stack: PaymentStack, token: str, amount: int = 1500, extra: dict[str, Any] | None = None
) -> httpx.Response:
    """POST /checkout-sessions for `amount` cents; `extra` adds top-level body fields."""
    return httpx.post(
        f"{stack.url}/checkout-sessions",
        json={"custom_amount": {"amount": amount, "currency": "USD"}, **(extra or {})},
        headers=bearer(token),
        timeout=15,
    )


def paid_payment(stack: PaymentStack, token: str, amount: int = 1500) -> str:
    """A checkout of `token`'s user, paid on the sandbox's hosted page; its payment id."""
    created = own_checkout(stack, token, amount)
    assert created.status_code == 201, created.text
    session = created.json()
    stack.sandbox_call(
        "POST",
        f"/_sandbox/checkout/sessions/{session['session_id']}/complete",
        json={"outcome": "paid"},
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = httpx.get(
            f"{stack.url}/payments/{session['payment_id']}", headers=stack.admin_headers
        )
        if got.json().get("status") == "succeeded":
            return str(session["payment_id"])
        time.sleep(0.05)
    raise AssertionError(f"payment {session['payment_id']} never succeeded")


@pytest.fixture(scope="module")
def alice(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer()


@pytest.fixture(scope="module")
def bob(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer()


@pytest.fixture(scope="module")
def alices_paid_payment(payment_stack: PaymentStack, alice: Customer) -> str:
    return paid_payment(payment_stack, alice.token)


# -- API1 Broken Object Level Authorization -----------------------------------------------


def test_api1_another_users_payment_refunds_and_user_record_are_404(
    payment_stack: PaymentStack,
    user_service: ServerProcess,
    alice: Customer,
    bob: Customer,
    alices_paid_payment: str,
) -> None:
    pay, users = payment_stack.url, user_service.url
    attempts = [
        httpx.get(f"{pay}/payments/{alices_paid_payment}", headers=bob.headers),
        httpx.get(f"{pay}/payments/{alices_paid_payment}/refunds", headers=bob.headers),
        httpx.get(f"{users}/users/{alice.id}", headers=bob.headers),
        httpx.patch(f"{users}/users/{alice.id}", json={"full_name": "X"}, headers=bob.headers),
        httpx.delete(f"{users}/users/{alice.id}", headers=bob.headers),
    ]
    for response in attempts:
        assert is_problem(response, 404), (response.request.url, response.text)
    # listing with alice's id as a filter shows bob nothing of hers
    listed = httpx.get(f"{pay}/payments", params={"user_id": alice.id}, headers=bob.headers)
    assert listed.status_code in (200, 403), listed.text
    if listed.status_code == 200:
        assert listed.json()["data"] == []
    # and alice herself still sees her payment
    mine = httpx.get(f"{pay}/payments/{alices_paid_payment}", headers=alice.headers)
    assert mine.status_code == 200


def test_api1_equal_idempotency_keys_of_two_customers_are_two_requests_never_a_replay(
    payment_stack: PaymentStack, alice: Customer, bob: Customer
) -> None:
    """Keys are per caller here and at the gateway (one key namespace per Stripe account): bob
    reusing alice's key neither sees her checkout nor is refused; each gets their own."""
    key = {"Idempotency-Key": f"order-1-{uuid.uuid4().hex[:6]}"}
    body = {"custom_amount": {"amount": 2500, "currency": "USD"}}
    url = f"{payment_stack.url}/checkout-sessions"
    hers = httpx.post(url, json=body, headers={**alice.headers, **key}, timeout=15)
    his = httpx.post(url, json=body, headers={**bob.headers, **key}, timeout=15)
    again = httpx.post(url, json=body, headers={**alice.headers, **key}, timeout=15)
    assert (hers.status_code, his.status_code, again.status_code) == (201, 201, 201), his.text
    assert his.json()["payment_id"] != hers.json()["payment_id"]
    assert his.json()["session_id"] != hers.json()["session_id"]
    assert again.json() == hers.json()


# -- API2 Broken Authentication ----------------------------------------------------------


def newest_key(keys_dir: Path) -> tuple[str, Ed25519PrivateKey]:
    newest = max(keys_dir.glob("*.pem"))
    key = serialization.load_pem_private_key(newest.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return newest.stem, key


def claims(sub: str, role: str = "admin", **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": sub,
        "role": role,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    return {**base, **changes}


def unsigned(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    """A JWS made by hand: alg=none (no secret) or HS256 over `secret`."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def forged_tokens(keys_dir: Path, victim: Customer) -> dict[str, str]:
    kid, key = newest_key(keys_dir)
    public = key.public_key()
    raw_public = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem_public = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_x = b64url(raw_public).encode()
    now = int(time.time())
    real = victim.token
    head, _payload, signature = real.split(".")
    escalated = b64url(json.dumps(claims(victim.id, "admin")).encode())

    def signed(**changes: Any) -> str:
        return jwt.encode(
            claims(victim.id, **changes), key, algorithm="EdDSA", headers={"kid": kid}
        )

    return {
        "alg_none": unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims(victim.id), None),
        "alg_None_cased": unsigned({"alg": "None", "kid": kid}, claims(victim.id), None),
        "hs256_with_public_key_pem": unsigned(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims(victim.id), pem_public
        ),
        "hs256_with_public_key_raw": unsigned(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims(victim.id), raw_public
        ),
        "hs256_with_jwk_x": unsigned({"alg": "HS256", "kid": kid}, claims(victim.id), jwk_x),
        "expired": signed(iat=now - 3600, exp=now - 600),
        "wrong_audience": signed(aud="urn:someone-else"),
        "wrong_issuer": signed(iss="urn:someone-else"),
        "unknown_kid": jwt.encode(
            claims(victim.id), key, algorithm="EdDSA", headers={"kid": "no-such-key"}
        ),
        "another_key_with_the_real_kid": SigningKey(kid=kid).token(victim.id, "admin"),
        "tampered_payload_role_admin": f"{head}.{escalated}.{signature}",
        "signature_stripped": f"{head}.{_payload}.",
    }


def test_api2_forged_expired_and_tampered_tokens_are_401_on_both_services(
    payment_stack: PaymentStack,
    user_service: ServerProcess,
    user_service_keys_dir: Path,
    alice: Customer,
) -> None:
    targets = {
        "payment": f"{payment_stack.url}/payments",
        "users": f"{user_service.url}/users/me",
    }
    for url in targets.values():  # the genuine token works: the 401s below are the forgeries
        assert httpx.get(url, headers=alice.headers).status_code == 200
    for name, token in forged_tokens(user_service_keys_dir, alice).items():
        for service, url in targets.items():
            response = httpx.get(url, headers=bearer(token))
            assert is_problem(response, 401), (name, service, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer"), (name, service)


# -- API3 Broken Object Property Level Authorization (mass assignment) --------------------

SERVER_OWNED = {
    "id": str(uuid.uuid4()),
    "status": "succeeded",
    "amount": {"amount": 1, "currency": "USD"},
    "refunded_amount": {"amount": 0, "currency": "USD"},
    "created_at": "2000-01-01T00:00:00Z",
    "role": "admin",
}


def test_api3_server_owned_fields_in_payment_bodies_are_422_naming_the_field(
    payment_stack: PaymentStack, alice: Customer, alices_paid_payment: str
) -> None:
    before = httpx.get(f"{payment_stack.url}/payments", headers=alice.headers).json()["data"]
    for field_name, value in SERVER_OWNED.items():
        checkout = own_checkout(payment_stack, alice.token, extra={field_name: value})
        assert is_problem(checkout, 422), (field_name, checkout.text)
        assert field_name in checkout.text
        refund = httpx.post(
            f"{payment_stack.url}/payments/{alices_paid_payment}/refunds",
            json={"amount": 100, field_name: value},
            headers={**payment_stack.admin_headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert is_problem(refund, 422), (field_name, refund.text)
        product = httpx.post(
            f"{payment_stack.url}/products",
            json={"name": "P", "price": {"amount": 100, "currency": "USD"}, field_name: value},
            headers=payment_stack.admin_headers,
        )
        assert is_problem(product, 422), (field_name, product.text)
    after = httpx.get(f"{payment_stack.url}/payments", headers=alice.headers).json()["data"]
    assert len(after) == len(before)
    payment = httpx.get(
        f"{payment_stack.url}/payments/{alices_paid_payment}", headers=alice.headers
    ).json()
    assert (payment["status"], payment["refunded_amount"]["amount"]) == ("succeeded", 0)


def test_api3_server_owned_user_fields_are_refused_or_never_applied(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    me = make_customer()
    url = f"{user_service.url}/users/{me.id}"
    for field_name, value in SERVER_OWNED.items():
        if field_name in ("amount", "refunded_amount"):
            continue
        response = httpx.patch(url, json={field_name: value}, headers=me.headers)
        assert response.status_code in (403, 422), (field_name, response.text)
        registered = httpx.post(
            f"{user_service.url}/users",
            json={
                "email": f"mass-{uuid.uuid4().hex[:10]}@example.com",
                "full_name": "Mass",
                "password": "a fine long passphrase",
                field_name: value,
            },
        )
        assert registered.status_code in (403, 422), (field_name, registered.text)
    after = httpx.get(f"{user_service.url}/users/me", headers=me.headers).json()
    assert (after["id"], after["role"], after["status"]) == (me.id, "customer", "active")
    assert not after["created_at"].startswith("2000")


# -- API4 Unrestricted Resource Consumption ----------------------------------------------


def test_api4_oversized_bodies_are_413_and_page_sizes_are_capped(
    payment_stack: PaymentStack, user_service: ServerProcess, alice: Customer, admin_token: str
) -> None:
    big = {"name": "x" * (300 * 1024), "price": {"amount": 100, "currency": "USD"}}
    too_big = httpx.post(f"{payment_stack.url}/products", json=big, headers=bearer(admin_token))
    assert is_problem(too_big, 413), too_big.text[:300]
    too_big = httpx.patch(
        f"{user_service.url}/users/{alice.id}",
        json={"full_name": "x" * (100 * 1024)},
        headers=alice.headers,
    )
    assert is_problem(too_big, 413), too_big.text[:300]
    for url in (
        f"{payment_stack.url}/payments",
        f"{payment_stack.url}/products",
        f"{user_service.url}/users",
    ):
        for limit in ("101", "100000", "0", "-1"):
            response = httpx.get(url, params={"limit": limit}, headers=bearer(admin_token))
            assert is_problem(response, 422), (url, limit, response.text)
        assert httpx.get(url, params={"limit": "100"}, headers=bearer(admin_token)).is_success


def test_api4_repeated_failed_logins_for_an_account_are_throttled_429(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    victim = make_customer()
    statuses = []
    for attempt in range(8):
        response = httpx.post(
            f"{user_service.url}/auth/token",
            data={
                "username": victim.email,
                "password": f"guess-{attempt}",
                "grant_type": "password",
            },
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            assert response.headers["content-type"].startswith(PROBLEM)
            break
    assert statuses[0] == 401
    assert statuses[-1] == 429, statuses


# -- API5 Broken Function Level Authorization --------------------------------------------


def test_api5_a_customer_calling_every_admin_operation_is_403(
    payment_stack: PaymentStack,
    user_service: ServerProcess,
    alice: Customer,
    alices_paid_payment: str,
) -> None:
    pay, users = payment_stack.url, user_service.url
    products = httpx.get(f"{pay}/products", headers=payment_stack.admin_headers).json()["data"]
    product_id = products[0]["id"] if products else str(uuid.uuid4())
    key = {"Idempotency-Key": uuid.uuid4().hex}
    calls: dict[str, Callable[[], httpx.Response]] = {
        "createProduct": lambda: httpx.post(
            f"{pay}/products",
            json={"name": "P", "price": {"amount": 100, "currency": "USD"}},
            headers=alice.headers,
        ),
        "updateProduct": lambda: httpx.patch(
            f"{pay}/products/{product_id}", json={"active": False}, headers=alice.headers
        ),
        "createRefund (own payment)": lambda: httpx.post(
            f"{pay}/payments/{alices_paid_payment}/refunds",
            json={},
            headers={**alice.headers, **key},
        ),
        "replayWebhookEvent": lambda: httpx.post(
            f"{pay}/webhooks/events/evt_{uuid.uuid4().hex}/replay", headers=alice.headers
        ),
        "listUsers": lambda: httpx.get(f"{users}/users", headers=alice.headers),
        "createUser (admin)": lambda: httpx.post(
            f"{users}/users",
            json={
                "email": f"x-{uuid.uuid4().hex[:8]}@example.com",
                "full_name": "X",
                "password": "a fine long passphrase",
                "role": "admin",
            },
            headers=alice.headers,
        ),
        "updateUser (own role)": lambda: httpx.patch(
            f"{users}/users/{alice.id}", json={"role": "admin"}, headers=alice.headers
        ),
    }
    for name, call in calls.items():
        response = call()
        assert is_problem(response, 403), (name, response.text)
    payment = httpx.get(f"{pay}/payments/{alices_paid_payment}", headers=alice.headers).json()
    assert payment["refunded_amount"]["amount"] == 0


# -- API6 Unrestricted Access to Sensitive Business Flows --------------------------------


def test_api6_refunds_cannot_exceed_what_was_paid_and_a_retried_refund_is_one_refund(
    payment_stack: PaymentStack, alice: Customer
) -> None:
    payment_id = paid_payment(payment_stack, alice.token, 2000)
    url = f"{payment_stack.url}/payments/{payment_id}/refunds"

    def refund(amount: int, key: str) -> httpx.Response:
        headers = {**payment_stack.admin_headers, "Idempotency-Key": key}
        return httpx.post(url, json={"amount": amount}, headers=headers, timeout=15)

    assert is_problem(refund(2001, uuid.uuid4().hex), 422)
    key = uuid.uuid4().hex
    first, again = refund(1500, key), refund(1500, key)
    assert first.status_code in (200, 201), first.text
    assert again.status_code == first.status_code
    assert again.json()["id"] == first.json()["id"]
    assert is_problem(refund(501, uuid.uuid4().hex), 422)  # only 500 is left
    listed = httpx.get(url, headers=payment_stack.admin_headers).json()["data"]
    assert [r["amount"]["amount"] for r in listed] == [1500]


# -- API7 Server Side Request Forgery ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/thanks",
        "http://127.0.0.1:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "https://shop.example.evil.example/",
        "https://shop.example@evil.example/",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ],
)
def test_api7_redirect_urls_off_the_configured_origins_are_422(
    payment_stack: PaymentStack, alice: Customer, url: str
) -> None:
    for field_name in ("success_url", "cancel_url"):
        response = own_checkout(payment_stack, alice.token, extra={field_name: url})
        assert is_problem(response, 422), (field_name, response.text)
        assert field_name in response.text


def test_api7_redirect_urls_on_the_configured_origin_are_accepted(
    payment_stack: PaymentStack, alice: Customer
) -> None:
    response = own_checkout(
        payment_stack,
        alice.token,
        extra={"success_url": f"{SHOP_ORIGIN}/thanks", "cancel_url": f"{SHOP_ORIGIN}/cart"},
    )
    assert response.status_code == 201, response.text


# -- API8 Security Misconfiguration ------------------------------------------------------

LEAKS = ("Traceback", 'File "', "site-packages", "sqlalchemy", "psycopg", "werkzeug", "starlette")


def sample_responses(stack: PaymentStack, users: str, customer: Customer) -> list[httpx.Response]:
    pay = stack.url
    return [
        httpx.get(f"{pay}/healthz"),
        httpx.get(f"{pay}/payments", headers=customer.headers),
        httpx.get(f"{pay}/payments"),
        httpx.get(f"{pay}/payments/{'%00' * 3}", headers=customer.headers),
        httpx.get(f"{pay}/no/such/route"),
        httpx.post(f"{pay}/products", content=b"{not json", headers=stack.admin_headers),
        httpx.post(f"{pay}/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1"}),
        httpx.get(f"{users}/healthz"),
        httpx.get(f"{users}/users/me", headers=customer.headers),
        httpx.get(f"{users}/users/me"),
        httpx.get(f"{users}/users/not-a-uuid", headers=customer.headers),
        httpx.get(f"{users}/no/such/route"),
        httpx.post(
            f"{users}/users", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        httpx.put(f"{users}/users/me", headers=customer.headers),
    ]


def test_api8_every_answer_says_nosniff_and_errors_show_no_internals(
    payment_stack: PaymentStack, user_service: ServerProcess, alice: Customer
) -> None:
    for response in sample_responses(payment_stack, user_service.url, alice):
        where = (response.request.method, str(response.request.url), response.status_code)
        assert response.status_code < 500, where
        assert response.headers.get("x-content-type-options") == "nosniff", where
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith(PROBLEM), where
            for leak in LEAKS:
                assert leak.lower() not in response.text.lower(), (where, leak, response.text)


def test_api8_cors_is_closed_to_foreign_origins_by_default(
    payment_stack: PaymentStack, user_service: ServerProcess, alice: Customer
) -> None:
    """Only the user service's token endpoints open CORS, and only to the configured origins
    (the payment service's Swagger UI, tests/user_management/test_cors.py)."""
    origin = {"Origin": "https://evil.example"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    token_paths = ["/auth/token", "/auth/refresh", "/.well-known/jwks.json"]
    for base, paths in ((payment_stack.url, []), (user_service.url, token_paths)):
        answers = [
            httpx.get(f"{base}/healthz", headers=origin),
            httpx.get(f"{base}/healthz", headers={"Origin": "null"}),
            httpx.options(f"{base}/healthz", headers=preflight),
            httpx.request("OPTIONS", f"{base}/healthz", headers=preflight),
            *(httpx.options(f"{base}{path}", headers=preflight) for path in paths),
            *(httpx.get(f"{base}{path}", headers={"Origin": "null"}) for path in paths),
        ]
        for response in answers:
            allowed = {
                k.lower() for k in response.headers if k.lower().startswith("access-control")
            }
            assert not allowed, (base, response.request.method, dict(response.headers))


def test_api8_debug_is_off(payment_stack: PaymentStack, user_service: ServerProcess) -> None:
    """No Werkzeug debugger page or console, no FastAPI debug traceback."""
    for url in (f"{user_service.url}/console", f"{payment_stack.url}/console"):
        response = httpx.get(url)
        assert response.status_code == 404
        assert "debugger" not in response.text.lower()


# -- API9 Improper Inventory Management --------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "service"), [("payment_api.yaml", "payment"), ("user_management.yaml", "users")]
)
def test_api9_the_served_document_lists_exactly_the_specs_operations(
    payment_stack: PaymentStack, user_service: ServerProcess, spec: str, service: str
) -> None:
    """The drift gates (tests/payment/test_drift.py, tests/user_management/test_drift.py)
    compare every operation in depth; this checks the running processes serve the same set."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    written = yaml.safe_load((root / "specs" / spec).read_text())
    base = payment_stack.url if service == "payment" else user_service.url
    served_path = "/openapi.json"
    served = httpx.get(f"{base}{served_path}")
    assert served.status_code == 200, served.text[:200]

    def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
        verbs = {"get", "post", "put", "patch", "delete"}
        return {(m, p) for p, ops in doc["paths"].items() for m in ops if m in verbs}

    assert operations(served.json()) == operations(written)


# -- API10 Unsafe Consumption of APIs ----------------------------------------------------


class FakeUserService:
    """A user service that publishes a real JWKS but answers user lookups with `answer`."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.answer: tuple[int, str, bytes] = (200, "application/json", b"{}")
        self.port = free_port()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/.well-known/jwks.json"):
                    status, kind = 200, "application/json"
                    body = json.dumps({"keys": [fake.key.jwk()]}).encode()
                elif self.path.startswith("/healthz"):
                    status, kind, body = 200, "application/json", b'{"status":"ok"}'
                else:
                    status, kind, body = fake.answer
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def fake_users() -> Iterator[FakeUserService]:
    fake = FakeUserService(SigningKey())
    yield fake
    fake.server.shutdown()


@pytest.fixture(scope="module")
def payment_on_fake_users(
    fake_users: FakeUserService,
    payment_stack: PaymentStack,
    logs_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("owasp-payment") / "payments.db"
    port = free_port()
    server = services.payment_service(
        port,
        f"sqlite:///{database}",
        user_service_url=fake_users.url,
        sandbox_url=payment_stack.sandbox.url,
        env={"USER_SERVICE_TIMEOUT_SECONDS": "2", "GATEWAY_MAX_RETRIES": "0"},
        log_path=logs_dir / "owasp-payment-service.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    "answer",
    [
        (200, "application/json", b"{not json"),
        (200, "application/json", b'{"id": 1}'),
        (200, "application/json", b"[]"),
        (200, "application/json", b'{"id": "x", "email": null, "status": 7, "role": []}'),
        (200, "text/html", b"<html>gateway</html>"),
        (500, "application/json", b'{"detail": "boom"}'),
        (302, "application/json", b""),
    ],
    ids=["garbage", "missing_fields", "array", "wrong_types", "html", "500", "redirect"],
)
def test_api10_a_malformed_user_service_answer_is_502_or_503_never_500(
    fake_users: FakeUserService,
    payment_on_fake_users: ServerProcess,
    answer: tuple[int, str, bytes],
) -> None:
    fake_users.answer = answer
    token = fake_users.key.token(role="admin")
    response = httpx.post(
        f"{payment_on_fake_users.url}/checkout-sessions",
        json={"custom_amount": {"amount": 1000, "currency": "USD"}, "user_id": str(uuid.uuid4())},
        headers=bearer(token),
        timeout=15,
    )
    assert response.status_code in (502, 503), response.text
    assert is_problem(response, response.status_code)
    listed = httpx.get(f"{payment_on_fake_users.url}/payments", headers=bearer(token)).json()
    assert listed["data"] == []  # nothing stored
