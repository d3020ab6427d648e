"""Starting a checkout (a `pending` payment and its hosted gateway session) and canceling one.

`start` is an idempotent create (domain/idempotency.py): the payment is committed before the
gateway call, the gateway gets one key per payment, a refusal leaves the payment `failed`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from payment_api.domain.errors import (
    ConflictError,
    DependencyError,
    InvalidFieldError,
    NotFoundError,
    gateway_failure,
)
from payment_api.domain.idempotency import Answer, Creation, Done, Idempotency, request_hash
from payment_api.domain.model import NewLineItem, NewPayment, Payment, new_id, utcnow
from payment_api.domain.money import MAX_MINOR_AMOUNT, Money
from payment_api.domain.payments import apply_event, get_payment
from payment_api.domain.ports import (
    GatewayError,
    PaymentGateway,
    SessionInfo,
    SessionLine,
    SessionRequest,
    UnitOfWork,
    UnitOfWorkFactory,
    UserDirectory,
    UserDirectoryUnavailableError,
)
from payment_api.domain.states import PaymentEvent, PaymentStatus


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
    status: PaymentStatus
    amount: int
    currency: str

    def record(self) -> Answer:
        return asdict(self)

    @classmethod
    def from_record(cls, answer: Answer) -> CheckoutResult:
        return cls(**{**answer, "status": PaymentStatus(answer["status"])})

    @classmethod
    def of(cls, payment: Payment, fallback_expiry: datetime) -> CheckoutResult:
        return cls(
            payment_id=payment.id,
            session_id=payment.checkout_session_id or "",
            url=payment.checkout_url or "",
            expires_at=(payment.expires_at or fallback_expiry).isoformat(),
            status=payment.status,
            amount=payment.amount,
            currency=payment.currency,
        )


@dataclass(frozen=True)
class CheckoutPolicy:
    success_url: str
    cancel_url: str
    redirect_origins: set[str]
    expiry: timedelta


CHECKOUT_SCOPES = "checkout:"  # every caller's checkout keys: "checkout:<caller>"


def cancel_key(payment_id: str) -> str:
    """The gateway key of a cancel's session expiry: its expiry event names it, so the inbox
    knows that event for the echo of the cancel (canceled, not expired), whichever is first."""
    return f"cancel-{payment_id}"


def gateway_key(payment_id: str) -> str:
    """The gateway's idempotency key: one per payment, never the client's key. A resumed
    request sends it again (the gateway replays its session); a new payment gets a new one,
    so the gateway never answers with another payment's session or a cached error."""
    return f"checkout-{payment_id}"


class CheckoutService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        users: UserDirectory,
        policy: CheckoutPolicy,
        idempotency: Idempotency,
    ) -> None:
        self.uow = uow
        self.gateway = gateway
        self.users = users
        self.policy = policy
        self.idempotency = idempotency

    def start(
        self,
        request: CheckoutRequest,
        *,
        idempotency_key: str | None = None,
        body_hash: str | None = None,
        bearer_token: str | None = None,
        caller: str | None = None,
    ) -> CheckoutResult:
        digest = body_hash or request_hash(asdict(request))
        steps = _StartCheckout(self, request, bearer_token, caller)
        return self.idempotency.run(steps, key=idempotency_key, digest=digest)

    def cancel(self, payment_id: str, *, owner: str | None = None) -> None:
        """Close a pending payment's session at the gateway and mark it `canceled` (a shopper
        who left from the cancel page). A canceled one stays so; any other state is a 409."""
        with self.uow() as uow:
            payment = get_payment(uow, payment_id, owner=owner)
            status, session_id = payment.status, payment.checkout_session_id
        if status == PaymentStatus.CANCELED:
            return
        if status != PaymentStatus.PENDING:
            raise ConflictError(
                f"payment {payment_id} is {status}; only a pending one can be canceled"
            )
        if session_id is None:
            raise ConflictError(f"payment {payment_id} has no session yet; retry in a moment")
        try:
            self.gateway.expire_session(session_id, idempotency_key=cancel_key(payment_id))
        except GatewayError as exc:
            if exc.kind != "rejected":
                raise gateway_failure(exc) from exc
            # Not open any more: only an expired one may be canceled here; a paid one is
            # settled by its webhook.
            try:
                change = self.gateway.get_session(session_id).change
            except GatewayError as lookup:
                raise gateway_failure(lookup) from lookup
            if change is not PaymentEvent.SESSION_EXPIRED:
                raise ConflictError(
                    f"payment {payment_id} was completed meanwhile; it cannot be canceled"
                ) from exc
        with self.uow() as uow:
            payment = get_payment(uow, payment_id, for_update=True)
            if apply_event(uow, payment, PaymentEvent.CANCELED):
                uow.commit()
            elif payment.status != PaymentStatus.CANCELED:
                raise ConflictError(f"payment {payment_id} is {payment.status}; it moved meanwhile")

    def redirect(self, given: str | None, default: str, field: str) -> str:
        """Only our own or configured origins: no open redirect through the hosted page."""
        if given is None:
            return default
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidFieldError(f"body.{field}", "must be an absolute http(s) URL")
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in self.policy.redirect_origins:
            raise InvalidFieldError(
                f"body.{field}", f"origin {origin} is not an allowed redirect origin"
            )
        return given

    def customer_email(self, user_id: str | None, bearer_token: str | None) -> str | None:
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

    def session_request(self, payment: Payment) -> SessionRequest:
        return SessionRequest(
            payment_id=payment.id,
            currency=payment.currency,
            lines=[SessionLine(li.name, li.unit_amount, li.quantity) for li in payment.line_items],
            success_url=payment.success_url,
            cancel_url=payment.cancel_url,
            expires_at=payment.created_at + self.policy.expiry,
            customer_email=payment.customer_email,
            idempotency_key=gateway_key(payment.id),
        )


