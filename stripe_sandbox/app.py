"""The Starlette app: Stripe's `/v1` API, the hosted page, the control API, `/healthz`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stripe_sandbox import control, hosted_page
from stripe_sandbox.domain import NO_REQUEST, RequestContext, Sandbox
from stripe_sandbox.errors import StripeError
from stripe_sandbox.faults import FaultInjector, FaultMiddleware
from stripe_sandbox.forms import as_list, parse_form
from stripe_sandbox.idempotency import IdempotencyStore, fingerprint
from stripe_sandbox.objects import API_VERSION, list_object
from stripe_sandbox.settings import Settings
from stripe_sandbox.store import Store
from stripe_sandbox.webhooks import WebhookDispatcher

Handler = Callable[[Request, dict[str, Any], RequestContext], tuple[int, dict[str, Any]]]
_KEY = re.compile(r"^sk_test_[A-Za-z0-9_]+$")


def _api_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    key = ""
    if header.lower().startswith("bearer "):
        key = header[7:].strip()
    elif header.lower().startswith("basic "):
        try:
            key = base64.b64decode(header[6:].strip()).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    if not _KEY.match(key):
        shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key
        raise StripeError(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")
    return key


def _stripe_json(status: int, body: dict[str, Any], headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Auth, params (query or form body), idempotency and Stripe's error object for `/v1`."""

    async def endpoint(request: Request) -> Response:
        headers = {"Stripe-Version": request.headers.get("stripe-version", API_VERSION)}
        try:
            key = _api_key(request)
            if request.method == "GET":
                params = parse_form(request.url.query)
            else:
                ctype = request.headers.get("content-type", "")
                raw = await request.body()
                if raw and "application/json" in ctype:
                    raise StripeError(
                        400, "Invalid request: the body must be application/x-www-form-urlencoded."
                    )
                params = parse_form(raw.decode("utf-8", errors="replace"))
                params.update(
                    {k: v for k, v in parse_form(request.url.query).items() if k not in params}
                )
            ikey = request.headers.get("idempotency-key")
            ctx = RequestContext(request.state.request_id, ikey)
            if request.method != "POST" or not ikey:
                status, body = handler(request, params, ctx)
                return _stripe_json(status, body, headers)
            headers["Idempotency-Key"] = ikey
            store: IdempotencyStore = request.app.state.idempotency
            fp = fingerprint(request.method, request.url.path, params)
            replay = store.lookup(key, ikey, fp)
            if replay is not None:
                headers["Idempotent-Replayed"] = "true"
                return _stripe_json(replay[0], replay[1], headers)
            # Like Stripe: a request that failed validation saves no idempotent result.
            status, body = handler(request, params, ctx)
            store.save(key, ikey, fp, status, body)
            return _stripe_json(status, body, headers)
        except StripeError as exc:
            return _stripe_json(exc.status, exc.body(), headers)

    return endpoint


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def _expand(request: Request, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    paths = [str(p) for p in as_list(params.get("expand"), "expand")]
    return _sandbox(request).expand(obj, paths) if paths else obj


def _list(
    request: Request, data: list[dict[str, Any]], has_more: bool, params: dict[str, Any]
) -> dict[str, Any]:
    return _expand(request, list_object(request.url.path, data, has_more), params)


# -- /v1 operations (named after Stripe's operationIds) --------------------------
def PostCheckoutSessions(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    session = _sandbox(request).create_session(params, ctx)
    return 200, _expand(request, session, params)


def GetCheckoutSessions(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    data, has_more = _sandbox(request).list_sessions(params)
    return 200, _list(request, data, has_more, params)


def GetCheckoutSessionsSession(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    session = _sandbox(request).get_session(request.path_params["id"])
    return 200, _expand(request, session, params)


def PostCheckoutSessionsSessionExpire(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    session = _sandbox(request).expire_session(request.path_params["id"], ctx)
    return 200, _expand(request, session, params)


def GetPaymentIntentsIntent(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    pi = _sandbox(request).get_object("payment_intent", request.path_params["id"], "payment_intent")
    return 200, _expand(request, pi, params)


def GetChargesCharge(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    ch = _sandbox(request).get_object("charge", request.path_params["id"], "charge")
    return 200, _expand(request, ch, params)


def PostRefunds(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    refund = _sandbox(request).create_refund(params, ctx)
    return 200, _expand(request, refund, params)


def GetRefunds(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    data, has_more = _sandbox(request).list_refunds(params)
    return 200, _list(request, data, has_more, params)


def GetRefundsRefund(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    refund = _sandbox(request).get_object("refund", request.path_params["id"], "refund")
    return 200, _expand(request, refund, params)


def PostRefundsRefund(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    refund = _sandbox(request).update_refund(request.path_params["id"], params, ctx)
    return 200, _expand(request, refund, params)


def GetEventsId(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    event = _sandbox(request).get_object("event", request.path_params["id"], "event")
    return 200, event


def GetEvents(  # noqa: N802
    request: Request, params: dict[str, Any], ctx: RequestContext
) -> tuple[int, dict[str, Any]]:
    data, has_more = _sandbox(request).list_events(params)
    return 200, list_object("/v1/events", data, has_more)


# -- hosted page ----------------------------------------------------------------
async def hosted_checkout_page(request: Request) -> Response:
    sandbox = _sandbox(request)
    try:
        session = sandbox.get_session(request.path_params["id"])
    except StripeError:
        return HTMLResponse(hosted_page.message_page("No such checkout session."), 404)
    merchant = request.app.state.settings.business_name
    return HTMLResponse(hosted_page.render(session, sandbox.line_items(session["id"]), merchant))


async def hosted_checkout_submit(request: Request) -> Response:
    sandbox = _sandbox(request)
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    action = form.get("action", "")
    try:
        session = sandbox.get_session(request.path_params["id"])
        if action == "cancel":
            if session["status"] != "open" or not session["cancel_url"]:
                return await hosted_checkout_page(request)
            target = session["cancel_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            return RedirectResponse(target, status_code=303)
        session = sandbox.complete_session(session["id"], action, NO_REQUEST)
    except StripeError as exc:
        return HTMLResponse(hosted_page.message_page(exc.message), exc.status)
    success_url = session["success_url"]
    if not success_url:
        return HTMLResponse(hosted_page.message_page("Payment complete."))
    target = success_url.replace("{CHECKOUT_SESSION_ID}", session["id"])
    return RedirectResponse(target, status_code=303)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def unknown_api_route(request: Request) -> Response:
    err = StripeError(
        404, f"Unrecognized request URL ({request.method}: {request.url.path}).", code=None
    )
    return JSONResponse(err.body(), status_code=404)


class RequestIdMiddleware:
    """Every answer carries `Request-Id: req_...` like Stripe's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + uuid.uuid4().hex[:14]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(settings: Settings | None = None) -> ASGIApp:
    settings = settings or Settings.from_env()
    store = Store(settings.db_path)
    dispatcher = WebhookDispatcher(
        settings.webhook_urls,
        settings.webhook_secret,
        retry_base_seconds=settings.retry_base_seconds,
        retry_max_seconds=settings.retry_max_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
        store=store,
    )
    sandbox = Sandbox(store, settings.public_url, dispatcher.enqueue)
    faults = FaultInjector()

    async def expiry_sweeper() -> None:
        while True:
            await asyncio.sleep(1)
            sandbox.expire_due()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        dispatcher.start()
        sweeper = asyncio.get_running_loop().create_task(expiry_sweeper())
        yield
        sweeper.cancel()
        await dispatcher.stop()

    v1 = [
        ("/v1/checkout/sessions", "POST", PostCheckoutSessions),
        ("/v1/checkout/sessions", "GET", GetCheckoutSessions),
        ("/v1/checkout/sessions/{id}", "GET", GetCheckoutSessionsSession),
        ("/v1/checkout/sessions/{id}/expire", "POST", PostCheckoutSessionsSessionExpire),
        ("/v1/payment_intents/{id}", "GET", GetPaymentIntentsIntent),
        ("/v1/charges/{id}", "GET", GetChargesCharge),
        ("/v1/refunds", "POST", PostRefunds),
        ("/v1/refunds", "GET", GetRefunds),
        ("/v1/refunds/{id}", "GET", GetRefundsRefund),
        ("/v1/refunds/{id}", "POST", PostRefundsRefund),
        ("/v1/events/{id}", "GET", GetEventsId),
        ("/v1/events", "GET", GetEvents),
    ]
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *[Route(path, api(fn), methods=[method]) for path, method, fn in v1],
        Route(
            "/v1/{rest:path}",
            unknown_api_route,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        ),
        Route("/checkout/{id}", hosted_checkout_page, methods=["GET"]),
        Route("/checkout/{id}", hosted_checkout_submit, methods=["POST"]),
        *control.routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    app.state.dispatcher = dispatcher
    app.state.faults = faults
    app.state.idempotency = IdempotencyStore(store)
    app.state.settings = settings
    return FaultMiddleware(
        RequestIdMiddleware(app), faults
    )  # outermost: `drop` needs uvicorn's send
