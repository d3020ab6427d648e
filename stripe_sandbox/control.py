"""The `/_sandbox/` control API: drive transitions, inspect deliveries, inject faults."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from stripe_sandbox.domain import NO_REQUEST, Sandbox
from stripe_sandbox.errors import StripeError, invalid, not_found
from stripe_sandbox.faults import MODES, Fault, FaultInjector
from stripe_sandbox.webhooks import WebhookDispatcher


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid("Body must be JSON.") from exc
    if not isinstance(body, dict):
        raise invalid("Body must be a JSON object.")
    return body


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def _dispatcher(request: Request) -> WebhookDispatcher:
    dispatcher: WebhookDispatcher = request.app.state.dispatcher
    return dispatcher


def _faults(request: Request) -> FaultInjector:
    injector: FaultInjector = request.app.state.faults
    return injector


def _errors(handler: Any) -> Any:
    async def wrapped(request: Request) -> JSONResponse:
        try:
            result: JSONResponse = await handler(request)
            return result
        except StripeError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)

    return wrapped


@_errors
async def complete_session(request: Request) -> JSONResponse:
    body = await _json_body(request)
    outcome = body.get("outcome", "paid")
    session = _sandbox(request).complete_session(request.path_params["id"], str(outcome))
    return JSONResponse(session)


@_errors
async def expire_session(request: Request) -> JSONResponse:
    return JSONResponse(_sandbox(request).expire_session(request.path_params["id"], NO_REQUEST))


@_errors
async def list_all_sessions(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)
    sandbox.expire_due()
    data = list(reversed(sandbox.store.all("session")))
    return JSONResponse({"object": "list", "data": data, "count": len(data)})


@_errors
async def list_deliveries(request: Request) -> JSONResponse:
    data = [d.public() for d in _dispatcher(request).deliveries]
    return JSONResponse({"data": data})


@_errors
async def resend_event(request: Request) -> JSONResponse:
    event_id = request.path_params["event_id"]
    event = _sandbox(request).store.get("event", event_id)
    if event is None:
        raise not_found("event", event_id)
    new = _dispatcher(request).resend(event)
    return JSONResponse({"data": [d.public() for d in new]})


@_errors
async def add_fault(request: Request) -> JSONResponse:
    body = await _json_body(request)
    mode = body.get("mode")
    if mode not in MODES:
        raise invalid(f"mode must be one of {', '.join(MODES)}", "mode")
    count = body.get("count", 1)
    seconds = body.get("seconds", 5)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise invalid("count must be a positive integer", "count")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise invalid("seconds must be a non-negative number", "seconds")
    method = body.get("method")
    fault = Fault(
        path_prefix=str(body.get("path_prefix", "/v1/")),
        method=str(method).upper() if method else None,
        mode=str(mode),
        count=count,
        seconds=float(seconds),
    )
    _faults(request).add(fault)
    return JSONResponse({"data": _faults(request).public()})


@_errors
async def clear_faults(request: Request) -> JSONResponse:
    _faults(request).clear()
    return JSONResponse({"data": []})


@_errors
async def configure_webhooks(request: Request) -> JSONResponse:
    body = await _json_body(request)
    flags: dict[str, bool | None] = {}
    for name in ("paused", "duplicate", "shuffle"):
        value = body.get(name)
        if value is not None and not isinstance(value, bool):
            raise invalid(f"{name} must be a boolean", name)
        flags[name] = value
    dispatcher = _dispatcher(request)
    dispatcher.configure(**flags)
    return JSONResponse(dispatcher.state())


@_errors
async def get_webhooks(request: Request) -> JSONResponse:
    return JSONResponse(_dispatcher(request).state())


@_errors
async def replace_endpoints(request: Request) -> JSONResponse:
    body = await _json_body(request)
    urls = body.get("urls")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise invalid("urls must be a list of strings", "urls")
    dispatcher = _dispatcher(request)
    dispatcher.urls = list(urls)
    return JSONResponse(dispatcher.state())


@_errors
async def reset(request: Request) -> JSONResponse:
    _sandbox(request).store.reset()
    _dispatcher(request).reset()
    _faults(request).clear()
    return JSONResponse({"reset": True})


routes = [
    Route("/_sandbox/checkout/sessions", list_all_sessions, methods=["GET"]),
    Route("/_sandbox/checkout/sessions/{id}/complete", complete_session, methods=["POST"]),
    Route("/_sandbox/checkout/sessions/{id}/expire", expire_session, methods=["POST"]),
    Route("/_sandbox/deliveries", list_deliveries, methods=["GET"]),
    Route("/_sandbox/events/{event_id}/resend", resend_event, methods=["POST"]),
    Route("/_sandbox/faults", add_fault, methods=["POST"]),
    Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/_sandbox/webhooks", configure_webhooks, methods=["POST"]),
    Route("/_sandbox/webhooks", get_webhooks, methods=["GET"]),
    Route("/_sandbox/webhooks/endpoints", replace_endpoints, methods=["PUT"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
]
