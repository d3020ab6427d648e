"""The limits of the payment service's paths (issue 19): the irreducible work of each path on
bare FastAPI, served by the same uvicorn command line as the payment service.

Configured like the service, from the environment it gets (the payment service's settings,
read by `payment_api.settings.Settings`: DATABASE_URL, STRIPE_API_KEY, STRIPE_API_BASE,
STRIPE_WEBHOOK_SECRETS, the gateway's timeout and retries, the signature tolerance) plus
BENCH_LIMIT_INBOX, the table the webhook limit inserts into (a copy of the service's inbox).

- read limit, `GET /payments/{id}`: one joined SELECT of the payment, its line items and its
  status history by primary key on the raw driver, rendered once with `json.dumps`; no auth.
- webhook limit, `POST /webhooks/stripe`: `Stripe-Signature` checked with `hmac` (every v1
  signature against every secret, the timestamp's tolerance), the body parsed once, one
  `INSERT ... ON CONFLICT (id) DO NOTHING` (a duplicate meets the primary key: 200, duplicate).
- checkout limit, `POST /checkout-sessions`: the Checkout Session create call of the service
  on the service's own `stripe` client (StripeGateway's, same retries, timeout, HTTP client,
  idempotency key per payment), then one INSERT of the payment row.
Blocking work runs in worker threads, as in the service: the database in a pool of
READ_THREADS (the service's hot-read pool), the gateway call in anyio's default pool.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import stripe
from fastapi import FastAPI, Request, Response

from bench.baselines.rawdb import RawDatabase, rfc3339
from payment_api.gateways.payment_gateway import StripeGateway
from payment_api.settings import Settings

JSON = "application/json"
CUSTOMER_EMAIL = "bench-customer@example.com"  # the service sends the payer's email too

ONE_PAYMENT = """
SELECT p.id, p.status, p.amount, p.currency, p.refunded_amount, p.user_id, p.customer_email,
       p.description, p.checkout_session_id, p.payment_intent_id, p.checkout_url,
       p.failure_reason, p.expires_at, p.created_at, p.updated_at,
       li.id, li.product_id, li.name, li.quantity, li.unit_amount,
       sc.id, sc.from_status, sc.to_status, sc.reason, sc.event_id, sc.at
FROM pay_payments p
LEFT JOIN pay_line_items li ON li.payment_id = p.id
LEFT JOIN pay_status_changes sc ON sc.payment_id = p.id
WHERE p.id = ?
ORDER BY li.position, sc.id
"""
INSERT_EVENT = """
INSERT INTO {table} (id, type, payload, state, attempts, received_at)
VALUES (?, ?, ?, 'received', 0, ?) ON CONFLICT (id) DO NOTHING
"""
INSERT_PAYMENT = """
INSERT INTO pay_payments (id, status, amount, currency, refunded_amount, customer_email,
    description, checkout_session_id, checkout_url, success_url, cancel_url, expires_at,
    created_at, updated_at)
