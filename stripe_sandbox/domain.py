"""Stripe's behaviour for the resources the platform uses: validation, lifecycle, events."""

from __future__ import annotations

import copy
import fnmatch
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stripe_sandbox import objects
from stripe_sandbox.errors import StripeError, invalid, missing_param, not_found
from stripe_sandbox.forms import as_int, as_list, as_metadata, as_str
from stripe_sandbox.store import Store

OUTCOMES = ("paid", "async_succeeded", "async_failed", "async_pending")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_PREFIX_KIND = {"pi_": "payment_intent", "ch_": "charge", "re_": "refund", "cs_": "session"}


@dataclass(frozen=True)
class RequestContext:
    """What an event's `request` field records: the API call that caused it (None otherwise)."""

    request_id: str | None = None
    idempotency_key: str | None = None


NO_REQUEST = RequestContext()


class Sandbox:
    def __init__(
        self, store: Store, public_url: str, on_event: Callable[[dict[str, Any]], None]
    ) -> None:
        self.store = store
        self.public_url = public_url
        self.on_event = on_event

    # -- events ---------------------------------------------------------------
    def _emit(self, type_: str, obj: dict[str, Any], ctx: RequestContext) -> None:
        event = objects.event(
            type_=type_,
            obj=copy.deepcopy(obj),
            request_id=ctx.request_id,
            idempotency_key=ctx.idempotency_key,
        )
        self.store.put("event", event["id"], event)
        self.on_event(event)

    # -- checkout sessions ----------------------------------------------------
    def create_session(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        mode = params.get("mode")
        if mode is None:
            raise missing_param("mode")
        if mode != "payment":
            raise invalid(f"Invalid mode: {mode!r}; the sandbox supports 'payment'.", "mode")
        items_raw = as_list(params.get("line_items"), "line_items")
        if not items_raw:
            raise missing_param("line_items")
        currency = params.get("currency")
        if currency is not None:
            currency = self._currency(as_str(currency, "currency"), "currency")
        items: list[dict[str, Any]] = []
        for i, item in enumerate(items_raw):
            p = f"line_items[{i}]"
            if not isinstance(item, dict):
                raise invalid("Invalid object", p)
            if "price" in item:
                price = as_str(item["price"], f"{p}[price]")
                raise not_found("price", price, f"{p}[price]")
            pd = item.get("price_data")
            if not isinstance(pd, dict):
                raise missing_param(f"{p}[price_data]")
            if "unit_amount" not in pd:
                raise missing_param(f"{p}[price_data][unit_amount]")
            unit = as_int(pd["unit_amount"], f"{p}[price_data][unit_amount]", minimum=0)
            if "currency" not in pd and currency is None:
                raise missing_param(f"{p}[price_data][currency]")
            item_currency = self._currency(
                as_str(pd.get("currency", currency), f"{p}[price_data][currency]"),
                f"{p}[price_data][currency]",
            )
            if currency is not None and item_currency != currency:
                raise invalid(
                    "All line items must use the same currency.", f"{p}[price_data][currency]"
                )
            currency = item_currency
            product = pd.get("product_data")
            if not isinstance(product, dict) or "name" not in product:
                raise missing_param(f"{p}[price_data][product_data][name]")
            name = as_str(product["name"], f"{p}[price_data][product_data][name]")
            if not name.strip():
                raise invalid("Name cannot be empty.", f"{p}[price_data][product_data][name]")
            if "quantity" not in item:
                raise missing_param(f"{p}[quantity]")
            qty = as_int(item["quantity"], f"{p}[quantity]", minimum=1)
            items.append({"name": name, "unit_amount": unit, "quantity": qty})
        assert currency is not None
        total = sum(it["unit_amount"] * it["quantity"] for it in items)
        if total > 99_999_999:
            raise invalid("The total amount is too large.", "line_items", "amount_too_large")
        created = objects.now()
        expires_at = created + 24 * 3600
        if "expires_at" in params:
            expires_at = as_int(params["expires_at"], "expires_at")
            if not created < expires_at <= created + 24 * 3600:
                raise invalid(
                    "expires_at must be in the future and at most 24 hours from now.",
                    "expires_at",
                )
        success_url = self._url(params, "success_url")
        cancel_url = self._url(params, "cancel_url")
        email = params.get("customer_email")
        if email is not None:
            email = as_str(email, "customer_email")
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise invalid(f"Invalid email address: {email}", "customer_email", "email_invalid")
        ref = params.get("client_reference_id")
        if ref is not None:
            ref = as_str(ref, "client_reference_id")
            if len(ref) > 200:
                raise invalid("client_reference_id is too long.", "client_reference_id")
        metadata = as_metadata(params.get("metadata"))
        pid = params.get("payment_intent_data", {})
        if not isinstance(pid, dict):
            raise invalid("Invalid object", "payment_intent_data")
        pi_metadata = as_metadata(pid.get("metadata"), "payment_intent_data[metadata]")
        session_id = objects.new_id("cs_test_", 58)
        session = objects.checkout_session(
            session_id=session_id,
            url=f"{self.public_url}/checkout/{session_id}",
            amount_total=total,
            currency=currency,
            expires_at=expires_at,
            metadata=metadata,
            success_url=success_url,
            cancel_url=cancel_url,
            customer_email=email,
            client_reference_id=ref,
        )
        session["created"] = created
        with self.store.lock:
            self.store.put("line_items", session_id, {"items": items, "pi_metadata": pi_metadata})
            self.store.put("session", session_id, session)
        return session

    @staticmethod
    def _currency(value: str, param: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise invalid(f"Invalid currency: {value}", param)
        return value.lower()

    @staticmethod
    def _url(params: dict[str, Any], param: str) -> str | None:
        if param not in params:
            return None
        value = as_str(params[param], param)
        if not re.match(r"^https?://", value):
            raise invalid("Not a valid URL", param, "url_invalid")
        return value

    def line_items(self, session_id: str) -> list[dict[str, Any]]:
        data = self.store.get("line_items", session_id)
        return list(data["items"]) if data else []

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self.store.lock:
            session = self.store.get("session", session_id)
            if session is None:
                raise not_found("checkout.session", session_id)
            self._expire_if_due(session)
            return session

    def list_sessions(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        self.expire_due()
        sessions = self.store.all("session")
        pi = params.get("payment_intent")
        if pi is not None:
            sessions = [s for s in sessions if s["payment_intent"] == pi]
        for key in ("status", "customer_email", "client_reference_id"):
            if key in params:
                sessions = [s for s in sessions if s.get(key) == params[key]]
        return paginate(list(reversed(sessions)), params)

    def expire_session(self, session_id: str, ctx: RequestContext) -> dict[str, Any]:
        with self.store.lock:
            session = self.get_session(session_id)
            if session["status"] != "open":
                raise StripeError(
                    400,
                    f'Only Checkout Sessions with a status in ["open"] can be expired. '
                    f'This Checkout Session has a status of "{session["status"]}".',
                )
            self._expire(session, ctx)
            return session

    def _expire(self, session: dict[str, Any], ctx: RequestContext) -> None:
        session["status"] = "expired"
        self.store.put("session", session["id"], session)
        self._emit("checkout.session.expired", session, ctx)

    def _expire_if_due(self, session: dict[str, Any]) -> None:
        if session["status"] == "open" and session["expires_at"] <= objects.now():
            self._expire(session, NO_REQUEST)

    def expire_due(self) -> None:
        with self.store.lock:
            for session in self.store.all("session"):
                self._expire_if_due(session)

    def complete_session(
        self, session_id: str, outcome: str, ctx: RequestContext = NO_REQUEST
    ) -> dict[str, Any]:
        """Drive a session as a customer on the hosted page would (or finish an async one)."""
        if outcome not in OUTCOMES:
            raise invalid(f"outcome must be one of {', '.join(OUTCOMES)}", "outcome")
        with self.store.lock:
            session = self.get_session(session_id)
            if session["status"] == "complete":
                pi = self.store.get("payment_intent", session["payment_intent"] or "")
                if (
                    pi is None
                    or pi["status"] != "processing"
                    or outcome
                    not in (
                        "async_succeeded",
                        "async_failed",
                    )
                ):
                    raise StripeError(
                        400, "This Checkout Session is already complete.", code="session_complete"
                    )
                self._finish_async(session, pi, outcome == "async_succeeded", ctx)
                return session
            if session["status"] != "open":
                raise StripeError(
                    400, f"This Checkout Session is {session['status']}.", code="session_expired"
                )
            meta = self.store.get("line_items", session_id) or {}
            email = session["customer_email"] or "customer@example.com"
            pi = objects.payment_intent(
                amount=session["amount_total"],
                currency=session["currency"],
                metadata=dict(meta.get("pi_metadata", {})),
                receipt_email=session["customer_email"],
            )
            session["status"] = "complete"
            session["payment_intent"] = pi["id"]
            session["customer_details"] = objects.customer_details(email)
            if outcome == "paid":
                self._succeed(pi, email)
                session["payment_status"] = "paid"
                self.store.put("session", session_id, session)
                self._emit("checkout.session.completed", session, ctx)
                return session
            pi["status"] = "processing"
            pi["processing"] = None
            self.store.put("payment_intent", pi["id"], pi)
            self.store.put("session", session_id, session)
            self._emit("checkout.session.completed", session, ctx)
            if outcome != "async_pending":
                self._finish_async(session, pi, outcome == "async_succeeded", ctx)
            return session

    def _succeed(self, pi: dict[str, Any], email: str) -> None:
        ch = objects.charge(pi=pi, succeeded=True, email=email)
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        pi["latest_charge"] = ch["id"]
        self.store.put("charge", ch["id"], ch)
        self.store.put("payment_intent", pi["id"], pi)

    def _finish_async(
        self, session: dict[str, Any], pi: dict[str, Any], succeeded: bool, ctx: RequestContext
    ) -> None:
        email = (session["customer_details"] or {}).get("email") or "customer@example.com"
        if succeeded:
            self._succeed(pi, email)
            session["payment_status"] = "paid"
            self.store.put("session", session["id"], session)
            self._emit("checkout.session.async_payment_succeeded", session, ctx)
            return
        ch = objects.charge(pi=pi, succeeded=False, email=email)
        pi["status"] = "requires_payment_method"
        pi["latest_charge"] = ch["id"]
        pi["last_payment_error"] = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "charge": ch["id"],
        }
        self.store.put("charge", ch["id"], ch)
        self.store.put("payment_intent", pi["id"], pi)
        self.store.put("session", session["id"], session)
        self._emit("checkout.session.async_payment_failed", session, ctx)

    # -- payment intents, charges ---------------------------------------------
    def get_object(self, kind: str, obj_id: str, name: str) -> dict[str, Any]:
        obj = self.store.get(kind, obj_id)
        if obj is None:
            raise not_found(name, obj_id)
        return obj

    # -- refunds ---------------------------------------------------------------
    def create_refund(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        with self.store.lock:
            if "charge" in params:
                ch_id = as_str(params["charge"], "charge")
                ch = self.store.get("charge", ch_id)
                if ch is None:
                    raise not_found("charge", ch_id, "charge")
                pi = self.get_object("payment_intent", ch["payment_intent"], "payment_intent")
            elif "payment_intent" in params:
                pi_id = as_str(params["payment_intent"], "payment_intent")
                found = self.store.get("payment_intent", pi_id)
                if found is None:
                    raise not_found("payment_intent", pi_id, "payment_intent")
                pi = found
                if pi["status"] != "succeeded" or not pi["latest_charge"]:
                    raise invalid(
                        f"This PaymentIntent ({pi_id}) does not have a successful charge "
                        "to refund.",
                        "payment_intent",
                        "payment_intent_unexpected_state",
                    )
                ch = self.get_object("charge", pi["latest_charge"], "charge")
            else:
                raise missing_param("payment_intent")
            remaining = int(ch["amount_captured"]) - int(ch["amount_refunded"])
            if remaining <= 0:
                raise invalid(
                    f"Charge {ch['id']} has already been refunded.",
                    None,
                    "charge_already_refunded",
                )
            amount = remaining
            if "amount" in params:
                amount = as_int(params["amount"], "amount", minimum=1)
                if amount > remaining:
                    raise invalid(
                        f"Refund amount ({objects.format_amount(amount, ch['currency'])}) is "
                        "greater than unrefunded amount on charge "
                        f"({objects.format_amount(remaining, ch['currency'])})",
                        "amount",
                        "amount_too_large",
                    )
            reason = params.get("reason")
            if reason is not None and reason not in REFUND_REASONS:
                raise invalid(
                    f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", "reason"
                )
            metadata = as_metadata(params.get("metadata"))
            refund = objects.refund(ch=ch, amount=amount, metadata=metadata, reason=reason)
            ch["amount_refunded"] = int(ch["amount_refunded"]) + amount
            ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
            refunds = [r["id"] for r in self.store.all("refund") if r["charge"] == ch["id"]]
            ch["refunds"]["data"] = [self.store.get("refund", r) for r in reversed(refunds)]
            ch["refunds"]["data"].insert(0, refund)
            self.store.put("refund", refund["id"], refund)
            self.store.put("charge", ch["id"], ch)
            self._emit("charge.refunded", ch, ctx)
            self._emit("refund.created", refund, ctx)
            return refund

    def update_refund(
        self, refund_id: str, params: dict[str, Any], ctx: RequestContext
    ) -> dict[str, Any]:
        with self.store.lock:
            refund = self.get_object("refund", refund_id, "refund")
            unknown = set(params) - {"metadata", "expand"}
            if unknown:
                name = sorted(unknown)[0]
                raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")
            if "metadata" in params:
                merged = {**refund["metadata"], **as_metadata(params["metadata"])}
                raw = params["metadata"] if isinstance(params["metadata"], dict) else {}
                refund["metadata"] = {k: v for k, v in merged.items() if raw.get(k) != ""}
            self.store.put("refund", refund_id, refund)
            self._emit("refund.updated", refund, ctx)
            return refund

    def list_refunds(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """Newest first, optionally of one payment intent or charge (Stripe's filters)."""
        refunds = list(reversed(self.store.all("refund")))
        for key in ("payment_intent", "charge"):
            if key in params:
                wanted = as_str(params[key], key)
                refunds = [r for r in refunds if r.get(key) == wanted]
        return paginate(refunds, params)

    # -- events ----------------------------------------------------------------
    def list_events(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        events = list(reversed(self.store.all("event")))
        if "type" in params:
            pattern = as_str(params["type"], "type")
            events = [e for e in events if fnmatch.fnmatchcase(e["type"], pattern)]
        if "types" in params:
            types = as_list(params["types"], "types")
            events = [e for e in events if e["type"] in types]
        created = params.get("created")
        if isinstance(created, dict):
            for op, test in (
                ("gte", operator.ge),
                ("gt", operator.gt),
                ("lte", operator.le),
                ("lt", operator.lt),
            ):
                if op in created:
                    bound = as_int(created[op], f"created[{op}]")
                    events = [e for e in events if test(e["created"], bound)]
        elif created is not None:
            exact = as_int(created, "created")
            events = [e for e in events if e["created"] == exact]
        return paginate(events, params)

    # -- expansion ---------------------------------------------------------------
    def expand(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """Stripe's `expand[]`: replace ids with the objects they name (dotted paths)."""
        out = copy.deepcopy(obj)
        for path in paths:
            self._expand_path(out, path.split("."), path)
        return out

    def _expand_path(self, node: Any, parts: list[str], path: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head not in node:
            raise invalid(
                f"This property cannot be expanded ({path}).", "expand", "parameter_invalid"
            )
        value = node[head]
        if isinstance(value, str):
            kind = next((k for p, k in _PREFIX_KIND.items() if value.startswith(p)), None)
            found = self.store.get(kind, value) if kind else None
            if found is not None:
                node[head] = value = copy.deepcopy(found)
        if head == "data" and isinstance(value, list):
            for item in value:
                self._expand_path(item, rest, path)
            return
        self._expand_path(value, rest, path)


def paginate(
    items: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first; `starting_after` / `ending_before` are object ids; `limit` 1..100."""
    limit = 10
    if "limit" in params:
        limit = as_int(params["limit"], "limit", minimum=1)
        if limit > 100:
            raise invalid("This value must be less than or equal to 100.", "limit")
    if "starting_after" in params:
        cursor = as_str(params["starting_after"], "starting_after")
        ids = [i["id"] for i in items]
        if cursor not in ids:
            raise not_found("object", cursor, "starting_after")
        items = items[ids.index(cursor) + 1 :]
    elif "ending_before" in params:
        cursor = as_str(params["ending_before"], "ending_before")
        ids = [i["id"] for i in items]
        if cursor not in ids:
            raise not_found("object", cursor, "ending_before")
        items = items[: ids.index(cursor)][-limit:]
    return items[:limit], len(items) > limit
