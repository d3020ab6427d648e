"""The outbox adapter: `Outbox.emit` writes one `pay_events` row, and a `pay_deliveries` row
per subscribed endpoint, in the caller's session."""

from __future__ import annotations

from sqlalchemy.orm import Session

from payment_api import views
from payment_api.db.deliveries import EndpointRepository, new_delivery
from payment_api.db.models import OutboundEvent, Payment, Refund
from payment_api.domain import model
from payment_api.domain.events import EventType
from payment_api.event_payloads import envelope_json, new_event_id


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def emit(self, event_type: EventType, subject: model.Payment | model.Refund) -> None:
        """`subject` is a row of this session (the domain's records are the ORM rows)."""
        created = model.utcnow()
        if isinstance(subject, Payment):
            # The history with the change being recorded (record_change appends to it).
            data = views.payment_view(subject, subject.line_items, subject.history)
        else:
            assert isinstance(subject, Refund)
            data = views.refund_view(subject)
        event_id = new_event_id()
        payload = envelope_json(event_id, event_type.value, created, event_type.object_type, data)
        self.session.add(
            OutboundEvent(
                id=event_id,
                type=event_type.value,
                object_type=event_type.object_type,
                object_id=subject.id,
                payload=payload,
                created_at=created,
            )
        )
        for endpoint_id in EndpointRepository(self.session).subscribers(event_type.value):
            self.session.add(new_delivery(endpoint_id, event_id, created))

    def exists(self, event_id: str) -> bool:
        return self.session.get(OutboundEvent, event_id) is not None
