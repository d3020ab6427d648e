"""Tag `events`: the outbound events we emitted (the outbox), and their declared payloads.

The payloads are declared as OpenAPI 3.1 `webhooks` (one per event type) through
`app.webhooks`; the routes there are documentation only, nothing is served at them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from payment_api import views
from payment_api.api.deps import EventsReaderDep, ReadsDep
from payment_api.api.params import Cursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import (
    NO_NUL,
    EventType,
    OutboundEvent,
    OutboundEventList,
    PaymentEventPayload,
    RefundEventPayload,
)
from payment_api.domain.errors import NotFoundError
from payment_api.domain.events import EventType as DomainEventType

router = APIRouter(tags=["events"])
# operationId = the function's name, as for the routes (main.operation_id)
webhooks = APIRouter(tags=["events"], generate_unique_id_function=lambda route: route.name)


@router.get(
    "/events",
    summary="List emitted events",
    response_model=OutboundEventList,
    responses={
        200: {
            "description": "A page of events, newest first.",
            "links": {
                "GetEvent": {
                    "operationId": "getEvent",
                    "parameters": {"event_id": "$response.body#/data/0/id"},
                    "description": "The first event of the page.",
                }
            },
        },
        **problem_responses(401, 403, 422, 503),
    },
)
def listEvents(  # noqa: N802 - operationId
    reads: ReadsDep,
    _caller: EventsReaderDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    type: EventType | None = None,
    object_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL)] = None,
) -> views.View:
    """The events we emitted, newest first; filter by `type` and by the payment or refund
    they are about (`object_id`). An admin, or an API client with scope `events:read`."""
    chosen = None if type is None else str(type.value)
    return reads.events(limit=limit, cursor=cursor, event_type=chosen, object_id=object_id)


@router.get(
    "/events/{event_id}",
    summary="Get an emitted event",
    response_model=OutboundEvent,
    responses={
        200: {"description": "The event, exactly as its receivers got it."},
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def getEvent(  # noqa: N802
    event_id: Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)],
    reads: ReadsDep,
    _caller: EventsReaderDep,
) -> views.View:
    """One emitted event, exactly as its receivers get it. An admin, or an API client with scope
    `events:read`."""
    found = reads.event(event_id)
    if found is None:
        raise NotFoundError(f"event {event_id} does not exist")
    return found


def _declare(event_type: DomainEventType) -> None:
    """One entry of the spec's `webhooks`: what a merchant's endpoint receives."""
    payload = PaymentEventPayload if event_type.object_type == "payment" else RefundEventPayload

    def receive(body: PaymentEventPayload) -> None:
        """Documentation only: the shape of the POST a subscribed endpoint receives."""

    receive.__annotations__["body"] = payload  # the string annotations are not resolved here
    receive.__name__ = event_type.value.replace(".", "_")
    receive.__doc__ = (
        f"Sent when {_WHEN[event_type]}. Signed per the Standard Webhooks specification "
        "(`webhook-id`, `webhook-timestamp`, `webhook-signature`: verify with any Standard "
        "Webhooks library and the endpoint's `whsec_` secret); `webhook-id` is the event's "
        "`id`, the same on every retry: deduplicate on it. `data` is the resource exactly as "
        "the API returned it at that moment."
    )
    webhooks.post(
        event_type.value,
        status_code=200,
        response_class=Response,
        summary=event_type.value,
        responses={
            200: {"description": "Received (any 2xx)."},
            "default": {"description": RETRIED},
        },
    )(receive)


RETRIED = (
    "Any other answer, or none within the timeout, is retried with exponential back-off "
    "over at least three days."
)
_WHEN = {
    DomainEventType.PAYMENT_PROCESSING: "a payment was completed with a method whose funds "
    "arrive later (it is `processing`)",
    DomainEventType.PAYMENT_SUCCEEDED: "a payment succeeded",
    DomainEventType.PAYMENT_FAILED: "a payment failed (`failure_reason` says why when known)",
    DomainEventType.PAYMENT_EXPIRED: "a payment's checkout session expired unpaid",
    DomainEventType.PAYMENT_CANCELED: "a pending payment was canceled",
    DomainEventType.PAYMENT_PARTIALLY_REFUNDED: "a refund of part of a payment succeeded",
    DomainEventType.PAYMENT_REFUNDED: "a payment was refunded in full",
    DomainEventType.REFUND_SUCCEEDED: "a refund succeeded",
    DomainEventType.REFUND_FAILED: "a refund failed or was refused by the gateway",
}

for _event_type in DomainEventType:
    _declare(_event_type)
