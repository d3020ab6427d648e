"""What operators see of the payment service: JSON logs whose request id travels to the user
service and the gateway, and Prometheus metrics at /metrics (outside the contract)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.fixtures.auth import Customer
from tests.fixtures.payment_service import PaymentStack
from tests.payment.helpers import event_payload, sign
from tests.user_management.test_observability import counter_value, wait_for_record


def test_the_request_id_of_a_checkout_reaches_the_user_service_and_the_gateway_logs(
    payment_stack: PaymentStack, customer: Customer, logs_dir: Path
) -> None:
    request_id = f"obs-{uuid.uuid4().hex}"
    response = httpx.post(
        f"{payment_stack.url}/checkout-sessions",
        json={"custom_amount": {"amount": 1234, "currency": "USD"}, "user_id": customer.id},
        headers={**payment_stack.admin_headers, "X-Request-ID": request_id},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == request_id

    payment_log = logs_dir / "payment-service.log"
    access = wait_for_record(payment_log, request_id=request_id, event="request")
    assert access["operation"] == "createCheckoutSession"
    assert access["path"] == "/checkout-sessions"
    assert access["method"] == "POST"
    assert access["status"] == 201
    assert access["duration_ms"] > 0
    # The gateway call is logged with Stripe's own Request-Id next to ours.
    gateway = wait_for_record(
        payment_log,
        request_id=request_id,
        event="gateway call",
        operation="checkout.sessions.create",
    )
    assert str(gateway["stripe_request_id"]).startswith("req_")
    # The user service received our id (X-Request-ID) and logged its getUser with it.
    lookup = wait_for_record(logs_dir / "user-service.log", request_id=request_id)
    assert lookup["operation"] == "getUser"
    assert lookup["path"] == f"/users/{customer.id}"


def test_metrics_show_operations_payments_by_status_and_webhooks(
    payment_stack: PaymentStack,
) -> None:
    url = payment_stack.url
    start = httpx.get(f"{url}/metrics", timeout=10)
    assert start.status_code == 200
    assert start.headers["content-type"].startswith("text/plain")
    listed = counter_value(
        start.text, "http_requests_total", operation="listPayments", status="200"
    )
    for _ in range(4):
        response = httpx.get(f"{url}/payments", headers=payment_stack.admin_headers, timeout=10)
        assert response.status_code == 200
    # One verified event (ignored type), one forged signature.
    payload = event_payload("customer.created", {"id": "cus_obs", "object": "customer"})
    signed = httpx.post(
        f"{url}/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
        timeout=10,
    )
    assert signed.status_code == 200, signed.text
    forged = httpx.post(
        f"{url}/webhooks/stripe",
        content=payload,
        headers={
            "Stripe-Signature": sign(payload, "whsec_wrong"),
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert forged.status_code == 400

    text = httpx.get(f"{url}/metrics", timeout=10).text
    after = counter_value(text, "http_requests_total", operation="listPayments", status="200")
    assert after - listed == 4
    assert "http_request_duration_seconds_bucket{" in text
    assert "/payments" not in text  # operations, never raw paths
    assert counter_value(text, "webhook_events_total", type="customer.created") >= 1
    assert counter_value(text, "webhook_events_total", outcome="bad_signature") >= 1
    assert counter_value(text, "webhook_lag_seconds_count") >= 1
    assert "# TYPE payments gauge" in text
    assert 'payments{status="' in text


def test_gateway_failures_are_counted_and_logged_with_the_request_id(
    payment_stack: PaymentStack, logs_dir: Path
) -> None:
    url = payment_stack.url
    before = counter_value(
        httpx.get(f"{url}/metrics", timeout=10).text,
        "dependency_failures_total",
        dependency="payment_gateway",
    )
    request_id = f"obs-{uuid.uuid4().hex}"
    payment_stack.sandbox_call(
        "POST",
        "/_sandbox/faults",
        json={
            "method": "POST",
            "path_prefix": "/v1/checkout/sessions",
            "mode": "error_500",
            "count": 5,
        },
    )
    try:
        response = httpx.post(
            f"{url}/checkout-sessions",
            json={"custom_amount": {"amount": 778, "currency": "USD"}},
            headers={**payment_stack.admin_headers, "X-Request-ID": request_id},
            timeout=15,
        )
    finally:
        payment_stack.sandbox_call("DELETE", "/_sandbox/faults")
    assert response.status_code in (502, 503, 504), response.text
    assert response.json()["request_id"] == request_id
    after = counter_value(
        httpx.get(f"{url}/metrics", timeout=10).text,
        "dependency_failures_total",
        dependency="payment_gateway",
    )
    assert after > before
    failure = wait_for_record(
        logs_dir / "payment-service.log", request_id=request_id, event="gateway call failed"
    )
    assert failure["level"] == "warning"


def test_metrics_is_not_in_the_served_contract(payment_stack: PaymentStack) -> None:
    document = httpx.get(f"{payment_stack.url}/openapi.json", timeout=10).json()
    assert "/metrics" not in document["paths"]


def test_the_stripe_sdk_sends_our_request_id_as_a_header() -> None:
    """The sandbox does not log headers: a loopback server records what the SDK sends."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from payment_api.gateways.payment_gateway import StripeGateway
    from service_kit.logs import REQUEST_ID

    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("X-Request-Id"))
            body = json.dumps(
                {"object": "list", "data": [], "has_more": False, "url": "/v1/events"}
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", "req_test")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = StripeGateway(
            "sk_test_x",
            api_base=f"http://127.0.0.1:{server.server_address[1]}",
            max_retries=0,
            timeout=5,
        )
        token = REQUEST_ID.set("obs-stripe-header")
        try:
            gateway.ping()
        finally:
            REQUEST_ID.reset(token)
        gateway.ping()  # outside a request: no header
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["obs-stripe-header", None]
