"""The read side: every read of the API, straight from SQL into the shapes of the responses.

Reads need no identity map, change tracking or domain rules, so they skip the ORM and the
repositories (the "views" of Percival & Gregory, chapter 12): Core SELECTs on one connection.
Whose rows a caller may see (`owner`: a customer's own payments) is a WHERE clause, here and
nowhere else. The `*_view` functions shape each response, for these reads and for the records
the commands return alike; the routes' response models validate the dicts once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, bindparam, select, tuple_

from payment_api.db.models import (
    AuditEventRow,
    Delivery,
    DeliveryAttempt,
    OutboundEvent,
    Payment,
    PaymentLineItem,
    Product,
    Refund,
    StatusChange,
    WebhookEndpoint,
    WebhookEvent,
)
from payment_api.domain import model
from payment_api.domain.checkout import CheckoutResult
from payment_api.domain.pagination import (
    CURSOR_PATTERN,
    GATEWAY_CURSOR_PATTERN,
    decode_cursor,
    encode_cursor,
)
from payment_api.domain.webhooks import Receipt

View = dict[str, Any]

P = Payment.__table__.c
LI = PaymentLineItem.__table__.c
SC = StatusChange.__table__.c
R = Refund.__table__.c
PR = Product.__table__.c
EV = OutboundEvent.__table__.c
IN = WebhookEvent.__table__.c
WE = WebhookEndpoint.__table__.c
DL = Delivery.__table__.c
DA = DeliveryAttempt.__table__.c
AU = AuditEventRow.__table__.c
_ENDPOINT_COLUMNS = [c for c in WebhookEndpoint.__table__.c if not c.name.endswith("secret")]
_DELIVERY_COLUMNS = [
    DL.id, DL.endpoint_id, DL.event_id, EV.type.label("event_type"), DL.state, DL.attempts,
    DL.next_attempt_at, DL.last_attempt_at, DL.last_status_code, DL.last_error,
    DL.delivered_at, DL.created_at,
]  # fmt: skip
_DELIVERIES = select(*_DELIVERY_COLUMNS).select_from(
    Delivery.__table__.join(OutboundEvent.__table__, EV.id == DL.event_id)
)
_INBOX_COLUMNS = [
    IN.id,
    IN.type,
    IN.state,
    IN.outcome,
    IN.error,
    IN.attempts,
    IN.received_at,
    IN.processed_at,
]  # fmt: skip (not the payload: it can be large, and the record does not show it)
_PAYMENT_COLUMNS = [
    P.id, P.status, P.amount, P.currency, P.refunded_amount, P.user_id, P.customer_email,
    P.description, P.checkout_session_id, P.payment_intent_id, P.checkout_url,
    P.failure_reason, P.expires_at, P.created_at, P.updated_at,
]  # fmt: skip
_ITEM_COLUMNS = [LI.id, LI.product_id, LI.name, LI.quantity, LI.unit_amount]
_CHANGE_COLUMNS = [SC.id, SC.from_status, SC.to_status, SC.reason, SC.event_id, SC.at]
_REFUND_COLUMNS = [
    R.id, R.payment_id, R.amount, R.currency, R.status, R.reason, R.gateway_refund_id,
    R.created_at, R.updated_at,
]  # fmt: skip

# One payment in one round trip: the payment LEFT JOIN both collections (max(1, items) x
# max(1, changes) rows). Built once with bound parameters: the same statement object keeps its
# cache key and compiled form instead of recomputing them on every request.
_ONE_PAYMENT = (
    select(
        *_PAYMENT_COLUMNS,
        *(c.label(f"li_{c.name}") for c in _ITEM_COLUMNS),
        *(c.label(f"sc_{c.name}") for c in _CHANGE_COLUMNS),
    )
    .select_from(
        Payment.__table__.outerjoin(PaymentLineItem.__table__, LI.payment_id == P.id).outerjoin(
            StatusChange.__table__, SC.payment_id == P.id
        )
    )
    .where(P.id == bindparam("payment_id"))
    .order_by(LI.position, SC.id)
)
_ONE_OWNED_PAYMENT = _ONE_PAYMENT.where(P.user_id == bindparam("owner"))

# What the shopper's landing pages (/checkout/success, /checkout/cancel) may show to whoever
# holds the session id: no user, email, items or history.
_BY_SESSION = select(P.status, P.amount, P.currency, P.description, P.failure_reason).where(
    P.checkout_session_id == bindparam("session_id")
)


# --- the shapes of the responses -------------------------------------------------------------


def money_view(amount: int, currency: str) -> View:
    return {"amount": amount, "currency": currency}


def page_view(data: list[View], next_cursor: str | None) -> View:
    return {"data": data, "next_cursor": next_cursor}


def audit_event_view(r: Any) -> View:
    return {
        "id": r.id,
        "at": r.at,
        "action": r.action,
        "actor": {
            "type": r.actor_type,
            "user_id": r.actor_id if r.actor_type == "user" else None,
            "client_id": r.actor_id if r.actor_type == "api_client" else None,
            "address": r.address,
            "request_id": r.request_id,
        },
        "target_id": r.target_id,
        "details": dict(r.details),
    }


def payment_view(p: model.Payment, items: Iterable[Any], history: Iterable[Any]) -> View:
    """`Payment` from a payment (record or row) and its children (objects with the columns
    as attributes)."""
    currency = p.currency
    return {
        "id": p.id,
        "status": p.status,
        "amount": money_view(p.amount, currency),
        "refunded_amount": money_view(p.refunded_amount, currency),
        "line_items": [
            {
                "product_id": li.product_id,
                "name": li.name,
                "quantity": li.quantity,
                "unit_amount": money_view(li.unit_amount, currency),
            }
            for li in items
        ],
        "user_id": p.user_id,
        "customer_email": p.customer_email,
        "description": p.description,
        "gateway": {
            "checkout_session_id": p.checkout_session_id,
            "payment_intent_id": p.payment_intent_id,
            "checkout_url": p.checkout_url,
        },
        "failure_reason": p.failure_reason,
        "expires_at": p.expires_at,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "status_history": [
            {
                "from_status": h.from_status,
                "to_status": h.to_status,
                "reason": h.reason,
                "event_id": h.event_id,
                "at": h.at,
            }
            for h in history
        ],
    }


def refund_view(r: model.Refund) -> View:
    return {
        "id": r.id,
        "payment_id": r.payment_id,
        "amount": money_view(r.amount, r.currency),
        "status": r.status,
        "reason": r.reason,
        "gateway_refund_id": r.gateway_refund_id,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def product_view(p: model.Product) -> View:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "price": money_view(p.unit_amount, p.currency),
        "active": p.active,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def inbox_event_view(e: model.InboxEvent) -> View:
    return {
        "id": e.id,
        "type": e.type,
        "state": e.state,
        "outcome": e.outcome,
        "error": e.error,
        "attempts": e.attempts,
        "received_at": e.received_at,
        "processed_at": e.processed_at,
    }


def endpoint_view(e: Any, *, secret: str | None = None) -> View:
    """An endpoint; `secret` only in the answers that just made it (create, rotate)."""
    shaped = {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "event_types": e.event_types,
        "status": e.status,
        "disabled_reason": e.disabled_reason,
        "failing_since": e.failing_since,
        "previous_secret_expires_at": e.previous_secret_expires_at,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }
    if secret is not None:
        shaped["secret"] = secret
    return shaped


def delivery_view(d: Any) -> View:
    return {
        "id": d.id,
        "endpoint_id": d.endpoint_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_attempt_at": d.last_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "delivered_at": d.delivered_at,
        "created_at": d.created_at,
    }


def attempt_view(a: Any) -> View:
    return {
        "id": a.id,
        "delivery_id": a.delivery_id,
        "event_id": a.event_id,
        "number": a.number,
        "attempted_at": a.attempted_at,
        "outcome": a.outcome,
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "error": a.error,
        "response_excerpt": a.response_excerpt,
    }


def webhook_ack_view(receipt: Receipt) -> View:
    return {
        "event_id": receipt.event_id,
        "type": receipt.type,
        "duplicate": receipt.duplicate,
        "state": receipt.state,
    }


def event_view(payload: str) -> View:
    """An emitted event: its stored envelope, byte for byte what receivers got."""
    parsed: View = json.loads(payload)
    return parsed


def checkout_session_view(result: CheckoutResult) -> View:
    return {
        "payment_id": result.payment_id,
        "session_id": result.session_id,
        "url": result.url,
        "expires_at": result.expires_at,
        "status": result.status,
        "amount": money_view(result.amount, result.currency),
    }


class _Child:
    """A line item or status change picked out of a joined row by its label prefix."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Any, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


