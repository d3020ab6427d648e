"""Tag `webhook-endpoints`: where outbound events go, their secrets, deliveries and retries.

An admin, or an API client with scope `webhooks:read` (reads) or `webhooks:write`
(changes). The worker delivers (payment_api/worker.py); these routes register and change
endpoints, show every delivery and attempt, and queue a retry.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from payment_api import views
from payment_api.api.deps import EndpointsDep, ReadsDep, WebhooksEditorDep, WebhooksReaderDep
from payment_api.api.params import Cursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import (
    NO_NUL,
    DeliveryAttemptList,
    DeliveryState,
    EndpointStatus,
    SecretRotation,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from payment_api.domain.endpoints import EndpointChanges, EndpointDraft
from payment_api.domain.errors import NotFoundError
from payment_api.domain.products import KEEP

router = APIRouter(tags=["webhook-endpoints"])
EndpointId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
EventId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
EventFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL)]

_BY_ID = {"endpoint_id": "$response.body#/id"}
ENDPOINT_LINKS = {
    "GetWebhookEndpoint": {"operationId": "getWebhookEndpoint", "parameters": _BY_ID},
    "UpdateWebhookEndpoint": {"operationId": "updateWebhookEndpoint", "parameters": _BY_ID},
    "ListWebhookDeliveries": {"operationId": "listWebhookDeliveries", "parameters": _BY_ID},
    "RotateWebhookEndpointSecret": {
        "operationId": "rotateWebhookEndpointSecret",
        "parameters": _BY_ID,
    },
}


def _not_found(endpoint_id: str) -> NotFoundError:
    return NotFoundError(f"webhook endpoint {endpoint_id} does not exist")


@router.post(
    "/webhook-endpoints",
    status_code=201,
    summary="Register a webhook endpoint",
    response_model=WebhookEndpointWithSecret,
    responses={
        201: {
            "description": "Registered; `secret` is shown this once.",
            "links": ENDPOINT_LINKS,
        },
        **problem_responses(400, 401, 403, 409, 413, 415, 422, 503),
    },
)
def createWebhookEndpoint(  # noqa: N802 - operationId
    body: WebhookEndpointCreate, endpoints: EndpointsDep, actor: WebhooksEditorDep
) -> views.View:
    """Send the events of `event_types` (`*`: all) to `url`, signed with the returned `secret`
    (Standard Webhooks; it is shown this once). The URL must be HTTPS on a public address unless the
    service's settings allow more; one endpoint per URL. An admin, or an API client with scope
    `webhooks:write`."""
    draft = EndpointDraft(
        url=body.url,
        event_types=[str(t.value) for t in body.event_types],
        description=body.description,
    )
    endpoint = endpoints.register(draft, actor)
    return views.endpoint_view(endpoint, secret=endpoint.secret)


@router.get(
    "/webhook-endpoints",
    summary="List webhook endpoints",
    response_model=WebhookEndpointList,
    responses={
        200: {
            "description": "A page of endpoints, newest first.",
            "links": {
                "GetWebhookEndpoint": {
                    "operationId": "getWebhookEndpoint",
                    "parameters": {"endpoint_id": "$response.body#/data/0/id"},
                    "description": "The first endpoint of the page.",
                }
            },
        },
        **problem_responses(401, 403, 422, 503),
    },
)
def listWebhookEndpoints(  # noqa: N802
    reads: ReadsDep,
    _caller: WebhooksReaderDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: EndpointStatus | None = None,
) -> views.View:
    """The registered endpoints, newest first; filter by `status` (a `disabled` one says why
    in `disabled_reason`). An admin, or an API client with scope `webhooks:read`."""
    chosen = None if status is None else str(status.value)
    return reads.endpoints(limit=limit, cursor=cursor, status=chosen)


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    summary="Get a webhook endpoint",
    response_model=WebhookEndpoint,
    responses={
        200: {"description": "The endpoint (never its secret).", "links": ENDPOINT_LINKS},
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def getWebhookEndpoint(  # noqa: N802
    endpoint_id: EndpointId, reads: ReadsDep, _caller: WebhooksReaderDep
) -> views.View:
    """One endpoint. An admin, or an API client with scope `webhooks:read`."""
    found = reads.endpoint(endpoint_id)
    if found is None:
        raise _not_found(endpoint_id)
    return found


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    summary="Update a webhook endpoint",
    response_model=WebhookEndpoint,
    responses={
        200: {"description": "The endpoint as it is now.", "links": ENDPOINT_LINKS},
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
    },
)
def updateWebhookEndpoint(  # noqa: N802
    endpoint_id: EndpointId, body: WebhookEndpointUpdate, endpoints: EndpointsDep,
    actor: WebhooksEditorDep,
) -> views.View:  # fmt: skip
    """Change the URL, the event types or the description, or disable (`enabled: false`) and enable
    it again; enabling resumes its pending deliveries. An admin, or an API client with scope
    `webhooks:write`."""
    given = body.model_fields_set
    changes = EndpointChanges(
        url=body.url,
        event_types=None if body.event_types is None else [str(t.value) for t in body.event_types],
        description=body.description if "description" in given else KEEP,
        enabled=body.enabled,
    )
    return views.endpoint_view(endpoints.update(endpoint_id, changes, actor))


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a webhook endpoint",
    responses={
        204: {"description": "Deleted, with its deliveries and their attempts."},
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def deleteWebhookEndpoint(  # noqa: N802
    endpoint_id: EndpointId, endpoints: EndpointsDep, actor: WebhooksEditorDep
) -> Response:
    """Stop sending to the endpoint and forget it, its deliveries and attempts (the events
    stay, in `GET /events`). An admin, or an API client with scope `webhooks:write`."""
    endpoints.delete(endpoint_id, actor)
    return Response(status_code=204)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    summary="Rotate a webhook endpoint's secret",
    response_model=WebhookEndpointWithSecret,
    responses={
        200: {"description": "The new `secret`, shown this once.", "links": ENDPOINT_LINKS},
        **problem_responses(400, 401, 403, 404, 413, 415, 422, 503),
    },
)
def rotateWebhookEndpointSecret(  # noqa: N802
    endpoint_id: EndpointId, body: SecretRotation, endpoints: EndpointsDep, actor: WebhooksEditorDep
) -> views.View:
    """A new signing secret. Until `expire_previous_after_seconds` have passed (default a day, at
    most seven, 0 for at once) every delivery carries a signature under the old secret too, so the
    receiver can switch without rejecting an event. An admin, or an API client with scope
    `webhooks:write`."""
    overlap = timedelta(seconds=body.expire_previous_after_seconds)
    endpoint = endpoints.rotate_secret(endpoint_id, overlap, actor)
    return views.endpoint_view(endpoint, secret=endpoint.secret)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    summary="List an endpoint's deliveries",
    response_model=WebhookDeliveryList,
    responses={
        200: {
            "description": "A page of deliveries (one per event), newest first.",
            "links": {
                "RetryWebhookDelivery": {
                    "operationId": "retryWebhookDelivery",
                    "parameters": {
                        "endpoint_id": "$request.path.endpoint_id",
                        "event_id": "$response.body#/data/0/event_id",
                    },
                    "description": "Send the first event of the page again.",
                }
            },
        },
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def listWebhookDeliveries(  # noqa: N802
    endpoint_id: EndpointId,
    reads: ReadsDep,
    _caller: WebhooksReaderDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    state: DeliveryState | None = None,
    event_id: EventFilter = None,
) -> views.View:
    """Each event sent (or to be sent) to the endpoint: `pending` (with `next_attempt_at`),
    `delivered`, or `failed` once every retry of the window failed. An admin, or an API client with
    scope `webhooks:read`."""
    chosen = None if state is None else str(state.value)
    page = reads.deliveries(
        endpoint_id, limit=limit, cursor=cursor, state=chosen, event_id=event_id
    )
    if page is None:
        raise _not_found(endpoint_id)
    return page


@router.get(
    "/webhook-endpoints/{endpoint_id}/attempts",
    summary="List an endpoint's delivery attempts",
    response_model=DeliveryAttemptList,
    responses={
        200: {"description": "A page of attempts, newest first."},
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def listDeliveryAttempts(  # noqa: N802
    endpoint_id: EndpointId,
    reads: ReadsDep,
    _caller: WebhooksReaderDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    event_id: EventFilter = None,
) -> views.View:
    """Every POST to the endpoint: status code, latency, error, and the start of the answer
    (bounded). Filter by `event_id`. An admin, or an API client with scope `webhooks:read`."""
    page = reads.attempts(endpoint_id, limit=limit, cursor=cursor, event_id=event_id)
    if page is None:
        raise _not_found(endpoint_id)
    return page


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{event_id}/retry",
    status_code=202,
    summary="Retry one event to one endpoint",
    response_model=WebhookDelivery,
    responses={
        202: {"description": "Queued: the worker sends it now, then retries as usual."},
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
)
def retryWebhookDelivery(  # noqa: N802
    endpoint_id: EndpointId, event_id: EventId, endpoints: EndpointsDep, reads: ReadsDep,
    actor: WebhooksEditorDep,
) -> views.View:  # fmt: skip
    """Send an event to the endpoint again with a fresh retry window: one that failed, one
    the receiver lost, or one emitted before the endpoint subscribed. 409 while the endpoint
    is disabled. An admin, or an API client with scope `webhooks:write`."""
    delivery = endpoints.retry(endpoint_id, event_id, actor)
    shaped = reads.delivery(delivery.id)
    assert shaped is not None  # committed just now; deliveries go only with their endpoint
    return shaped