class _StartCheckout(Creation[SessionRequest, SessionInfo, CheckoutResult]):
    def __init__(
        self,
        service: CheckoutService,
        request: CheckoutRequest,
        bearer_token: str | None,
        caller: str | None,
    ) -> None:
        super().__init__(f"{CHECKOUT_SCOPES}{caller or 'anonymous'}")  # a caller's own keys
        self.service, self.request, self.bearer_token = service, request, bearer_token

    def replay(self, uow: UnitOfWork, answer: Answer) -> CheckoutResult:
        return CheckoutResult.from_record(answer)

    def prepare(self) -> None:
        policy, request = self.service.policy, self.request
        self.success_url = self.service.redirect(
            request.success_url, policy.success_url, "success_url"
        )
        self.cancel_url = self.service.redirect(request.cancel_url, policy.cancel_url, "cancel_url")
        self.email = self.service.customer_email(request.user_id, self.bearer_token)

    def create(self, uow: UnitOfWork) -> tuple[str, SessionRequest]:
        lines, total = price(uow, self.request)
        payment = uow.payments.add(
            NewPayment(
                id=new_id(),
                amount=total.amount,
                currency=total.currency,
                user_id=self.request.user_id,
                customer_email=self.email,
                description=self.request.description,
                success_url=self.success_url,
                cancel_url=self.cancel_url,
                created_at=utcnow(),
                line_items=lines,
            )
        )
        uow.payments.record_change(payment, None, "created", None)
        return payment.id, self.service.session_request(payment)

    def resume(
        self, uow: UnitOfWork, resource_id: str
    ) -> SessionRequest | Done[CheckoutResult] | None:
        payment = uow.payments.get(resource_id)
        if payment is None:
            return None
        if payment.checkout_session_id is not None:  # the dead request got its session
            result = CheckoutResult.of(payment, payment.created_at + self.service.policy.expiry)
            return Done(result, result.record())
        if payment.status != PaymentStatus.PENDING:  # failed (or closed by reconcile)
            return None
        return self.service.session_request(payment)

    def call(self, pending: SessionRequest) -> SessionInfo:
        return self.service.gateway.create_session(pending)

    def failed(self, uow: UnitOfWork, pending: SessionRequest, error: GatewayError) -> None:
        payment = uow.payments.get(pending.payment_id, for_update=True)
        if payment is not None:
            payment.failure_reason = error.detail
            apply_event(uow, payment, PaymentEvent.GATEWAY_REJECTED)

    def complete(
        self, uow: UnitOfWork, pending: SessionRequest, outcome: SessionInfo
    ) -> Done[CheckoutResult]:
        payment = get_payment(uow, pending.payment_id, for_update=True)
        if payment.status != PaymentStatus.PENDING:
            # Reconcile gave the payment up while the call ran: its session goes to nobody
            # and expires unpaid.
            raise ConflictError(f"payment {payment.id} was closed meanwhile; start a new checkout")
        payment.checkout_session_id = outcome.id
        payment.checkout_url = outcome.url
        payment.expires_at = outcome.expires_at or pending.expires_at
        payment.updated_at = utcnow()
        result = CheckoutResult.of(payment, pending.expires_at)
        return Done(result, result.record())


def price(uow: UnitOfWork, request: CheckoutRequest) -> tuple[list[NewLineItem], Money]:
    """The payment's line items and total, from the catalogue or the custom amount."""
    if request.custom_amount is not None:
        amount = request.custom_amount
        if amount.amount < 1:
            raise InvalidFieldError("body.custom_amount.amount", "must be at least 1")
        name = request.description or "Payment"
        return [NewLineItem(0, None, name, 1, amount.amount)], amount
    items = request.line_items or []
    products = uow.products.get_many([i.product_id for i in items])
    lines: list[NewLineItem] = []
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
            NewLineItem(position, product.id, product.name, item.quantity, product.unit_amount)
        )
    if total is None:
        raise InvalidFieldError("body.line_items", "at least one line item is required")
    if total.amount < 1:
        raise InvalidFieldError("body.line_items", "the total must be at least 1 minor unit")
    if total.amount > MAX_MINOR_AMOUNT:
        raise InvalidFieldError("body.line_items", f"the total exceeds {MAX_MINOR_AMOUNT}")
    return lines, total
