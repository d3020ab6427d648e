"""Refunds: reserve the amount locally, ask the gateway, count it once when confirmed.

`RefundService.create` is an idempotent create (domain/idempotency.py) with one gateway key
per refund; `settle_gateway_refund` is where the API answer, webhooks and reconcile all record
what the gateway says about a refund.
"""

from __future__ import annotations

from dataclasses import dataclass

from payment_api.domain.audit import Actor, AuditAction, record
from payment_api.domain.errors import ConflictError, InvalidFieldError
from payment_api.domain.events import refund_event
from payment_api.domain.idempotency import Answer, Creation, Done, Idempotency, request_hash
from payment_api.domain.model import NewRefund, Payment, Refund, new_id, utcnow
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.ports import (
    GatewayError,
    PaymentGateway,
    RefundInfo,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payment_api.domain.states import REFUNDABLE, PaymentEvent, PaymentStatus, RefundStatus


@dataclass(frozen=True)
class RefundRequest:
    amount: int | None = None
    reason: str | None = None


def refund_record(refund: Refund) -> Answer:
    """What a completed Idempotency-Key keeps of a refund (its current state is replayed)."""
    return {"refund_id": refund.id}


def refund_scope(payment_id: str) -> str:
    """The Idempotency-Keys of one payment's refunds."""
    return f"refund:{payment_id}"


def gateway_key(refund_id: str) -> str:
    """One gateway idempotency key per refund, as checkout.gateway_key is per payment."""
    return f"refund-{refund_id}"


def settle_gateway_refund(
    uow: UnitOfWork,
    payment: Payment,
    info: RefundInfo,
    *,
    local_refund_id: str | None,
    event_id: str | None,
) -> Refund:
    """Record what the gateway says about one refund; counts it towards the payment ONCE.

    The caller holds the payment row lock, so a webhook and the API answer racing here cannot
    both count the same refund (`counted` is checked and set under that lock).
    """
    refund = uow.refunds.by_gateway_id(info.id)
    if refund is None and local_refund_id:
        refund = uow.refunds.get(local_refund_id)
    if refund is None:  # made outside this service (e.g. the Stripe dashboard)
        refund = uow.refunds.add(
            NewRefund(
                id=new_id(),
                payment_id=payment.id,
                amount=info.amount,
                currency=payment.currency,
                created_at=utcnow(),
                gateway_refund_id=info.id,
            )
        )
    refund.gateway_refund_id = info.id
    if refund.counted:
        return refund
    if info.status == RefundStatus.SUCCEEDED:
        room = payment.amount - payment.refunded_amount
        refund.counted = True
        refund.status = RefundStatus.SUCCEEDED
        payment.refunded_amount += min(refund.amount, room)
        full = payment.refunded_amount >= payment.amount
        event = PaymentEvent.FULLY_REFUNDED if full else PaymentEvent.PARTIALLY_REFUNDED
        refund.updated_at = utcnow()
        _emit_refund(uow, refund)  # before the payment's: the refund caused that move
        apply_event(uow, payment, event, event_id=event_id)
        return refund
    moved = refund.status != info.status
    refund.status = info.status
    refund.updated_at = utcnow()
    if moved:
        _emit_refund(uow, refund)
    return refund


def fail_refund(uow: UnitOfWork, refund: Refund) -> None:
    """The gateway refused the refund, or never made it: its amount is free again."""
    if refund.counted or refund.status == RefundStatus.FAILED:
        return
    refund.status = RefundStatus.FAILED
    refund.updated_at = utcnow()
    _emit_refund(uow, refund)


def _emit_refund(uow: UnitOfWork, refund: Refund) -> None:
    emitted = refund_event(RefundStatus(refund.status))
    if emitted is not None:
        uow.outbox.emit(emitted, refund)


class RefundService:
    def __init__(
        self, uow: UnitOfWorkFactory, gateway: PaymentGateway, idempotency: Idempotency
    ) -> None:
        self.uow = uow
        self.gateway = gateway
        self.idempotency = idempotency

    def create(
        self,
        payment_id: str,
        request: RefundRequest,
        *,
        idempotency_key: str | None = None,
        actor: Actor | None = None,
    ) -> Refund:
        digest = request_hash({"amount": request.amount, "reason": request.reason})
        steps = _CreateRefund(self.gateway, payment_id, request, actor)
        return self.idempotency.run(steps, key=idempotency_key, digest=digest)


@dataclass(frozen=True)
class _GatewayRefund:
    refund_id: str
    payment_intent_id: str
    amount: int


class _CreateRefund(Creation[_GatewayRefund, RefundInfo, Refund]):
    def __init__(
        self,
        gateway: PaymentGateway,
        payment_id: str,
        request: RefundRequest,
        actor: Actor | None,
    ) -> None:
        super().__init__(refund_scope(payment_id))
        self.gateway, self.payment_id, self.request = gateway, payment_id, request
        self.actor = actor

    def replay(self, uow: UnitOfWork, answer: Answer) -> Refund:
        refund = uow.refunds.get(str(answer["refund_id"]))
        assert refund is not None  # refunds are never deleted
        return refund

    def create(self, uow: UnitOfWork) -> tuple[str, _GatewayRefund]:
        payment = get_payment(uow, self.payment_id, for_update=True)
        if PaymentStatus(payment.status) not in REFUNDABLE or not payment.payment_intent_id:
            raise ConflictError(f"payment {payment.id} is {payment.status}; it cannot be refunded")
        remaining = payment.amount - uow.refunds.reserved_amount(payment.id)
        if remaining <= 0:
            raise ConflictError(f"payment {payment.id} is already fully refunded")
        amount = remaining if self.request.amount is None else self.request.amount
        if amount > remaining:
            raise InvalidFieldError(
                "body.amount", f"at most {remaining} can still be refunded on this payment"
            )
        refund = uow.refunds.add(
            NewRefund(
                id=new_id(),
                payment_id=payment.id,
                amount=amount,
                currency=payment.currency,
                created_at=utcnow(),
                reason=self.request.reason,
            )
        )
        # with the refund row: a gateway failure later leaves both (the refund `failed`)
        record(uow, self.actor, AuditAction.REFUND_CREATED, refund.id, payment_id=payment.id,
               amount=f"{amount} {payment.currency}", reason=self.request.reason or "")  # fmt: skip
        return refund.id, _GatewayRefund(refund.id, payment.payment_intent_id, amount)

    def resume(self, uow: UnitOfWork, resource_id: str) -> _GatewayRefund | Done[Refund] | None:
        payment = get_payment(uow, self.payment_id)
        refund = uow.refunds.get(resource_id)
        if refund is None or refund.payment_id != payment.id or not payment.payment_intent_id:
            return None
        if refund.gateway_refund_id is not None:  # a webhook reported it meanwhile
            return Done(refund, refund_record(refund))
        return _GatewayRefund(refund.id, payment.payment_intent_id, refund.amount)

    def call(self, pending: _GatewayRefund) -> RefundInfo:
        return self.gateway.create_refund(
            payment_intent_id=pending.payment_intent_id,
            amount=pending.amount,
            refund_id=pending.refund_id,
            idempotency_key=gateway_key(pending.refund_id),
        )

    def failed(self, uow: UnitOfWork, pending: _GatewayRefund, error: GatewayError) -> None:
        refund = uow.refunds.get(pending.refund_id)
        if refund is not None:
            fail_refund(uow, refund)

    def complete(
        self, uow: UnitOfWork, pending: _GatewayRefund, outcome: RefundInfo
    ) -> Done[Refund]:
        payment = get_payment(uow, self.payment_id, for_update=True)
        refund = settle_gateway_refund(
            uow, payment, outcome, local_refund_id=pending.refund_id, event_id=None
        )
        return Done(refund, refund_record(refund))
