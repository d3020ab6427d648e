"""User service down: 503 for what needs it, everything else keeps being served."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack import services
from devstack.processes import free_port
from tests.reliability.conftest import custom_body, is_problem, running_stack

pytestmark = pytest.mark.reliability

ANSWER_BOUND_SECONDS = 4.0  # USER_SERVICE_TIMEOUT_SECONDS=2 plus margin


def admin_headers(users_url: str) -> dict[str, str]:
    """Bearer header of the private user service's bootstrap admin (none before auth)."""
    try:
        from devstack.auth import login
    except ImportError:
        return {}
    email = getattr(services, "DEV_ADMIN_EMAIL", None)
    password = getattr(services, "DEV_ADMIN_PASSWORD", None)
    if not (email and password):
        return {}
    return login(users_url, email, password).headers


def test_user_service_down_makes_checkout_503_and_the_rest_keeps_working(
    db_url: str, tmp_path: Path, logs_dir: Path
) -> None:
    users = services.user_service(
        free_port(),
        f"sqlite:///{tmp_path / 'users.sqlite3'}",
        workers=1,
        log_path=logs_dir / "down-user-service.log",
    ).start()
    try:
        headers = admin_headers(users.url)
        with (
            running_stack(
                name="usersdown",
                database_url=db_url,
                users_url=users.url,
                headers=headers,
                logs_dir=logs_dir,
            ) as stack,
            httpx.Client(base_url=stack.url, headers=headers, timeout=30) as api,
        ):
            from devstack.auth import register

            customer = register(
                users.url, f"down-{free_port()}@example.com", "a-long-passphrase-42x"
            )
            for_user = {"user_id": customer}
            before = api.post("/checkout-sessions", json={**custom_body(900), **for_user})
            assert before.status_code == 201, before.text  # also warms the JWKS cache
            product = api.post(
                "/products", json={"name": "Tea", "price": {"amount": 300, "currency": "USD"}}
            )
            assert product.status_code == 201, product.text

            figures: list[str] = []
            # Frozen (SIGSTOP): connections are accepted but never answered -> timeout -> 503.
            assert users.proc is not None
            os.killpg(users.proc.pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                hung = api.post("/checkout-sessions", json={**custom_body(899), **for_user})
                took = time.monotonic() - started
            finally:
                os.killpg(users.proc.pid, signal.SIGCONT)
            figures.append(f"frozen user service: checkout {hung.status_code} in {took:.2f}s")
            assert hung.status_code == 503, hung.text
            assert is_problem(hung)
            assert took < ANSWER_BOUND_SECONDS

            users.kill()
            line_items = [{"product_id": product.json()["id"], "quantity": 2}]
            needs_users: list[tuple[str, str, dict[str, Any]]] = [
                ("POST", "/checkout-sessions", {**custom_body(901), **for_user}),
                ("POST", "/checkout-sessions", {"line_items": line_items, **for_user}),
            ]
            for method, path, body in needs_users:
                started = time.monotonic()
                response = api.request(method, path, json=body)
                took = time.monotonic() - started
                figures.append(f"{method} {path} -> {response.status_code} in {took:.2f}s")
                assert response.status_code == 503, response.text
                assert is_problem(response)
                assert "user service" in response.json()["detail"]
                assert took < ANSWER_BOUND_SECONDS
            payment_id = before.json()["payment_id"]
            still_served: list[tuple[str, str, dict[str, Any] | None]] = [
                ("GET", "/healthz", None),
                ("GET", "/readyz", None),
                ("GET", "/payments", None),
                ("GET", f"/payments/{payment_id}", None),
                ("GET", f"/payments/{payment_id}/refunds", None),
                ("GET", "/products", None),
                ("GET", f"/products/{product.json()['id']}", None),
                ("PATCH", f"/products/{product.json()['id']}", {"name": "Green tea"}),
                ("POST", "/products", {"name": "Mate", "price": {"amount": 1, "currency": "EUR"}}),
            ]
            for method, path, payload in still_served:
                response = api.request(method, path, json=payload)
                assert response.status_code < 300, (method, path, response.text)
            # A webhook needs no user service either.
            stack.sandbox_call(
                "POST",
                f"/_sandbox/checkout/sessions/{before.json()['session_id']}/complete",
                json={"outcome": "paid"},
            )
            deadline = time.monotonic() + 10
            while api.get(f"/payments/{payment_id}").json()["status"] != "succeeded":
                assert time.monotonic() < deadline, "webhook not applied with users down"
                time.sleep(0.1)
            still = len(still_served) + 1

            users.start()
            started = time.monotonic()
            after = api.post("/checkout-sessions", json={**custom_body(902), **for_user})
            assert after.status_code == 201, after.text
            figures.append(f"back: checkout 201 in {time.monotonic() - started:.2f}s")
            created = stack.sql("SELECT count(*) FROM pay_payments")[0][0]
            assert created == 2, "a refused checkout left a payment behind"
            print(
                f"\nRELIABILITY user service down: {'; '.join(figures)}; "
                f"{still} other operations served while it was down; no payment stored for "
                f"refused checkouts; recovered without a payment-service restart"
            )
    finally:
        users.stop()
