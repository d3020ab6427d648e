"""The operators' console (admins): stored Stripe events and outbound webhook endpoints.

Stripe events: the gateway's events the payment service stored (listWebhookEvents, newest
first, by state and type; getWebhookEvent to open one by id), each with a Replay button
(replayWebhookEvent).

Webhook endpoints: register one (createWebhookEndpoint: its signing secret is shown once,
kept in the server-side session only until the next page shows it, never in a URL), change,
disable and enable it (updateWebhookEndpoint), rotate its secret (rotateWebhookEndpointSecret),
delete it after a confirmation page (deleteWebhookEndpoint), follow its deliveries
(listWebhookDeliveries) and attempts (listDeliveryAttempts), and queue one delivery again
(retryWebhookDelivery).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from payment_api_client.api.webhook_endpoints import (
    create_webhook_endpoint,
    delete_webhook_endpoint,
    get_webhook_endpoint,
    list_delivery_attempts,
    list_webhook_deliveries,
    list_webhook_endpoints,
    retry_webhook_delivery,
    rotate_webhook_endpoint_secret,
    update_webhook_endpoint,
)
from payment_api_client.api.webhooks import (
    get_webhook_event,
    list_webhook_events,
    replay_webhook_event,
)
from payment_api_client.models import (
    DeliveryAttempt,
    DeliveryAttemptList,
    DeliveryState,
    EndpointStatus,
    InboxState,
    SecretRotation,
    SubscribedType,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookEventList,
    WebhookEventRecord,
)

from web.api import ApiError, HasStatus, problem_of, unwrap
from web.context import Ctx, checked_form, safe_next
from web.routes.shop import valid_id

router = APIRouter(prefix="/console")
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]

EVENTS_PATH = "/console/stripe-events"
ENDPOINTS_PATH = "/console/webhooks"

INBOX_STATES = [s.value for s in InboxState]
DELIVERY_STATES = [s.value for s in DeliveryState]
ENDPOINT_STATUSES = [s.value for s in EndpointStatus]
ALL_TYPES = SubscribedType.VALUE_0.value  # "*": every type, future ones too
EVENT_TYPES = sorted(t.value for t in SubscribedType if t is not SubscribedType.VALUE_0)
TYPE_FIELD = "event_type."  # one checkbox per type: `event_type.payment.succeeded`, `event_type.*`

# Stripe's event ids (`evt_...`) in a path; the API takes any 1-255 characters but NUL.
STRIPE_EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")
# The API's cursor patterns: a cursor that is not one of them starts at the first page.
STRIPE_EVENTS_CURSOR = re.compile(r"^[0-9]{1,16}_[^\x00-\x1f\x7f]{1,255}$")
CURSOR = re.compile(r"^[0-9]{1,16}_[0-9a-f-]{1,64}$")
STRIPE_TYPE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
MAX_URL = 2048
MAX_DESCRIPTION = 500
# How long the previous secret keeps signing beside the new one (the API allows 0 to 7 days).
OVERLAPS = [
    ("0", "Stop using the old secret at once"),
    ("3600", "Keep the old secret for 1 hour"),
    ("86400", "Keep the old secret for 1 day"),
    ("604800", "Keep the old secret for 7 days"),
]
DEFAULT_OVERLAP = "86400"
ENDPOINT_FIELDS = {"url": "url", "event_types": "event_types", "description": "description"}
ONCE_KEY = "shown_once"  # the session's one-time secret, popped by the next detail page


def cursor_or_none(cursor: str | None, pattern: re.Pattern[str]) -> str | None:
    return cursor if cursor and pattern.match(cursor) else None


def problem_or_raise(response: HasStatus) -> ApiError:
    problem = problem_of(response)
    if problem.status not in (409, 422):
        raise problem
    return problem


# -- stored Stripe events ------------------------------------------------------------
@router.get("/stripe-events")
def stripe_events_page(
    ctx: CtxDep,
    state: Annotated[str, Query(max_length=32)] = "",
    event_type: Annotated[str, Query(alias="type", max_length=200)] = "",
    q: Annotated[str, Query(max_length=300)] = "",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    ctx.require_admin()
    event_type = event_type.strip()
    filters = {"state": state, "type": event_type}
    errors: dict[str, str] = {}
    if state and state not in INBOX_STATES:
        errors["state"] = "Choose a state."
    if event_type and not STRIPE_TYPE.match(event_type):
        errors["type"] = "Enter a Stripe event type, e.g. checkout.session.completed."
    events: list[WebhookEventRecord] = []
    next_cursor: str | None = None
    searched = q.strip()
    page_cursor = cursor_or_none(cursor, STRIPE_EVENTS_CURSOR)
    if searched:
        found = find_stripe_event(ctx, searched)
        if found is not None:
            events = [found]
        else:
            ctx.flash(f"No stored Stripe event has the id {searched}.", "error")
    if not errors and not events:
        page = unwrap(
            ctx.api.payments(
                lambda c: list_webhook_events.sync_detailed(
                    client=c,
                    limit=ctx.settings.page_size,
                    cursor=page_cursor,
                    state=InboxState(state) if state else None,
                    type_=event_type or None,
                )
            ),
            WebhookEventList,
        )
        events = page.data
        next_cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
    params = urlencode(filters)
    here = EVENTS_PATH + "?" + params
    if page_cursor:
        here += "&" + urlencode({"cursor": page_cursor})
    return ctx.render(
        "console/stripe_events.html",
        {
            "events": events,
            "searched": bool(searched) and bool(events),
            "next_cursor": next_cursor,
            "first_page": page_cursor is None,
            "filters": filters,
            "params": params,
            "states": INBOX_STATES,
            "errors": errors,
            "back": here,
        },
        status_code=422 if errors else 200,
    )


def find_stripe_event(ctx: Ctx, event_id: str) -> WebhookEventRecord | None:
    if not STRIPE_EVENT_ID.match(event_id):
        return None
    response = ctx.api.payments(lambda c: get_webhook_event.sync_detailed(event_id, client=c))
    if isinstance(response.parsed, WebhookEventRecord):
        return response.parsed
    if int(response.status_code) in (404, 422):
        return None
    raise problem_of(response)


def back_to(form: dict[str, str], base: str) -> str:
    """The list page the form was posted from (its filters and page), only under `base`."""
    target = safe_next(form.get("back"), base)
    return target if target == base or target.startswith(base + "?") else base


@router.post("/stripe-events/{event_id}/replay")
def stripe_event_replay(ctx: CtxDep, event_id: str, form: Form) -> Response:
    ctx.require_admin()
    if not STRIPE_EVENT_ID.match(event_id):
        raise ApiError(404)
    event = unwrap(
        ctx.api.payments(lambda c: replay_webhook_event.sync_detailed(event_id, client=c)),
        WebhookEventRecord,
    )
    state = str(event.state)
    if state == InboxState.FAILED:
        ctx.flash(f"Replayed {event.id}: failed again: {event.error or 'no error given'}.", "error")
    else:
        outcome = f" ({event.outcome})" if event.outcome else ""
        ctx.flash(f"Replayed {event.id}: {state}{outcome}.", "success")
    return ctx.redirect(back_to(form, EVENTS_PATH))


# -- webhook endpoints ---------------------------------------------------------------
def endpoint_id_of(text: str) -> str:
    """Endpoint ids are UUIDs: anything else is a 404 page, never sent to the API."""
    try:
        return str(UUID(text))
    except ValueError as exc:
        raise ApiError(404) from exc


def event_id_of(text: str) -> str:
    if not valid_id(text):
        raise ApiError(404)
    return text


def endpoint_form(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """URL, description and event types of the create and edit forms, checked as the API
    would (its own checks, the URL policy above all, come back as field errors)."""
    errors: dict[str, str] = {}
    url = form.get("url", "").strip()
    if not url:
        errors["url"] = "Enter the URL the events are sent to."
    elif len(url) > MAX_URL:
        errors["url"] = f"Enter at most {MAX_URL} characters."
    description = form.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Enter at most {MAX_DESCRIPTION} characters."
    chosen = [t for t in [ALL_TYPES, *EVENT_TYPES] if form.get(TYPE_FIELD + t)]
    if not chosen:
        errors["event_types"] = "Choose the event types to send, or all of them."
    if ALL_TYPES in chosen:
        chosen = [ALL_TYPES]
    types = [SubscribedType(t) for t in chosen]
    return {"url": url, "description": description or None, "event_types": types}, errors


def form_values(endpoint: WebhookEndpoint) -> dict[str, str]:
    values = {
        "url": endpoint.url,
        "description": endpoint.description if isinstance(endpoint.description, str) else "",
    }
    for t in endpoint.event_types:
        values[TYPE_FIELD + str(t)] = "on"
    return values


def endpoint_problem(response: HasStatus) -> dict[str, str]:
    problem = problem_or_raise(response)
    errors = problem.field_errors(ENDPOINT_FIELDS)
    if problem.status == 409:  # one endpoint per URL
        errors = {"url": problem.detail or "An endpoint for this URL is registered already."}
    return errors or {"form": problem.detail or "The endpoint could not be saved."}


@router.get("/webhooks")
def endpoints_page(
    ctx: CtxDep,
    status: Annotated[str, Query(max_length=32)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    ctx.require_admin()
    return render_endpoints(ctx, status, cursor, {}, {})


def render_endpoints(
    ctx: Ctx, status: str, cursor: str | None, errors: dict[str, str], values: dict[str, str]
) -> Response:
    chosen = status if status in ENDPOINT_STATUSES else ""
    page_cursor = cursor_or_none(cursor, CURSOR)
    page = unwrap(
        ctx.api.payments(
            lambda c: list_webhook_endpoints.sync_detailed(
                client=c,
                limit=ctx.settings.page_size,
                cursor=page_cursor,
                status=EndpointStatus(chosen) if chosen else None,
            )
        ),
        WebhookEndpointList,
    )
    return ctx.render(
        "console/webhooks.html",
        {
            "endpoints": page.data,
            "next_cursor": page.next_cursor,
            "first_page": page_cursor is None,
            "filters": {"status": chosen},
            "statuses": ENDPOINT_STATUSES,
            "event_types": EVENT_TYPES,
            "all_types": ALL_TYPES,
            "type_field": TYPE_FIELD,
            "errors": errors,
            "values": values or {TYPE_FIELD + ALL_TYPES: "on"},
        },
        status_code=422 if errors else 200,
    )


@router.post("/webhooks")
def endpoint_create(ctx: CtxDep, form: Form) -> Response:
    ctx.require_admin()
    body, errors = endpoint_form(form)
    if not errors:
        create = WebhookEndpointCreate(
            url=body["url"], event_types=body["event_types"], description=body["description"]
        )
        response = ctx.api.payments(
            lambda c: create_webhook_endpoint.sync_detailed(client=c, body=create)
        )
        if isinstance(response.parsed, WebhookEndpointWithSecret):
            made = response.parsed
            keep_secret_once(ctx, made, "created")
            ctx.flash(f"Registered {made.url}.", "success")
            return ctx.redirect(f"{ENDPOINTS_PATH}/{made.id}")
        errors = endpoint_problem(response)
    return render_endpoints(ctx, "", None, errors, form)


def keep_secret_once(ctx: Ctx, endpoint: WebhookEndpointWithSecret, why: str) -> None:
    """The secret for the next page only (the server-side session, never a URL or cookie)."""
    shown = {"endpoint_id": endpoint.id, "secret": endpoint.secret, "why": why}
    ctx.session.data[ONCE_KEY] = shown
    ctx.session.mark()


def take_secret(ctx: Ctx, endpoint_id: str) -> dict[str, str] | None:
    kept = ctx.session.data.pop(ONCE_KEY, None)
    if kept is None:
        return None
    ctx.session.mark()
    if isinstance(kept, dict) and kept.get("endpoint_id") == endpoint_id:
        return {"secret": str(kept.get("secret", "")), "why": str(kept.get("why", ""))}
    return None


def load_endpoint(ctx: Ctx, endpoint_id: str) -> WebhookEndpoint:
    eid = endpoint_id_of(endpoint_id)
    return unwrap(
        ctx.api.payments(lambda c: get_webhook_endpoint.sync_detailed(eid, client=c)),
        WebhookEndpoint,
    )


@router.get("/webhooks/{endpoint_id}")
def endpoint_page(
    ctx: CtxDep,
    endpoint_id: str,
    state: Annotated[str, Query(max_length=32)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    ctx.require_admin()
    endpoint = load_endpoint(ctx, endpoint_id)
    return render_endpoint(ctx, endpoint, state, cursor, {}, form_values(endpoint))


def render_endpoint(
    ctx: Ctx,
    endpoint: WebhookEndpoint,
    state: str,
    cursor: str | None,
    errors: dict[str, str],
    values: dict[str, str],
) -> Response:
    chosen = state if state in DELIVERY_STATES else ""
    page_cursor = cursor_or_none(cursor, CURSOR)
    deliveries = unwrap(
        ctx.api.payments(
            lambda c: list_webhook_deliveries.sync_detailed(
                endpoint.id,
                client=c,
                limit=ctx.settings.page_size,
                cursor=page_cursor,
                state=DeliveryState(chosen) if chosen else None,
            )
        ),
        WebhookDeliveryList,
    )
    attempts = unwrap(
        ctx.api.payments(
            lambda c: list_delivery_attempts.sync_detailed(
                endpoint.id, client=c, limit=ctx.settings.page_size
            )
        ),
        DeliveryAttemptList,
    )
    delivery_rows: list[WebhookDelivery] = deliveries.data
    attempt_rows: list[DeliveryAttempt] = attempts.data
    return ctx.render(
        "console/webhook.html",
        {
            "endpoint": endpoint,
            "secret": take_secret(ctx, endpoint.id),
            "deliveries": delivery_rows,
            "next_cursor": deliveries.next_cursor,
            "first_page": page_cursor is None,
            "filters": {"state": chosen},
            "delivery_states": DELIVERY_STATES,
            "attempts": attempt_rows,
            "overlaps": OVERLAPS,
            "default_overlap": DEFAULT_OVERLAP,
            "event_types": EVENT_TYPES,
            "all_types": ALL_TYPES,
            "type_field": TYPE_FIELD,
            "errors": errors,
            "values": values,
        },
        status_code=422 if errors else 200,
    )


@router.post("/webhooks/{endpoint_id}")
def endpoint_update(ctx: CtxDep, endpoint_id: str, form: Form) -> Response:
    ctx.require_admin()
    endpoint = load_endpoint(ctx, endpoint_id)
    body, errors = endpoint_form(form)
    if not errors:
        update = WebhookEndpointUpdate(
            event_types=body["event_types"], description=body["description"]
        )
        if body["url"] != endpoint.url:
            update.url = body["url"]
        response = ctx.api.payments(
            lambda c: update_webhook_endpoint.sync_detailed(endpoint.id, client=c, body=update)
        )
        if isinstance(response.parsed, WebhookEndpoint):
            ctx.flash(f"Saved {response.parsed.url}.", "success")
            return ctx.redirect(f"{ENDPOINTS_PATH}/{endpoint.id}")
        errors = endpoint_problem(response)
    return render_endpoint(ctx, endpoint, "", None, errors, form)


@router.post("/webhooks/{endpoint_id}/enabled")
def endpoint_enabled(ctx: CtxDep, endpoint_id: str, form: Form) -> Response:
    ctx.require_admin()
    eid = endpoint_id_of(endpoint_id)
    enabled = form.get("enabled") == "true"
    updated = unwrap(
        ctx.api.payments(
            lambda c: update_webhook_endpoint.sync_detailed(
                eid, client=c, body=WebhookEndpointUpdate(enabled=enabled)
            )
        ),
        WebhookEndpoint,
    )
    if str(updated.status) == EndpointStatus.ENABLED:
        ctx.flash(f"{updated.url} is enabled: its pending deliveries resume.", "success")
    else:
        ctx.flash(f"{updated.url} is disabled: nothing is sent to it until enabled.", "success")
    return ctx.redirect(f"{ENDPOINTS_PATH}/{updated.id}")


@router.post("/webhooks/{endpoint_id}/rotate-secret")
def endpoint_rotate_secret(ctx: CtxDep, endpoint_id: str, form: Form) -> Response:
    ctx.require_admin()
    eid = endpoint_id_of(endpoint_id)
    overlap = form.get("expire_previous_after_seconds", DEFAULT_OVERLAP)
    if overlap not in dict(OVERLAPS):
        ctx.flash("Choose how long the old secret keeps working.", "error")
        return ctx.redirect(f"{ENDPOINTS_PATH}/{eid}")
    rotated = unwrap(
        ctx.api.payments(
            lambda c: rotate_webhook_endpoint_secret.sync_detailed(
                eid, client=c, body=SecretRotation(expire_previous_after_seconds=int(overlap))
            )
        ),
        WebhookEndpointWithSecret,
    )
    keep_secret_once(ctx, rotated, "rotated")
    ctx.flash("The signing secret is rotated.", "success")
    return ctx.redirect(f"{ENDPOINTS_PATH}/{rotated.id}")


@router.get("/webhooks/{endpoint_id}/delete")
def endpoint_delete_page(ctx: CtxDep, endpoint_id: str) -> Response:
    ctx.require_admin()
    endpoint = load_endpoint(ctx, endpoint_id)
    return ctx.render("console/webhook_delete.html", {"endpoint": endpoint})


@router.post("/webhooks/{endpoint_id}/delete")
def endpoint_delete(ctx: CtxDep, endpoint_id: str, form: Form) -> Response:
    ctx.require_admin()
    endpoint = load_endpoint(ctx, endpoint_id)
    response = ctx.api.payments(
        lambda c: delete_webhook_endpoint.sync_detailed(endpoint.id, client=c)
    )
    if int(response.status_code) != 204:
        raise problem_of(response)
    ctx.flash(f"Deleted the endpoint for {endpoint.url} with its deliveries.", "success")
    return ctx.redirect(ENDPOINTS_PATH)


@router.post("/webhooks/{endpoint_id}/deliveries/{event_id}/retry")
def delivery_retry(ctx: CtxDep, endpoint_id: str, event_id: str, form: Form) -> Response:
    ctx.require_admin()
    eid = endpoint_id_of(endpoint_id)
    event = event_id_of(event_id)
    response = ctx.api.payments(
        lambda c: retry_webhook_delivery.sync_detailed(eid, event, client=c)
    )
    if isinstance(response.parsed, WebhookDelivery):
        ctx.flash(f"Event {event} is queued again: the worker sends it now.", "success")
    else:
        problem = problem_or_raise(response)
        ctx.flash(problem.detail or "The delivery could not be queued.", "error")
    return ctx.redirect(back_to(form, f"{ENDPOINTS_PATH}/{eid}"))


__all__ = ["router"]
