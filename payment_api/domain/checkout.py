"""Starting a checkout: validate, write the `pending` payment, create the gateway session.

Order matters for "nothing lost, nothing doubled": the idempotency key and the payment are
committed BEFORE the gateway call (so a racing twin hits the unique key), the gateway gets the
same idempotency key, and a gateway failure leaves the payment `failed` with the key released.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from payment_api.db.models import Payment, PaymentLineItem, new_id, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain import idempotency
from payment_api.domain.errors import (
    ConflictError,
    DependencyError,
    IdempotencyConflictError,
    InvalidFieldError,
    NotFoundError,
)
from payment_api.domain.money import MAX_MINOR_AMOUNT, Money
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.states import PaymentEvent, PaymentStatus
from payment_api.gateways.payment_gateway import (
    GatewayError,
    PaymentGateway,
    SessionLine,
    SessionRequest,
)
from payment_api.gateways.user_directory import UserDirectory, UserDirectoryUnavailableError

GATEWAY_STATUS = {
    "bad_gateway": 502,
    "rejected": 502,
    "unavailable": 503,
    "timeout": 504,
    "conflict": 409,
}


def gateway_failure(exc: GatewayError) -> DependencyError:
    return DependencyError(GATEWAY_STATUS[exc.kind], exc.detail)


def raise_if_unsettled(exc: GatewayError, *, resumed: bool, keyed: bool) -> None:
    """Raise for the gateway failures after which the local payment or refund and its
    Idempotency-Key must stay as they are; return for a failure the caller records.

    A resumed call meeting a conflict: another attempt with the same gateway key is talking to
    the gateway right now (409). A timeout on a keyed request: the gateway may have done the
    work and only its answer was lost; recording a failure and freeing the key would let the
    retry create a second session or refund under a new gateway key. Kept in progress, the
    retry after in_progress_timeout resumes it with the same gateway key, which replays it
    (reconcile settles what nobody retries).
    """
    if resumed and exc.kind == "conflict":
        raise IdempotencyConflictError(
            "a request with this Idempotency-Key is still in progress; retry later"
        ) from exc
    if exc.kind == "timeout" and keyed:
        raise gateway_failure(exc) from exc


@dataclass(frozen=True)
class LineRequest:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    line_items: list[LineRequest] | None = None
    custom_amount: Money | None = None
    description: str | None = None
    user_id: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None


@dataclass(frozen=True)
class CheckoutResult:
    payment_id: str
    session_id: str
    url: str
    expires_at: str  # RFC 3339
    status: str
    amount: int
    currency: str

    def record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckoutPolicy:
    success_url: str
    cancel_url: str
    redirect_origins: set[str]
    expiry: timedelta
    idempotency_retention: timedelta
    # A request with an Idempotency-Key still "in progress" after this long died with its
    # process; a retry with the same key then resumes its payment (same gateway key).
    in_progress_timeout: timedelta = timedelta(seconds=60)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def gateway_key(payment_id: str) -> str:
    """The gateway's idempotency key: one per payment, never the client's key. A resumed
    request sends it again (the gateway replays its session); a new payment, even under a
    released client key, gets a new one (the gateway never answers it with another payment's
    session or a cached error); two callers' equal keys never meet in the gateway's single
    namespace per account."""
    return f"checkout-{payment_id}"


class CheckoutService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        gateway: PaymentGateway,
        users: UserDirectory,
        policy: CheckoutPolicy,
    ) -> None:
        self.uow = uow
        self.gateway = gateway
        self.users = users
        self.policy = policy

    def cancel(self, payment_id: str, *, owner: str | None = None) -> str:
        """Close a payment's open session at the gateway and mark the payment `canceled`
        (a shopper who left from the cancel page). Canceling a canceled payment changes
        nothing; any other state than pending is a 409. Returns the payment id."""
        with self.uow() as uow:
            payment = get_payment(uow, payment_id, owner=owner)
            status, session_id = PaymentStatus(payment.status), payment.checkout_session_id
        if status is PaymentStatus.CANCELED:
            return payment_id
        if status is not PaymentStatus.PENDING:
            raise ConflictError(
                f"payment {payment_id} is {status}; only a pending one can be canceled"
            )
        if session_id is None:
            raise ConflictError(f"payment {payment_id} has no session yet; retry in a moment")
        try:
            self.gateway.expire_session(session_id)
        except GatewayError as exc:
            if exc.kind != "rejected":
                raise gateway_failure(exc) from exc
            # Not open any more: paid, or expired meanwhile. Only an expired one may be
            # canceled here; a paid one is settled by its webhook.
            try:
                state = self.gateway.get_session(session_id).status
            except GatewayError as lookup:
                raise gateway_failure(lookup) from lookup
            if state != "expired":
                raise ConflictError(
                    f"payment {payment_id} was completed meanwhile; it cannot be canceled"
                ) from exc
        with self.uow() as uow:
            payment = get_payment(uow, payment_id, for_update=True)
            if apply_event(uow, payment, PaymentEvent.CANCELED):
                uow.commit()
            elif payment.status != PaymentStatus.CANCELED:
                raise ConflictError(f"payment {payment_id} is {payment.status}; it moved meanwhile")
        return payment_id

    def start(
        self,
        request: CheckoutRequest,
        *,
        idempotency_key: str | None = None,
        body_hash: str | None = None,
        bearer_token: str | None = None,
        caller: str | None = None,
    ) -> CheckoutResult:
        # Keys are the caller's own: another caller's equal key is another request.
        scope = f"checkout:{caller or 'anonymous'}"
        retention = self.policy.idempotency_retention
        if idempotency_key:
            digest = body_hash or idempotency.request_hash(asdict(request))
            with self.uow() as uow:
                earlier = idempotency.earlier_request(
                    uow,
                    scope,
                    idempotency_key,
                    digest,
                    retention=retention,
                    in_progress_timeout=self.policy.in_progress_timeout,
                )
            if earlier.resume is not None:
                return self._resume(earlier.resume, scope, idempotency_key)
            if earlier.replay is not None:
                return CheckoutResult(**earlier.replay)

        success_url = self._redirect(request.success_url, self.policy.success_url, "success_url")
        cancel_url = self._redirect(request.cancel_url, self.policy.cancel_url, "cancel_url")
        email = self._customer_email(request.user_id, bearer_token)

        now = utcnow()
        with self.uow() as uow:
            lines, total = self._price(uow, request)
            payment = Payment(
                id=new_id(),
                status=PaymentStatus.PENDING.value,
                amount=total.amount,
                currency=total.currency,
                user_id=request.user_id,
                customer_email=email,
                description=request.description,
                success_url=success_url,
                cancel_url=cancel_url,
                created_at=now,
                updated_at=now,
                line_items=lines,
            )
            uow.payments.add(payment)
            uow.payments.record_change(payment, None, "created", None)
            if idempotency_key:
                try:
                    idempotency.reserve(
                        uow, scope, idempotency_key, digest, now, resource_id=payment.id
                    )
                except IntegrityError:
                    uow.rollback()
                    replay = idempotency.find_replay(uow, scope, idempotency_key, digest, retention)
                    if replay is not None:
                        return CheckoutResult(**replay)
                    raise  # find_replay raised ConflictError already
            uow.commit()
            payment_id = payment.id

        session_request = SessionRequest(
            payment_id=payment_id,
            currency=total.currency,
            lines=[SessionLine(li.name, li.unit_amount, li.quantity) for li in lines],
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=now + self.policy.expiry,
            customer_email=email,
            idempotency_key=gateway_key(payment_id),
        )
        return self._open_session(session_request, scope, idempotency_key)

    def _resume(self, payment_id: str, scope: str, idempotency_key: str) -> CheckoutResult:
        """Finish the checkout of a request that died after committing its payment.

        The gateway call is repeated with the same parameters and idempotency key, so a session
        the dead request had already created is returned again instead of a second one.
        """
        with self.uow() as uow:
            payment = uow.payments.get(payment_id)
            if payment is None or (
                payment.checkout_session_id is None
                and payment.status != PaymentStatus.PENDING.value
            ):
                uow.idempotency.remove(scope, idempotency_key)
                uow.commit()
                raise IdempotencyConflictError(
                    "the earlier request with this Idempotency-Key failed; use a new key"
                )
            session_request = SessionRequest(
                payment_id=payment.id,
                currency=payment.currency,
                lines=[
                    SessionLine(li.name, li.unit_amount, li.quantity) for li in payment.line_items
                ],
                success_url=payment.success_url,
                cancel_url=payment.cancel_url,
                expires_at=payment.created_at + self.policy.expiry,
                customer_email=payment.customer_email,
                idempotency_key=gateway_key(payment.id),
            )
            known = payment.checkout_session_id
        return self._open_session(
            session_request, scope, idempotency_key, resumed=True, known=known
        )

    def _open_session(
        self,
        session_request: SessionRequest,
        scope: str,
        idempotency_key: str | None,
        *,
        resumed: bool = False,
        known: str | None = None,
    ) -> CheckoutResult:
        payment_id = session_request.payment_id
        try:
            if known is None:
                session = self.gateway.create_session(session_request)
        except GatewayError as exc:
            raise_if_unsettled(exc, resumed=resumed, keyed=bool(idempotency_key))
            with self.uow() as uow:
                failed = uow.payments.get(payment_id, for_update=True)
                if failed is not None:
                    failed.failure_reason = exc.detail
                    apply_event(uow, failed, PaymentEvent.GATEWAY_REJECTED)
                if idempotency_key:
                    uow.idempotency.remove(scope, idempotency_key)
                uow.commit()
            raise gateway_failure(exc) from exc

        with self.uow() as uow:
            stored = uow.payments.get(payment_id, for_update=True)
            assert stored is not None
            if known is None and stored.status != PaymentStatus.PENDING.value:
                # Reconcile gave the payment up while this call ran (a timed-out checkout it
                # thought abandoned): its session goes to nobody and expires unpaid.
                if idempotency_key:
                    uow.idempotency.remove(scope, idempotency_key)
                uow.commit()
                raise ConflictError(
                    f"payment {payment_id} was closed meanwhile; start a new checkout"
                )
            if known is None:
                stored.checkout_session_id = session.id
                stored.checkout_url = session.url
                stored.expires_at = session.expires_at or session_request.expires_at
                stored.updated_at = utcnow()
            result = CheckoutResult(
                payment_id=payment_id,
                session_id=stored.checkout_session_id or "",
                url=stored.checkout_url or "",
                expires_at=(stored.expires_at or session_request.expires_at).isoformat(),
                status=stored.status,
                amount=stored.amount,
                currency=stored.currency,
            )
            if idempotency_key:
                uow.idempotency.complete(scope, idempotency_key, 201, result.record())
            uow.commit()
        return result

    def _redirect(self, given: str | None, default: str, field: str) -> str:
        """Only our own or configured origins: no open redirect through the hosted page."""
        if given is None:
            return default
        origin = _origin(given)
        if origin is None:
            raise InvalidFieldError(f"body.{field}", "must be an absolute http(s) URL")
        if origin not in self.policy.redirect_origins:
            raise InvalidFieldError(
                f"body.{field}", f"origin {origin} is not an allowed redirect origin"
            )
        return given

    def _customer_email(self, user_id: str | None, bearer_token: str | None) -> str | None:
        if user_id is None:
            return None
        try:
            found = self.users.lookup(user_id, bearer_token=bearer_token)
        except UserDirectoryUnavailableError as exc:
            raise DependencyError(
                503, f"user service unavailable, try again later ({exc})"
            ) from exc
        if found == "not_found":
            raise InvalidFieldError("body.user_id", f"user {user_id} does not exist")
        if not found.active:
            raise InvalidFieldError("body.user_id", f"user {user_id} is deactivated")
        return found.email

    @staticmethod
    def _price(uow: UnitOfWork, request: CheckoutRequest) -> tuple[list[PaymentLineItem], Money]:
        if request.custom_amount is not None:
            amount = request.custom_amount
            if amount.amount < 1:
                raise InvalidFieldError("body.custom_amount.amount", "must be at least 1")
            name = request.description or "Payment"
            single = PaymentLineItem(position=0, name=name, quantity=1, unit_amount=amount.amount)
            return [single], amount
        items = request.line_items or []
        products = uow.products.get_many([i.product_id for i in items])
        lines: list[PaymentLineItem] = []
        total: Money | None = None
        for position, item in enumerate(items):
            field = f"body.line_items.{position}.product_id"
            product = products.get(item.product_id)
            if product is None:
                raise NotFoundError(f"{field}: product {item.product_id} does not exist")
            if not product.active:
                raise ConflictError(
                    f"{field}: product {item.product_id} is inactive (active: false); "
                    "it cannot be bought"
                )
            line_total = Money(product.unit_amount, product.currency).times(item.quantity)
            if total is not None and total.currency != line_total.currency:
                raise InvalidFieldError(field, "all line items must share one currency")
            total = line_total if total is None else total + line_total
            lines.append(
                PaymentLineItem(
                    position=position,
                    product_id=product.id,
                    name=product.name,
                    quantity=item.quantity,
                    unit_amount=product.unit_amount,
                )
            )
        if total is None:
            raise InvalidFieldError("body.line_items", "at least one line item is required")
        if total.amount < 1:
            raise InvalidFieldError("body.line_items", "the total must be at least 1 minor unit")
        if total.amount > MAX_MINOR_AMOUNT:
            raise InvalidFieldError("body.line_items", f"the total exceeds {MAX_MINOR_AMOUNT}")
        return lines, total
