"""Tag `payments`: payment records and their refunds."""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query

from payment_api import views
from payment_api.api.checkout import GATEWAY_ERRORS, IdempotencyKey
from payment_api.api.deps import (
    CheckoutDep,
    ContainerDep,
    PaymentCancelerDep,
    PaymentsReaderDep,
    ReadsDep,
    RefunderDep,
    RefundsDep,
    run_db,
)
from payment_api.api.params import Cursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.rendering import Rendered
from payment_api.api.schemas import (
    NO_CONTROL,
    NO_NUL,
    Payment,
    PaymentList,
    PaymentStatus,
    Refund,
    RefundCreate,
    RefundList,
)
from payment_api.auth import Principal
from payment_api.domain.errors import InvalidFieldError, NotFoundError
from payment_api.domain.refunds import RefundRequest

router = APIRouter(tags=["payments"])
Timestamp = Annotated[
    str | None,
    Query(max_length=64, json_schema_extra={"format": "date-time"}, description="RFC 3339"),
]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def rfc3339(value: str | None, name: str) -> datetime | None:
    """Strict RFC 3339 with an offset (pydantic would also take UNIX numbers and naive times)."""
    if value is None:
        return None
    try:
        if not RFC3339.match(value):
            raise ValueError(value)
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidFieldError(
            f"query.{name}", "must be an RFC 3339 date-time with offset"
        ) from None


PaymentId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]


def owner_of(principal: Principal) -> str | None:
    """Whose payments the caller may see: a customer's own (their `sub`); an admin's, and an
    API client's granted the operation's scope, all."""
    if principal.is_admin or principal.is_machine:
        return None
    assert principal.user_id is not None  # a customer: authenticated by the dependency
    return principal.user_id


@router.get(
    "/payments", response_model=PaymentList, responses=problem_responses(401, 403, 422, 503)
)
async def listPayments(  # noqa: N802 - operationId
    reads: ReadsDep,
    principal: PaymentsReaderDep,
    container: ContainerDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: PaymentStatus | None = None,
    user_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL)] = None,
    created_gte: Timestamp = None,
    created_lt: Timestamp = None,
    checkout_session_id: Annotated[
        str | None, Query(min_length=1, max_length=255, pattern=NO_CONTROL)
    ] = None,
) -> Rendered:
    """List payments, newest first; filter by status, user, creation time and the gateway's
    checkout session (`cs_…`: the payment a shopper returning from the hosted page paid)."""
    page = await run_db(
        container,
        partial(
            reads.payments,
            limit=limit,
            cursor=cursor,
            status=status.value if status else None,
            user_id=user_id,
            owner=owner_of(principal),
            created_gte=rfc3339(created_gte, "created_gte"),
            created_lt=rfc3339(created_lt, "created_lt"),
            checkout_session_id=checkout_session_id,
        ),
    )
    return Rendered(page)


@router.get(
    "/payments/{payment_id}",
    response_model=Payment,
    responses={
        200: {
            "description": "The payment with its line items and status history.",
            "links": {
                "CreateRefund": {
                    "operationId": "createRefund",
                    "parameters": {"payment_id": "$response.body#/id"},
                },
                "ListRefunds": {
                    "operationId": "listRefunds",
                    "parameters": {"payment_id": "$response.body#/id"},
                },
            },
        },
        **problem_responses(401, 403, 404, 422, 503),
    },
)
async def getPayment(  # noqa: N802
    payment_id: PaymentId, reads: ReadsDep, principal: PaymentsReaderDep, container: ContainerDep
) -> Rendered:
    """One payment."""
    found = await run_db(container, partial(reads.payment, payment_id, owner=owner_of(principal)))
    if found is None:  # also when it is someone else's: the same 404
        raise NotFoundError(f"payment {payment_id} does not exist")
    return Rendered(found)


@router.post(
    "/payments/{payment_id}/cancel",
    response_model=Payment,
    responses={
        200: {"description": "The payment, canceled (also when it already was)."},
        **problem_responses(401, 403, 404, 409, 422, *GATEWAY_ERRORS),
    },
)
def cancelPayment(  # noqa: N802
    payment_id: PaymentId, checkout: CheckoutDep, principal: PaymentCancelerDep, reads: ReadsDep
) -> views.View:
    """Close a pending payment's hosted session and mark it canceled."""
    checkout.cancel(payment_id, owner=owner_of(principal))
    found = reads.payment(payment_id)
    assert found is not None  # payments are never deleted
    return found


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    response_model=Refund,
    responses={
        201: {"description": "Refund created at the gateway."},
        **problem_responses(400, 401, 403, 404, 409, 413, 415, 422, *GATEWAY_ERRORS),
    },
)
def createRefund(  # noqa: N802
    payment_id: PaymentId,
    actor: RefunderDep,
    refunds: RefundsDep,
    body: RefundCreate,
    idempotency_key: IdempotencyKey = None,
) -> views.View:
    """Refund all that remains (no amount) or part of a succeeded payment."""
    request = RefundRequest(amount=body.amount, reason=body.reason.value if body.reason else None)
    created = refunds.create(payment_id, request, idempotency_key=idempotency_key, actor=actor)
    return views.refund_view(created)


@router.get(
    "/payments/{payment_id}/refunds",
    response_model=RefundList,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def listRefunds(  # noqa: N802
    payment_id: PaymentId,
    reads: ReadsDep,
    principal: PaymentsReaderDep,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> views.View:
    """Refunds of one payment, oldest first (cursor pagination)."""
    page = reads.refunds(payment_id, owner=owner_of(principal), limit=limit, cursor=cursor)
    if page is None:
        raise NotFoundError(f"payment {payment_id} does not exist")
    return page