VALUES (?, 'pending', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _problem(status: int, detail: str) -> Response:
    return Response(json.dumps({"status": status, "detail": detail}), status, media_type=JSON)


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def payment_json(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The payment of the joined rows (max(1, items) x max(1, changes) of them)."""
    p = rows[0]
    currency = p[3]
    items: dict[Any, dict[str, Any]] = {}
    changes: dict[Any, dict[str, Any]] = {}
    for r in rows:
        if r[15] is not None and r[15] not in items:
            items[r[15]] = {
                "product_id": r[16],
                "name": r[17],
                "quantity": r[18],
                "unit_amount": _money(r[19], currency),
            }
        if r[20] is not None and r[20] not in changes:
            changes[r[20]] = {
                "from_status": r[21],
                "to_status": r[22],
                "reason": r[23],
                "event_id": r[24],
                "at": rfc3339(r[25]),
            }
    return {
        "id": p[0],
        "status": p[1],
        "amount": _money(p[2], currency),
        "refunded_amount": _money(p[4], currency),
        "line_items": list(items.values()),
        "user_id": p[5],
        "customer_email": p[6],
        "description": p[7],
        "gateway": {
            "checkout_session_id": p[8],
            "payment_intent_id": p[9],
            "checkout_url": p[10],
        },
        "failure_reason": p[11],
        "expires_at": rfc3339(p[12]),
        "created_at": rfc3339(p[13]),
        "updated_at": rfc3339(p[14]),
        "status_history": list(changes.values()),
    }


def verified_event(
    payload: bytes, header: str | None, secrets: list[str], tolerance: int
) -> dict[str, Any] | None:
    """The event of a body whose `Stripe-Signature` verifies (Stripe's scheme: HMAC-SHA256 of
    `<t>.<body>`, any v1 signature, not older than `tolerance`), else None."""
    if not header or not secrets:
        return None
    stamp, signatures = "", []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            stamp = value
        elif key == "v1":
            signatures.append(value)
    if not stamp.isdigit() or not signatures or int(stamp) < time.time() - tolerance:
        return None
    signed = stamp.encode() + b"." + payload
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, s) for s in signatures):
            break
    else:
        return None
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return None
    return event


def create_app() -> FastAPI:
    settings = Settings()
    db = RawDatabase(settings.database_url, settings.database_timeout_seconds)
    db_threads = anyio.CapacityLimiter(settings.read_threads)
    one_payment = db.statement(ONE_PAYMENT)
    inbox = os.environ.get("BENCH_LIMIT_INBOX", "bench_limit_webhook_events")
    insert_event = db.statement(INSERT_EVENT.format(table=inbox))
    insert_payment = db.statement(INSERT_PAYMENT)
    secrets, tolerance = settings.stripe_webhook_secrets, settings.stripe_webhook_tolerance_seconds
    client = StripeGateway(
        settings.stripe_api_key,
        api_base=settings.stripe_api_base,
        max_retries=settings.gateway_max_retries,
        timeout=settings.gateway_timeout_seconds,
    ).client
    expiry = timedelta(minutes=settings.checkout_expiry_minutes)
    success_url, cancel_url = settings.success_url, settings.cancel_url

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/payments/{payment_id}")
    async def get_payment(payment_id: str) -> Response:
        rows = await anyio.to_thread.run_sync(
            db.rows, one_payment, (payment_id,), limiter=db_threads
        )
        if not rows:
            return _problem(404, "no such payment")
        return Response(json.dumps(payment_json(rows)), media_type=JSON)

    @app.post("/webhooks/stripe")
    async def receive(request: Request) -> Response:
        payload = await request.body()
        event = verified_event(payload, request.headers.get("stripe-signature"), secrets, tolerance)
        if event is None:
            return _problem(400, "Stripe-Signature does not verify")
        params = (event["id"], event["type"], payload.decode(), db.timestamp())
        stored = await anyio.to_thread.run_sync(db.write, insert_event, params, limiter=db_threads)
        ack = {"event_id": event["id"], "type": event["type"], "duplicate": stored == 0}
        return Response(json.dumps({**ack, "state": "received"}), media_type=JSON)

    def start_checkout(amount: int, currency: str, description: str | None) -> dict[str, Any]:
        payment_id, now = str(uuid.uuid4()), datetime.now(UTC)
        expires_at = now + expiry
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "client_reference_id": payment_id,
                "metadata": {"payment_id": payment_id},
                "payment_intent_data": {"metadata": {"payment_id": payment_id}},
                "success_url": success_url,
                "cancel_url": cancel_url,
                "expires_at": int(expires_at.timestamp()),
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.lower(),
                            "unit_amount": amount,
                            "product_data": {"name": description or "Payment"},
                        },
                    }
                ],
                "customer_email": CUSTOMER_EMAIL,
            },
            options={"idempotency_key": f"checkout-{payment_id}"},
        )
        stamp = db.timestamp(now)
        db.write(
            insert_payment,
            (payment_id, amount, currency, CUSTOMER_EMAIL, description, session.id, session.url,
             success_url, cancel_url, db.timestamp(expires_at), stamp, stamp),
        )  # fmt: skip
        return {
            "payment_id": payment_id,
            "session_id": session.id,
            "url": session.url,
            "expires_at": rfc3339(expires_at),
            "status": "pending",
            "amount": _money(amount, currency),
        }

    @app.post("/checkout-sessions")
    async def checkout(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            amount, currency = body["custom_amount"]["amount"], body["custom_amount"]["currency"]
            description = body.get("description")
        except (ValueError, KeyError, TypeError):
            return _problem(422, "custom_amount {amount, currency} expected")
        if not isinstance(amount, int) or amount < 1 or not isinstance(currency, str):
            return _problem(422, "custom_amount: a positive amount and a currency")
        try:
            answer = await anyio.to_thread.run_sync(start_checkout, amount, currency, description)
        except stripe.StripeError as exc:
            return _problem(502, f"payment gateway: {type(exc).__name__}")
        return Response(json.dumps(answer), 201, media_type=JSON)

    return app
