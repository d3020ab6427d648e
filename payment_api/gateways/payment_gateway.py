"""The Stripe adapter of the payment gateway port (payment_api/domain/ports.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import stripe
from stripe import RequestOptions
from stripe.params import RefundListParams
from stripe.params.checkout import SessionCreateParams

from payment_api.domain.ports import GatewayError, RefundInfo, SessionInfo, SessionRequest
from payment_api.gateways.stripe_translation import refund_info, session_info
from payment_api.observability import record_dependency_failure
from service_kit.logs import current_request_id, get_logger

T = TypeVar("T")
log = get_logger("payment_api.gateway")


class StripeGateway:
    """Real `stripe` SDK; `api_base` points it at the sandbox, None means api.stripe.com."""

    def __init__(
        self, api_key: str, *, api_base: str | None, max_retries: int, timeout: float
    ) -> None:
        http_client = stripe.RequestsClient(timeout=timeout)
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=max_retries,
            http_client=http_client,
        )

    def create_session(self, request: SessionRequest) -> SessionInfo:
        params: SessionCreateParams = {
            "mode": "payment",
            "client_reference_id": request.payment_id,
            "metadata": {"payment_id": request.payment_id},
            "payment_intent_data": {"metadata": {"payment_id": request.payment_id}},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
            "line_items": [
                {
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": line.unit_amount,
                        "product_data": {"name": line.name},
                    },
                }
                for line in request.lines
            ],
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        session = self._call(
            "checkout.sessions.create",
            lambda: self.client.v1.checkout.sessions.create(
                params=params, options=_options(request.idempotency_key)
            ),
        )
        return session_info(session.to_dict())

    def get_session(self, session_id: str) -> SessionInfo:
        session = self._call(
            "checkout.sessions.retrieve",
            lambda: self.client.v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["payment_intent"]}, options=_options()
            ),
        )
        return session_info(session.to_dict())

    def expire_session(self, session_id: str, *, idempotency_key: str) -> SessionInfo:
        """Close an open session (Stripe: only `open` ones; anything else is `rejected`)."""
        session = self._call(
            "checkout.sessions.expire",
            lambda: self.client.v1.checkout.sessions.expire(
                session_id, options=_options(idempotency_key)
            ),
        )
        return session_info(session.to_dict())

    def create_refund(
        self, *, payment_intent_id: str, amount: int, refund_id: str, idempotency_key: str
    ) -> RefundInfo:
        refund = self._call(
            "refunds.create",
            lambda: self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": amount,
                    "metadata": {"refund_id": refund_id},
                },
                options=_options(idempotency_key),
            ),
        )
        return refund_info(refund.to_dict())

    def get_refund(self, gateway_refund_id: str) -> RefundInfo:
        refund = self._call(
            "refunds.retrieve",
            lambda: self.client.v1.refunds.retrieve(gateway_refund_id, options=_options()),
        )
        return refund_info(refund.to_dict())

    def find_refund(self, *, payment_intent_id: str, refund_id: str) -> RefundInfo | None:
        """The gateway's refund made for our refund `refund_id` (its metadata says so), or
        None: how to learn whether a call whose answer was lost made the refund."""
        params: RefundListParams = {"payment_intent": payment_intent_id, "limit": 100}
        while True:
            page = self._call(
                "refunds.list",
                lambda: self.client.v1.refunds.list(params=params, options=_options()),
            )
            for refund in page.data:
                if (refund.to_dict().get("metadata") or {}).get("refund_id") == refund_id:
                    return refund_info(refund.to_dict())
            if not page.has_more or not page.data:
                return None
            params["starting_after"] = page.data[-1].id

    def ping(self) -> None:
        self._call(
            "events.list",
            lambda: self.client.v1.events.list(params={"limit": 1}, options=_options()),
        )

    @staticmethod
    def _call(operation: str, fn: Callable[[], T]) -> T:
        """Run one SDK call; log Stripe's Request-Id next to ours (the request log's
        request_id), count and translate failures."""
        try:
            result = fn()
        except stripe.StripeError as exc:
            kind = type(exc).__name__
            record_dependency_failure("payment_gateway", kind)
            log.warning(
                "gateway call failed",
                operation=operation,
                error=kind,
                http_status=exc.http_status,
                stripe_request_id=exc.request_id,
            )
            raise StripeGateway._translate(exc) from exc
        last = getattr(result, "last_response", None)
        # readiness pings (events.list) come every few seconds: debug only
        (log.debug if operation == "events.list" else log.info)(
            "gateway call",
            operation=operation,
            stripe_request_id=getattr(last, "request_id", None),
        )
        return result

    @staticmethod
    def _translate(exc: stripe.StripeError) -> GatewayError:
        if isinstance(exc, stripe.IdempotencyError):
            return GatewayError("conflict", f"payment gateway: {exc.user_message or exc}")
        if isinstance(exc, stripe.InvalidRequestError):
            return GatewayError("rejected", f"payment gateway refused: {exc.user_message or exc}")
        if isinstance(exc, stripe.APIConnectionError):
            if "timed out" in str(exc).lower() or "timeout" in str(exc).lower():
                return GatewayError("timeout", "payment gateway timed out")
            return GatewayError("unavailable", "payment gateway unreachable")
        if isinstance(exc, stripe.RateLimitError):
            return GatewayError("unavailable", "payment gateway rate limit")
        return GatewayError("bad_gateway", f"payment gateway error: {exc.user_message or exc}")


def _options(idempotency_key: str | None = None) -> RequestOptions:
    """Per-call options: our request id travels to the gateway as X-Request-Id (Stripe
    ignores unknown headers; the sandbox and any proxy in between can log it)."""
    options: RequestOptions = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    request_id = current_request_id()
    if request_id:
        options["headers"] = {"X-Request-Id": request_id}
    return options
