"""Refunds: reserve the amount locally, ask the gateway, count it once when confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from payment_api.db.models import Payment, Refund, new_id, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain import idempotency
from payment_api.domain.checkout import gateway_failure, raise_if_unsettled
from payment_api.domain.errors import (
    ConflictError,
    IdempotencyConflictError,
    InvalidFieldError,
    NotFoundError,
)
from payment_api.domain.pagination import decode_cursor, encode_cursor
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.states import REFUNDABLE, PaymentEvent, PaymentStatus
from payment_api.gateways.payment_gateway import GatewayError, PaymentGateway

FINAL_FAILURES = {"failed", "canceled"}


@dataclass(frozen=True)
class RefundRequest:
    amount: int | None = None
    reason: str | None = None


def refund_record(refund: Refund) -> dict[str, Any]:
    return {"refund_id": refund.id}


def settle_gateway_refund(
    uow: UnitOfWork,
    payment: Payment,
    *,
    gateway_refund_id: str,
    status: str,
    amount: int,
    local_refund_id: str | None,
    event_id: str | None,
) -> Refund:
    """Record what the gateway says about one refund; counts it towards the payment ONCE.

    Caller holds the payment row lock, so a webhook and the API answer racing here cannot
    both count the same refund (`counted` is checked and set under that lock).
    """
    refund = uow.refunds.by_gateway_id(gateway_refund_id)
    if refund is None and local_refund_id:
        refund = uow.refunds.get(local_refund_id)
    if refund is None:  # created outside this service (e.g. the Stripe dashboard)
        refund = Refund(
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            status="pending",
            gateway_refund_id=gateway_refund_id,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        uow.refunds.add(refund)
    refund.gateway_refund_id = gateway_refund_id
    if refund.counted:
        return refund
    if status == "succeeded":
        room = payment.amount - payment.refunded_amount
        refund.counted = True
        refund.status = "succeeded"
        payment.refunded_amount += min(refund.amount, room)
        full = payment.refunded_amount >= payment.amount
        event = PaymentEvent.FULLY_REFUNDED if full else PaymentEvent.PARTIALLY_REFUNDED
        apply_event(uow, payment, event, event_id=event_id)
    elif status in FINAL_FAILURES:
        refund.status = "failed"
    else:
        refund.status = "pending"
    refund.updated_at = utcnow()
    return refund


class RefundService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        gateway: PaymentGateway,
        retention: timedelta,
        *,
        in_progress_timeout: timedelta = timedelta(seconds=60),
    ) -> None:
        self.uow = uow
        self.gateway = gateway
        self.retention = retention
        # A refund with an Idempotency-Key still "in progress" after this long died with its
        # process; a retry with the same key then resumes it (same gateway idempotency key).
        self.in_progress_timeout = in_progress_timeout

    def create(
        self, payment_id: str, request: RefundRequest, *, idempotency_key: str | None = None
    ) -> Refund:
        scope = f"refund:{payment_id}"
        digest = idempotency.request_hash({"amount": request.amount, "reason": request.reason})
        if idempotency_key:
            with self.uow() as uow:
                get_payment(uow, payment_id)
                earlier = idempotency.earlier_request(
                    uow,
                    scope,
                    idempotency_key,
                    digest,
                    retention=self.retention,
                    in_progress_timeout=self.in_progress_timeout,
                )
                if earlier.replay is not None:
                    return self._load(uow, str(earlier.replay["refund_id"]))
            if earlier.resume is not None:
                return self._resume(payment_id, earlier.resume, idempotency_key)

        with self.uow() as uow:
            payment = get_payment(uow, payment_id, for_update=True)
            if PaymentStatus(payment.status) not in REFUNDABLE or not payment.payment_intent_id:
                raise ConflictError(
                    f"payment {payment_id} is {payment.status}; it cannot be refunded"
                )
            remaining = payment.amount - uow.refunds.reserved_amount(payment_id)
            if remaining <= 0:
                raise ConflictError(f"payment {payment_id} is already fully refunded")
            amount = remaining if request.amount is None else request.amount
            if amount > remaining:
                raise InvalidFieldError(
                    "body.amount", f"at most {remaining} can still be refunded on this payment"
                )
            now = utcnow()
            refund = Refund(
                id=new_id(),
                payment_id=payment_id,
                amount=amount,
                currency=payment.currency,
                status="pending",
                reason=request.reason,
                created_at=now,
                updated_at=now,
            )
            uow.refunds.add(refund)
            if idempotency_key:
                try:
                    idempotency.reserve(
                        uow, scope, idempotency_key, digest, now, resource_id=refund.id
                    )
                except IntegrityError:
                    uow.rollback()
                    replay = idempotency.find_replay(
                        uow, scope, idempotency_key, digest, self.retention
                    )
                    assert replay is not None
                    return self._load(uow, str(replay["refund_id"]))
            uow.commit()
            refund_id, intent_id = refund.id, payment.payment_intent_id

        return self._refund_at_gateway(payment_id, refund_id, intent_id, amount, idempotency_key)

    def _resume(self, payment_id: str, refund_id: str, idempotency_key: str) -> Refund:
        """Finish the refund of a request that died after committing it (key in progress).

        The gateway is asked again with the same parameters and the same idempotency key, so a
        refund the dead request had already created there is replayed, not made a second time.
        """
        scope = f"refund:{payment_id}"
        with self.uow() as uow:
            payment = get_payment(uow, payment_id)
            refund = uow.refunds.get(refund_id)
            if refund is None or refund.payment_id != payment_id or not payment.payment_intent_id:
                uow.idempotency.remove(scope, idempotency_key)
                uow.commit()
                raise IdempotencyConflictError(
                    "the earlier request with this Idempotency-Key failed; use a new key"
                )
            if refund.gateway_refund_id is not None:
                # A webhook already reported it (metadata.refund_id): nothing to ask the gateway.
                uow.idempotency.complete(scope, idempotency_key, 201, refund_record(refund))
                uow.commit()
                return refund
            intent_id, amount = payment.payment_intent_id, refund.amount
        return self._refund_at_gateway(
            payment_id, refund_id, intent_id, amount, idempotency_key, resumed=True
        )

    def _refund_at_gateway(
        self,
        payment_id: str,
        refund_id: str,
        intent_id: str,
        amount: int,
        idempotency_key: str | None,
        *,
        resumed: bool = False,
    ) -> Refund:
        scope = f"refund:{payment_id}"
        try:
            info = self.gateway.create_refund(
                payment_intent_id=intent_id,
                amount=amount,
                refund_id=refund_id,
                idempotency_key=f"refund-{refund_id}",  # per refund, as checkout.gateway_key
            )
        except GatewayError as exc:
            raise_if_unsettled(exc, resumed=resumed, keyed=bool(idempotency_key))
            with self.uow() as uow:
                failed = uow.refunds.get(refund_id)
                if failed is not None and not failed.counted:
                    failed.status = "failed"
                if idempotency_key:
                    uow.idempotency.remove(scope, idempotency_key)
                uow.commit()
            raise gateway_failure(exc) from exc

        with self.uow() as uow:
            payment = get_payment(uow, payment_id, for_update=True)
            refund = settle_gateway_refund(
                uow,
                payment,
                gateway_refund_id=info.id,
                status=info.status,
                amount=info.amount,
                local_refund_id=refund_id,
                event_id=None,
            )
            if idempotency_key:
                uow.idempotency.complete(scope, idempotency_key, 201, refund_record(refund))
            uow.commit()
            return refund

    def list(
        self, payment_id: str, *, owner: str | None = None, limit: int, cursor: str | None
    ) -> tuple[list[Refund], str | None]:
        """One page of a payment's refunds, oldest first, and the cursor of the next."""
        with self.uow() as uow:
            get_payment(uow, payment_id, owner=owner)
            rows = uow.refunds.page_for_payment(
                payment_id, limit=limit + 1, after=decode_cursor(cursor)
            )
            more = len(rows) > limit
            rows = rows[:limit]
            return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None

    @staticmethod
    def get(uow: UnitOfWork, refund_id: str) -> Refund:
        refund = uow.refunds.get(refund_id)
        if refund is None:
            raise NotFoundError(f"refund {refund_id} does not exist")
        return refund

    @staticmethod
    def _load(uow: UnitOfWork, refund_id: str) -> Refund:
        refund = uow.refunds.get(refund_id)
        assert refund is not None
        return refund
