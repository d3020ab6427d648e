"""Tag `webhooks`: signed gateway events in, and the admin replay of a stored event."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request

from payment_api import views
from payment_api.api.deps import (
    ContainerDep,
    EventReplayerDep,
    EventsReaderDep,
    InboxDep,
    ReadsDep,
    run_db,
)
from payment_api.api.params import GatewayCursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.rendering import Rendered
from payment_api.api.schemas import (
    NO_CONTROL,
    NO_NUL,
    InboxState,
    WebhookAck,
    WebhookEventList,
    WebhookEventRecord,
)
from payment_api.domain.errors import DomainError, NotFoundError
from payment_api.domain.ports import BadSignatureError
from payment_api.observability import record_webhook

router = APIRouter(tags=["webhooks"])
EventId = Annotated[str, Path(min_length=1, max_length=255, pattern=NO_NUL)]
REPLAY_LINK = {
    "operationId": "replayWebhookEvent",
    "parameters": {"event_id": "$response.body#/id"},
    "description": "The stored event can be replayed.",
}

STRIPE_EVENT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/StripeEvent"},
        }
    },
}


class BadSignatureProblemError(DomainError):
    status = 400


@router.post(
    "/webhooks/stripe",
    response_model=WebhookAck,
    responses={
        200: {
            "description": "Stored (or a duplicate of a stored event) and processed.",
            "links": {
                "ReplayWebhookEvent": {
                    "operationId": "replayWebhookEvent",
                    "parameters": {"event_id": "$response.body#/event_id"},
                }
            },
        },
        **problem_responses(400, 413, 422),
    },
    openapi_extra={"requestBody": STRIPE_EVENT_BODY, "security": []},
)
async def receiveStripeWebhook(  # noqa: N802 - operationId
    request: Request,
    container: ContainerDep,
    stripe_signature: Annotated[
        str | None,
        Header(
            alias="Stripe-Signature",
            max_length=4096,
            description="t=<unix>,v1=<hex HMAC>; required.",
        ),
    ] = None,
) -> Rendered:
    """Verify, store once (unique event id), then process; 2xx only once safely stored."""
    payload = await request.body()
    try:
        # The small database pool: 32 deliveries at once would otherwise queue in SQLite's
        # busy handler for its one writer, seconds at the tail (bench/RESULTS.md).
        receipt = await run_db(
            container, partial(container.inbox.receive, payload, stripe_signature)
        )
    except BadSignatureError as exc:
        record_webhook("unknown", "bad_signature")
        raise BadSignatureProblemError(str(exc)) from None
    if receipt.duplicate:
        record_webhook(receipt.type, "duplicate")
    else:
        record_webhook(receipt.type, receipt.state, receipt.created)
    return Rendered(views.webhook_ack_view(receipt))


@router.get(
    "/webhooks/events",
    summary="List stored Stripe events",
    response_model=WebhookEventList,
    responses={
        200: {
            "description": "A page of stored events, newest first.",
            "links": {
                "GetWebhookEvent": {
                    "operationId": "getWebhookEvent",
                    "parameters": {"event_id": "$response.body#/data/0/id"},
                    "description": "The first event of the page.",
                }
            },
        },
        **problem_responses(401, 403, 422, 503),
    },
)
def listWebhookEvents(  # noqa: N802
    reads: ReadsDep,
    _caller: EventsReaderDep,
    limit: Limit = 20,
    cursor: GatewayCursor = None,
    state: InboxState | None = None,
    type: Annotated[str | None, Query(min_length=1, max_length=100, pattern=NO_CONTROL)] = None,
) -> views.View:
    """The gateway events the service stored, newest first, with their processing state:
    find a `failed` one to replay, or the event behind a payment's change. Filter by `state`
    and by Stripe's event `type`. An admin, or an API client with scope `events:read`."""
    chosen = None if state is None else str(state.value)
    return reads.inbox_events(limit=limit, cursor=cursor, state=chosen, event_type=type)


@router.get(
    "/webhooks/events/{event_id}",
    summary="Get a stored Stripe event",
    response_model=WebhookEventRecord,
    responses={
        200: {
            "description": "The stored event and its processing state.",
            "links": {"ReplayWebhookEvent": REPLAY_LINK},
        },
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def getWebhookEvent(  # noqa: N802
    event_id: EventId, reads: ReadsDep, _caller: EventsReaderDep
) -> views.View:
    """One stored gateway event (Stripe's `evt_` id) and what processing it did. An admin, or an API
    client with scope `events:read`."""
    found = reads.inbox_event(event_id)
    if found is None:
        raise NotFoundError(f"event {event_id} is not in the inbox")
    return found


@router.post(
    "/webhooks/events/{event_id}/replay",
    response_model=WebhookEventRecord,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def replayWebhookEvent(  # noqa: N802
    event_id: EventId,
    inbox: InboxDep,
    actor: EventReplayerDep,
) -> views.View:
    """Re-process a stored event through the same idempotent path (admin operation)."""
    return views.inbox_event_view(inbox.replay(event_id, actor))
