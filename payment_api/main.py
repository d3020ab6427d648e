"""`create_app()`: the FastAPI application (uvicorn --factory payment_api.main:create_app)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from payment_api import observability
from payment_api.api import (
    audit,
    checkout,
    checkout_pages,
    docs,
    events,
    health,
    payments,
    problems,
    products,
    webhook_endpoints,
    webhooks,
)
from payment_api.api.deps import CLIENT_CREDENTIALS_SCHEME, OAUTH2_SCHEME
from payment_api.api.edge import EdgeMiddleware
from payment_api.api.problems import PROBLEM_SCHEMAS
from payment_api.api.schemas import NO_CONTROL
from payment_api.container import Container, build_container
from payment_api.settings import Settings, get_settings
from service_kit.logs import UVICORN, configure_logging

TAGS = [
    {"name": "products", "description": "The catalogue: products and their prices."},
    {"name": "checkout", "description": "Start a payment on the gateway's hosted page."},
    {"name": "payments", "description": "Payment records and refunds."},
    {"name": "webhooks", "description": "Signed gateway events and their replay."},
    {
        "name": "events",
        "description": "The events we send to merchants' endpoints, and what we emitted.",
    },
    {
        "name": "webhook-endpoints",
        "description": "Merchants' endpoints for outbound events, deliveries and retries.",
    },
    {"name": "audit", "description": "The audit trail of admin actions (read-only)."},
    {"name": "health", "description": "Liveness and readiness."},
]
DESCRIPTION = (
    "Products, Stripe Checkout sessions, payment records, webhooks and refunds. "
    "Money is an integer amount in the currency's minor unit plus an ISO 4217 code. "
    "Every error is an RFC 9457 problem (application/problem+json).\n\n"
    "Authentication: every operation but health, readiness, the signed Stripe webhook and "
    "(when the service runs with ALLOW_ANONYMOUS_CHECKOUT=true) `GET /checkout/` needs "
    "`Authorization: Bearer <access token>`, a JWT issued by the user service "
    "(`POST /auth/token` there) and verified against its published keys "
    "(`/.well-known/jwks.json`). Customers see and create only their own payments; "
    "admins see all, manage products, refund and replay webhook events."
)
VERSION = "2.1.0"

STRIPE_EVENT_SCHEMA: dict[str, Any] = {
    "description": (
        "A Stripe Event object as sent by Stripe (or the sandbox); it is verified against "
        "Stripe-Signature over the raw bytes before anything is read from it. Open by design: "
        "Stripe adds fields to its events."
    ),
    "type": "object",
    "additionalProperties": True,
    "required": ["id", "type", "data"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NO_CONTROL},
        "type": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NO_CONTROL},
        "data": {"type": "object"},
    },
}


def operation_id(route: APIRoute) -> str:
    """The operationId IS the route function's name: grep finds the code from the spec."""
    return route.name


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version="3.1.0",
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=TAGS,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(PROBLEM_SCHEMAS)
    components["StripeEvent"] = STRIPE_EVENT_SCHEMA
    # Swagger UI's Authorize button logs in at the user service this instance trusts (people
    # with the password flow, API clients with client credentials).
    container: Container = app.state.container
    schemes = schema["components"].get("securitySchemes", {})
    password_flow = schemes.get(OAUTH2_SCHEME, {}).get("flows", {}).get("password")
    if password_flow is not None:
        password_flow["tokenUrl"] = container.settings.token_url
    client_flow = schemes.get(CLIENT_CREDENTIALS_SCHEME, {}).get("flows", {})
    if "clientCredentials" in client_flow:
        client_flow["clientCredentials"]["tokenUrl"] = container.settings.token_url
    _only_api_clients_need_scopes(schema)
    app.openapi_schema = schema
    return schema


def _only_api_clients_need_scopes(schema: dict[str, Any]) -> None:
    """FastAPI hands an operation's `Security(..., scopes=[s])` to every scheme below it, the
    people's too; but people are authorised by role, and their schemes grant no scope: only
    the OAuth2ClientCredentials requirement names `s` (deps.authorize)."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for requirement in operation.get("security", []):
                for name in requirement:
                    if name != CLIENT_CREDENTIALS_SCHEME:
                        requirement[name] = []


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format, UVICORN)
    app = FastAPI(
        title="Payment API",
        version=VERSION,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.container = container or build_container(settings)
    for module in (
        products, checkout, checkout_pages, payments, webhooks, events, webhook_endpoints,
        audit, health,
    ):  # fmt: skip
        app.include_router(module.router)
    app.webhooks.include_router(events.webhooks)
    problems.install(app)
    observability.install(app)
    app.add_middleware(EdgeMiddleware)
    docs.install(app)  # the served contract is specs/payment_api.yaml, not app.openapi()

    # The code's own document: only the drift gate reads it (tests/payment/test_drift.py).
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app
