"""Tag `webhooks`: signed gateway events in, and the admin replay of a stored event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from starlette.concurrency import run_in_threadpool

from payment_api import views
from payment_api.api.deps import AdminDep, InboxDep
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import NO_NUL, WebhookAck, WebhookEventRecord
from payment_api.domain.errors import DomainError
from payment_api.domain.ports import BadSignatureError
from payment_api.observability import record_webhook

router = APIRouter(tags=["webhooks"])

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
    inbox: InboxDep,
    stripe_signature: Annotated[
        str | None,
        Header(
            alias="Stripe-Signature",
            max_length=4096,
            description="t=<unix>,v1=<hex HMAC>; required.",
        ),
    ] = None,
) -> views.View:
    """Verify, store once (unique event id), then process; 2xx only once safely stored."""
    payload = await request.body()
    try:
        receipt = await run_in_threadpool(inbox.receive, payload, stripe_signature)
    except BadSignatureError as exc:
        record_webhook("unknown", "bad_signature")
        raise BadSignatureProblemError(str(exc)) from None
    if receipt.duplicate:
        record_webhook(receipt.type, "duplicate")
    else:
        record_webhook(receipt.type, receipt.state, payload)
    return views.webhook_ack_view(receipt)


@router.post(
    "/webhooks/events/{event_id}/replay",
    response_model=WebhookEventRecord,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def replayWebhookEvent(  # noqa: N802
    event_id: Annotated[str, Path(min_length=1, max_length=255, pattern=NO_NUL)],
    inbox: InboxDep,
    _admin: AdminDep,
) -> views.View:
    """Re-process a stored event through the same idempotent path (admin operation)."""
    return views.inbox_event_view(inbox.process(event_id, force=True))
