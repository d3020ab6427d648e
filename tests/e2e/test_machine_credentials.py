"""Machine credentials across both services with real processes: an admin creates an API
client at the user service, the client trades its secret for a scoped token, the payment
service lets it do what its scopes cover and nothing else, and the audit trail names it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import new_product


def api_client(stack: PaymentStack, *scopes: str) -> dict[str, Any]:
    created = httpx.post(
        f"{stack.users_url}/api-clients",
        json={"name": "Merchant backend", "scopes": list(scopes)},
        headers=stack.admin_headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def machine_token(stack: PaymentStack, client: dict[str, Any], scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    answer = httpx.post(f"{stack.users_url}/auth/token", data=form,
                        auth=(client["id"], client["client_secret"]), timeout=10)  # fmt: skip
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def test_a_machine_reads_payments_with_its_scope_and_is_refused_a_product_write(
    payment_stack: PaymentStack,
) -> None:
    token = machine_token(payment_stack, api_client(payment_stack, "payments:read"))
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{payment_stack.url}/payments", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    refused = httpx.post(
        f"{payment_stack.url}/products",
        json={"name": "Machine-made", "price": {"amount": 100, "currency": "USD"}},
        headers=headers,
        timeout=10,
    )
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert "products:write" in refused.json()["detail"]


def test_a_machines_product_change_is_audited_under_its_client_id(
    payment_stack: PaymentStack,
) -> None:
    client = api_client(payment_stack, "products:write", "audit:read")
    headers = {"Authorization": f"Bearer {machine_token(payment_stack, client)}"}
    product = new_product(payment_stack.client(machine_token(payment_stack, client)), amount=700)
    trail = httpx.get(f"{payment_stack.url}/audit/payment-events",
                      params={"target_id": product.id}, headers=headers, timeout=10)  # fmt: skip
    assert trail.status_code == 200, trail.text
    (created,) = trail.json()["data"]
    assert created["action"] == "product.created"
    assert created["actor"]["client_id"] == client["id"]
    assert created["actor"]["type"] == "api_client"


def test_a_token_narrowed_to_one_scope_carries_only_that_scope(
    payment_stack: PaymentStack,
) -> None:
    client = api_client(payment_stack, "payments:read", "events:read")
    narrow = {"Authorization": f"Bearer {machine_token(payment_stack, client, 'events:read')}"}
    assert httpx.get(f"{payment_stack.url}/events", headers=narrow, timeout=10).status_code == 200
    assert httpx.get(f"{payment_stack.url}/payments", headers=narrow, timeout=10).status_code == 403


def test_a_revoked_client_gets_no_new_token(payment_stack: PaymentStack) -> None:
    client = api_client(payment_stack, "payments:read")
    machine_token(payment_stack, client)
    revoked = httpx.post(f"{payment_stack.users_url}/api-clients/{client['id']}/revoke",
                         headers=payment_stack.admin_headers, timeout=10)  # fmt: skip
    assert revoked.status_code == 204
    again = httpx.post(f"{payment_stack.users_url}/auth/token",
                       data={"grant_type": "client_credentials"},
                       auth=(client["id"], client["client_secret"]), timeout=10)  # fmt: skip
    assert again.status_code == 401
