"""Authentication and authorization with REAL tokens from the REAL user service.

The session stack (tests/fixtures/payment_service.py) runs with the defaults: anonymous
checkout off. A second, private stack (own user service and payment service, anonymous
checkout on, a 1-second JWKS cache) is used for what would disturb other tests: rotating the
signing key and stopping the user service.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from payment_api_client import AuthenticatedClient
from payment_api_client.api.checkout import create_checkout_session
from payment_api_client.api.payments import create_refund, get_payment, list_payments
from payment_api_client.api.products import create_product, list_products
from payment_api_client.api.webhooks import replay_webhook_event
from payment_api_client.models import (
    CheckoutSession,
    Currency,
    CustomAmountCheckout,
    Money,
    Payment,
    PaymentList,
    Problem,
    ProductCreate,
    ProductList,
    RefundCreate,
)

from devstack import services
from devstack.auth import login
from devstack.databases import fresh_database
from devstack.processes import ServerProcess, free_port, python_argv
from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.payment.tokens import AUDIENCE, ISSUER, SigningKey


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def own_checkout(stack: PaymentStack, customer: Customer, amount: int = 1500) -> CheckoutSession:
    with stack.client(customer.token) as client:
        response = create_checkout_session.sync_detailed(
            client=client, body=CustomAmountCheckout(custom_amount=Money(amount, Currency.USD))
        )
    assert isinstance(response.parsed, CheckoutSession), response.content
    return response.parsed


def user_service_token(keys_dir: Path, **claims: Any) -> str:
    """A token signed with the user service's own newest key (as if it had issued it)."""
    newest = max(keys_dir.glob("*.pem"))
    key = serialization.load_pem_private_key(newest.read_bytes(), password=None)
    now = int(time.time())
    payload = {
        "sub": str(uuid.uuid4()),
        "role": "admin",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": newest.stem})


# -- the session stack ---------------------------------------------------------------------


def test_customers_see_only_their_own_payments_admins_see_all(
    payment_stack: PaymentStack,
    payment_client: AuthenticatedClient,
    make_customer: Callable[..., Customer],
) -> None:
    alice, bob = make_customer(), make_customer()
    paid_by_alice = own_checkout(payment_stack, alice)
    with payment_stack.client(alice.token) as client:
        mine = get_payment.sync_detailed(paid_by_alice.payment_id, client=client)
        assert isinstance(mine.parsed, Payment), mine.content
        assert (mine.parsed.user_id, mine.parsed.customer_email) == (alice.id, alice.email)
    with payment_stack.client(bob.token) as client:
        theirs = get_payment.sync_detailed(paid_by_alice.payment_id, client=client)
        assert theirs.status_code == 404
        assert isinstance(theirs.parsed, Problem)
        listed = list_payments.sync(client=client, limit=100)
        assert isinstance(listed, PaymentList)
        assert listed.data == []
    everything = list_payments.sync(client=payment_client, user_id=alice.id, limit=100)
    assert isinstance(everything, PaymentList)
    assert [p.id for p in everything.data] == [paid_by_alice.payment_id]


def test_a_customer_cannot_pay_for_another_user(
    payment_stack: PaymentStack, make_customer: Callable[..., Customer]
) -> None:
    alice, bob = make_customer(), make_customer()
    with payment_stack.client(alice.token) as client:
        response = create_checkout_session.sync_detailed(
            client=client,
            body=CustomAmountCheckout(custom_amount=Money(900, Currency.USD), user_id=bob.id),
        )
    assert response.status_code == 403
    assert isinstance(response.parsed, Problem)
    assert "body.user_id" in str(response.parsed.detail)


def test_customers_cannot_refund_write_products_or_replay_events(
    payment_stack: PaymentStack, customer: Customer
) -> None:
    session = own_checkout(payment_stack, customer)
    with payment_stack.client(customer.token) as client:
        calls = {
            "createRefund": create_refund.sync_detailed(
                session.payment_id, client=client, body=RefundCreate()
            ),
            "createProduct": create_product.sync_detailed(
                client=client, body=ProductCreate(name="x", price=Money(100, Currency.USD))
            ),
            "replayWebhookEvent": replay_webhook_event.sync_detailed("evt_x", client=client),
        }
        assert isinstance(list_products.sync(client=client), ProductList)
    for name, response in calls.items():
        assert response.status_code == 403, (name, response.content)
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "kind", ["expired", "wrong_audience", "wrong_issuer", "signed_by_another_key", "no_token"]
)
def test_unacceptable_tokens_are_401_with_a_challenge(
    payment_stack: PaymentStack, user_service_keys_dir: Path, kind: str
) -> None:
    now = int(time.time())
    tokens = {
        "expired": lambda: user_service_token(user_service_keys_dir, iat=now - 3600, exp=now - 600),
        "wrong_audience": lambda: user_service_token(user_service_keys_dir, aud="urn:other"),
        "wrong_issuer": lambda: user_service_token(user_service_keys_dir, iss="urn:other"),
        "signed_by_another_key": lambda: SigningKey(
            kid=max(user_service_keys_dir.glob("*.pem")).stem
        ).token(role="admin"),
    }
    headers = bearer(tokens[kind]()) if kind in tokens else {}
    response = httpx.get(f"{payment_stack.url}/payments", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="payment-api"')
    assert ('error="invalid_token"' in challenge) == (kind != "no_token")


def test_a_token_the_user_service_would_issue_is_accepted(
    payment_stack: PaymentStack, user_service_keys_dir: Path
) -> None:
    """The control for the test above: same key, same claims shape, only nothing wrong."""
    token = user_service_token(user_service_keys_dir)
    assert httpx.get(f"{payment_stack.url}/payments", headers=bearer(token)).status_code == 200


def test_a_deactivated_customers_token_is_refused_when_the_user_service_is_asked(
    payment_stack: PaymentStack, make_customer: Callable[..., Customer]
) -> None:
    """The token still verifies here (until it expires), but a checkout asks the user service,
    which knows the user is gone: 401 invalid_token, not a 503 and nothing stored."""
    leaver = make_customer()
    deleted = httpx.delete(
        f"{payment_stack.users_url}/users/{leaver.id}", headers=bearer(leaver.token), timeout=10
    )
    assert deleted.status_code in (200, 204), deleted.text
    with payment_stack.client(leaver.token) as client:
        response = create_checkout_session.sync_detailed(
            client=client, body=CustomAmountCheckout(custom_amount=Money(300, Currency.USD))
        )
        assert response.status_code == 401, response.content
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        listed = list_payments.sync(client=client)
    assert isinstance(listed, PaymentList)
    assert listed.data == []


def test_anonymous_checkout_shortcut_is_401_by_default(payment_stack: PaymentStack) -> None:
    response = httpx.get(f"{payment_stack.url}/checkout/", params={"price": "5"}, timeout=10)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="payment-api"'


def test_checkout_shortcut_with_a_customer_token_is_theirs(
    payment_stack: PaymentStack, make_customer: Callable[..., Customer]
) -> None:
    buyer = make_customer()
    response = httpx.get(
        f"{payment_stack.url}/checkout/",
        params={"price": "5"},
        headers=bearer(buyer.token),
        timeout=10,
    )
    assert response.status_code == 303, response.text
    with payment_stack.client(buyer.token) as client:
        listed = list_payments.sync(client=client)
    assert isinstance(listed, PaymentList)
    assert [(p.user_id, p.customer_email) for p in listed.data] == [(buyer.id, buyer.email)]


# -- a private stack: anonymous checkout on, key rotation, the user service going away ----


@dataclass
class PrivateStack:
    users: ServerProcess
    payment: ServerProcess
    users_env: dict[str, str]

    def admin_token(self) -> str:
        return login(
            self.users.url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD
        ).access_token

    def get(self, path: str, token: str | None = None, **params: str) -> httpx.Response:
        headers = bearer(token) if token else {}
        return httpx.get(self.payment.url + path, params=params, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def private_stack(
    payment_stack: PaymentStack,
    test_database_base_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
    logs_dir: Path,
) -> Iterator[PrivateStack]:
    tmp = tmp_path_factory.mktemp("private-stack")
    keys_dir = tmp / "keys"
    with (
        fresh_database(test_database_base_url, tmp, "auth_users") as users_db,
        fresh_database(test_database_base_url, tmp, "auth_payments") as payments_db,
    ):
        users = services.user_service(
            free_port(),
            users_db,
            workers=1,
            keys_dir=keys_dir,
            log_path=logs_dir / "private-user-service.log",
        )
        payment = services.payment_service(
            free_port(),
            payments_db,
            user_service_url=users.url,
            sandbox_url=payment_stack.sandbox.url,
            env={
                "ALLOW_ANONYMOUS_CHECKOUT": "true",
                "JWKS_CACHE_SECONDS": "1",
                "JWKS_REFRESH_INTERVAL_SECONDS": "0",
                "USER_SERVICE_TIMEOUT_SECONDS": "2",
            },
            log_path=logs_dir / "private-payment-service.log",
        )
        try:
            users.start()
            payment.start()
            yield PrivateStack(users, payment, {**users.env})
        finally:
            payment.stop()
            users.stop()


def test_anonymous_checkout_shortcut_is_303_when_allowed(private_stack: PrivateStack) -> None:
    response = private_stack.get("/checkout/", price="5")
    assert response.status_code == 303, response.text
    assert "/checkout/cs_" in response.headers["location"]
    # still not a way around authentication for anything else
    assert private_stack.get("/payments").status_code == 401


def test_a_rotated_signing_key_is_fetched_and_the_old_one_keeps_verifying(
    private_stack: PrivateStack,
) -> None:
    old_token = private_stack.admin_token()
    assert private_stack.get("/payments", old_token).status_code == 200
    time.sleep(1.1)  # key ids start with their creation second
    rotated = subprocess.run(
        python_argv("-m", "user_management_service", "rotate-key"),
        env={**os.environ, **private_stack.users_env},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    new_token = private_stack.admin_token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert jwt.get_unverified_header(new_token)["kid"] != old_kid, rotated.stdout
    with_new = private_stack.get("/payments", new_token)
    assert with_new.status_code == 200, with_new.text
    with_old = private_stack.get("/payments", old_token)
    assert with_old.status_code == 200, with_old.text


def test_user_service_unreachable_for_its_keys_is_503(private_stack: PrivateStack) -> None:
    token = private_stack.admin_token()
    private_stack.users.stop()
    time.sleep(1.2)  # the 1-second JWKS cache has expired
    response = private_stack.get("/payments", token)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "keys" in response.json()["detail"]
    # an operation that needs no token keeps working
    assert private_stack.get("/checkout/", price="5").status_code == 303
