"""Tag `audit`: the audit trail of admin actions, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from payment_api import views
from payment_api.api.deps import AuditReaderDep, ReadsDep
from payment_api.api.params import Cursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import NO_CONTROL, AuditEventList
from payment_api.domain.audit import AuditAction

router = APIRouter(tags=["audit"])
Id = Annotated[str | None, Query(min_length=1, max_length=255, pattern=NO_CONTROL)]


@router.get(
    "/audit/payment-events",
    summary="List audit events",
    response_model=AuditEventList,
    responses={
        200: {"description": "A page of the audit trail, newest first."},
        **problem_responses(401, 403, 422, 503),
    },
)
def listAuditEvents(  # noqa: N802 - operationId
    reads: ReadsDep,
    _caller: AuditReaderDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    action: AuditAction | None = None,
    actor_id: Id = None,
    target_id: Id = None,
) -> views.View:
    """Every action of an admin or an API client that changes money or what merchants
    receive, recorded once in the transaction of the change with who (a user or an API client),
    from where and the request id: products created and changed (price changes with the old and
    new price), refunds, webhook endpoints created, changed, deleted and their secrets rotated
    (never a secret), deliveries retried, Stripe events replayed. Newest first; filter by
    `action`, `actor_id` (a user's or an API client's id) or `target_id`. An admin, or an API
    client with scope `audit:read`. Events cannot be changed or deleted, through the API or in
    the database."""
    chosen = None if action is None else action.value
    return reads.audit_events(
        limit=limit, cursor=cursor, action=chosen, actor_id=actor_id, target_id=target_id
    )