def _newest_first(
    query: Select[Any],
    created: ColumnElement[datetime],
    row_id: ColumnElement[str],
    cursor: str | None,
    pattern: str = CURSOR_PATTERN,
) -> Select[Any]:
    """A keyset page, newest first, after the position `cursor` names."""
    after = decode_cursor(cursor, pattern)
    if after is not None:
        at, last_id = after
        # A row value, not `a < x OR (a = x AND b < y)`: both databases then seek the
        # (created_at, id) index to the cursor; with the OR, SQLite scanned it from the newest
        # row, and the last pages of 1,000,000 payments cost 50x the first (bench/RESULTS.md).
        # The plain tuple takes the columns' types (UTCDateTime), as a comparison would.
        query = query.where(tuple_(created, row_id) < (at, last_id))
    return query.order_by(created.desc(), row_id.desc())


def _next_cursor(rows: Sequence[Any], limit: int, created: str = "created_at") -> str | None:
    """The cursor after the page when one more row than `limit` was read."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor(getattr(last, created), last.id)


class ReadModel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def payment(self, payment_id: str, *, owner: str | None = None) -> View | None:
        """One payment with its line items and status history; None when there is none, or
        when `owner` is given and it is someone else's (the same 404)."""
        with self.engine.connect() as conn:
            if owner is None:
                rows = conn.execute(_ONE_PAYMENT, {"payment_id": payment_id}).all()
            else:
                params = {"payment_id": payment_id, "owner": owner}
                rows = conn.execute(_ONE_OWNED_PAYMENT, params).all()
        if not rows:
            return None
        items: dict[int, _Child] = {}
        changes: dict[int, _Child] = {}
        for row in rows:  # the cross product repeats each child: keep the first, in order
            if row.li_id is not None and row.li_id not in items:
                items[row.li_id] = _Child(row, "li_")
            if row.sc_id is not None and row.sc_id not in changes:
                changes[row.sc_id] = _Child(row, "sc_")
        return payment_view(rows[0], items.values(), changes.values())

    def payments(
        self,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        user_id: str | None = None,
        owner: str | None = None,
        created_gte: datetime | None = None,
        created_lt: datetime | None = None,
        checkout_session_id: str | None = None,
    ) -> View:
        """A page of payments, newest first (three round trips: payments, items, history)."""
        query = select(*_PAYMENT_COLUMNS)
        filters = (
            (P.status, status),
            (P.user_id, user_id),
            (P.user_id, owner),
            (P.checkout_session_id, checkout_session_id),
        )
        for column, value in filters:
            if value is not None:
                query = query.where(column == value)
        if created_gte is not None:
            query = query.where(P.created_at >= created_gte)
        if created_lt is not None:
            query = query.where(P.created_at < created_lt)
        query = _newest_first(query, P.created_at, P.id, cursor).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            page = rows[:limit]
            items: dict[str, list[Any]] = {r.id: [] for r in page}
            changes: dict[str, list[Any]] = {r.id: [] for r in page}
            if page:
                ids = list(items)
                for li in conn.execute(
                    select(LI.payment_id, *_ITEM_COLUMNS)
                    .where(LI.payment_id.in_(ids))
                    .order_by(LI.payment_id, LI.position)
                ):
                    items[li.payment_id].append(li)
                for sc in conn.execute(
                    select(SC.payment_id, *_CHANGE_COLUMNS)
                    .where(SC.payment_id.in_(ids))
                    .order_by(SC.payment_id, SC.id)
                ):
                    changes[sc.payment_id].append(sc)
        data = [payment_view(r, items[r.id], changes[r.id]) for r in page]
        return page_view(data, _next_cursor(rows, limit))

    def refunds(
        self, payment_id: str, *, owner: str | None, limit: int, cursor: str | None
    ) -> View | None:
        """A page of a payment's refunds, oldest first; None when the payment is not there
        (or not `owner`'s)."""
        payment = select(P.id).where(P.id == payment_id)
        if owner is not None:
            payment = payment.where(P.user_id == owner)
        query = select(*_REFUND_COLUMNS).where(R.payment_id == payment_id)
        after = decode_cursor(cursor)
        if after is not None:
            at, last_id = after
            query = query.where(tuple_(R.created_at, R.id) > (at, last_id))
        query = query.order_by(R.created_at, R.id).limit(limit + 1)
        with self.engine.connect() as conn:
            if conn.execute(payment).first() is None:
                return None
            rows = conn.execute(query).all()
        return page_view([refund_view(r) for r in rows[:limit]], _next_cursor(rows, limit))

    def product(self, product_id: str, *, active_only: bool = False) -> View | None:
        query = select(Product.__table__).where(PR.id == product_id)
        if active_only:
            query = query.where(PR.active.is_(True))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return product_view(row) if row is not None else None

    def products(self, *, limit: int, cursor: str | None, active: bool | None) -> View:
        """A page of products, newest first."""
        query = select(Product.__table__)
        if active is not None:
            query = query.where(PR.active.is_(active))
        query = _newest_first(query, PR.created_at, PR.id, cursor).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return page_view([product_view(r) for r in rows[:limit]], _next_cursor(rows, limit))

    def events(
        self,
        *,
        limit: int,
        cursor: str | None,
        event_type: str | None = None,
        object_id: str | None = None,
    ) -> View:
        """A page of emitted events, newest first."""
        query = select(EV.id, EV.created_at, EV.payload)
        if event_type is not None:
            query = query.where(EV.type == event_type)
        if object_id is not None:
            query = query.where(EV.object_id == object_id)
        query = _newest_first(query, EV.created_at, EV.id, cursor).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return page_view([event_view(r.payload) for r in rows[:limit]], _next_cursor(rows, limit))

    def audit_events(
        self,
        *,
        limit: int,
        cursor: str | None,
        action: str | None = None,
        actor_id: str | None = None,
        target_id: str | None = None,
    ) -> View:
        """A page of the audit trail, newest first."""
        query = select(AU.id, AU.at, AU.action, AU.actor_id, AU.actor_type, AU.address,
                       AU.request_id, AU.target_id, AU.details)  # fmt: skip
        for column, value in ((AU.action, action), (AU.actor_id, actor_id),
                              (AU.target_id, target_id)):  # fmt: skip
            if value is not None:
                query = query.where(column == value)
        query = _newest_first(query, AU.at, AU.id, cursor).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        data = [audit_event_view(r) for r in rows[:limit]]
        return page_view(data, _next_cursor(rows, limit, created="at"))

    def inbox_events(
        self,
        *,
        limit: int,
        cursor: str | None,
        state: str | None = None,
        event_type: str | None = None,
    ) -> View:
        """A page of the stored gateway (Stripe) events, newest first."""
        query = select(*_INBOX_COLUMNS)
        if state is not None:
            query = query.where(IN.state == state)
        if event_type is not None:
            query = query.where(IN.type == event_type)
        query = _newest_first(query, IN.received_at, IN.id, cursor, GATEWAY_CURSOR_PATTERN)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit + 1)).all()
        data = [inbox_event_view(r) for r in rows[:limit]]
        return page_view(data, _next_cursor(rows, limit, created="received_at"))

    def inbox_event(self, event_id: str) -> View | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_INBOX_COLUMNS).where(IN.id == event_id)).first()
        return inbox_event_view(row) if row is not None else None

    def event(self, event_id: str) -> View | None:
        with self.engine.connect() as conn:
            payload = conn.execute(select(EV.payload).where(EV.id == event_id)).scalar()
        return event_view(payload) if payload is not None else None

    def endpoints(self, *, limit: int, cursor: str | None, status: str | None) -> View:
        """A page of webhook endpoints, newest first (never their secrets)."""
        query = select(*_ENDPOINT_COLUMNS)
        if status is not None:
            query = query.where(WE.status == status)
        query = _newest_first(query, WE.created_at, WE.id, cursor).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return page_view([endpoint_view(r) for r in rows[:limit]], _next_cursor(rows, limit))

    def endpoint(self, endpoint_id: str) -> View | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_ENDPOINT_COLUMNS).where(WE.id == endpoint_id)).first()
        return endpoint_view(row) if row is not None else None

    def delivery(self, delivery_id: str) -> View | None:
        with self.engine.connect() as conn:
            row = conn.execute(_DELIVERIES.where(DL.id == delivery_id)).first()
        return delivery_view(row) if row is not None else None

    def deliveries(
        self,
        endpoint_id: str,
        *,
        limit: int,
        cursor: str | None,
        state: str | None = None,
        event_id: str | None = None,
    ) -> View | None:
        """A page of an endpoint's deliveries, newest first; None when there is no endpoint."""
        query = _DELIVERIES.where(DL.endpoint_id == endpoint_id)
        if state is not None:
            query = query.where(DL.state == state)
        if event_id is not None:
            query = query.where(DL.event_id == event_id)
        query = _newest_first(query, DL.created_at, DL.id, cursor).limit(limit + 1)
        rows = self._of_endpoint(endpoint_id, query)
        if rows is None:
            return None
        return page_view([delivery_view(r) for r in rows[:limit]], _next_cursor(rows, limit))

    def attempts(
        self, endpoint_id: str, *, limit: int, cursor: str | None, event_id: str | None = None
    ) -> View | None:
        """A page of an endpoint's delivery attempts, newest first; None: no endpoint."""
        query = select(DeliveryAttempt.__table__).where(DA.endpoint_id == endpoint_id)
        if event_id is not None:
            query = query.where(DA.event_id == event_id)
        query = _newest_first(query, DA.attempted_at, DA.id, cursor).limit(limit + 1)
        rows = self._of_endpoint(endpoint_id, query)
        if rows is None:
            return None
        data = [attempt_view(r) for r in rows[:limit]]
        return page_view(data, _next_cursor(rows, limit, created="attempted_at"))

    def _of_endpoint(self, endpoint_id: str, query: Select[Any]) -> Sequence[Any] | None:
        """The rows of an endpoint's `query`, or None when there is no such endpoint."""
        with self.engine.connect() as conn:
            if conn.execute(select(WE.id).where(WE.id == endpoint_id)).first() is None:
                return None
            return conn.execute(query).all()

    def checkout_outcome(self, session_id: str) -> View | None:
        """The status, amount, currency, description and failure reason of the payment of a
        gateway checkout session, or None for a session id we do not know."""
        with self.engine.connect() as conn:
            row = conn.execute(_BY_SESSION, {"session_id": session_id}).first()
        return dict(row._mapping) if row is not None else None
