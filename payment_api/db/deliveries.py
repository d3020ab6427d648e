"""Repositories of outbound delivery: webhook endpoints, and the deliveries queue with leases
(a claim is `service_kit.leasing.lease`, the statement every job queue's claim uses)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from payment_api.db.models import Delivery, DeliveryAttempt, OutboundEvent, WebhookEndpoint
from payment_api.db.repositories import _flush_new
from payment_api.domain import model
from payment_api.domain.endpoints import signing_secrets
from payment_api.domain.ports import DueDelivery
from payment_api.domain.states import DeliveryState, EndpointStatus
from service_kit.leasing import lease


class EndpointRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, endpoint: model.NewWebhookEndpoint) -> WebhookEndpoint:
        row = WebhookEndpoint(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=endpoint.event_types,
            status=endpoint.status,
            secret=endpoint.secret,
            created_at=endpoint.created_at,
            updated_at=endpoint.created_at,
        )
        _flush_new(self.session, row)
        return row

    def get(self, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint | None:
        return self.session.get(WebhookEndpoint, endpoint_id, with_for_update=for_update)

    def change_url(self, endpoint: model.WebhookEndpoint, url: str) -> None:
        endpoint.url = url
        _flush_new(self.session, endpoint)  # the unique URL clashes here, not at commit

    def delete(self, endpoint: model.WebhookEndpoint) -> None:
        # Explicitly, children first: SQLite enforces ON DELETE CASCADE only with a pragma.
        self.session.execute(
            delete(DeliveryAttempt).where(DeliveryAttempt.endpoint_id == endpoint.id)
        )
        self.session.execute(delete(Delivery).where(Delivery.endpoint_id == endpoint.id))
        self.session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))

    def subscribers(self, event_type: str) -> list[str]:
        """Ids of the enabled endpoints that take `event_type`."""
        rows = self.session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
                WebhookEndpoint.status == EndpointStatus.ENABLED
            )
        ).all()
        return [r.id for r in rows if "*" in r.event_types or event_type in r.event_types]


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, delivery_id: str, *, for_update: bool = False) -> Delivery | None:
        return self.session.get(Delivery, delivery_id, with_for_update=for_update)

    def of(self, endpoint_id: str, event_id: str, *, for_update: bool = False) -> Delivery | None:
        query = select(Delivery).where(
            Delivery.endpoint_id == endpoint_id, Delivery.event_id == event_id
        )
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def add_for(self, endpoint_id: str, event_id: str, at: datetime) -> Delivery:
        row = new_delivery(endpoint_id, event_id, at)
        _flush_new(self.session, row)
        return row

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueDelivery]:
        due = (
            select(Delivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .where(
                Delivery.state == DeliveryState.PENDING,
                Delivery.next_attempt_at <= now,
                (Delivery.lease_until.is_(None)) | (Delivery.lease_until < now),
                WebhookEndpoint.status == EndpointStatus.ENABLED,
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
        claimed = lease(self.session, Delivery, due, lease_until)
        if not claimed:
            return []
        rows = self.session.execute(
            select(Delivery, WebhookEndpoint, OutboundEvent.payload)
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .join(OutboundEvent, OutboundEvent.id == Delivery.event_id)
            .where(Delivery.id.in_(claimed))
            .order_by(Delivery.next_attempt_at)
        ).all()
        return [
            DueDelivery(
                id=d.id,
                event_id=d.event_id,
                endpoint_id=d.endpoint_id,
                url=e.url,
                payload=payload,
                secrets=signing_secrets(e),
                attempts=d.attempts,
            )
            for d, e, payload in rows
        ]

    def release(self, delivery_ids: Sequence[str]) -> None:
        self.session.execute(
            update(Delivery).where(Delivery.id.in_(delivery_ids)).values(lease_until=None)
        )

    def record_attempt(self, attempt: model.NewDeliveryAttempt) -> None:
        self.session.add(
            DeliveryAttempt(
                delivery_id=attempt.delivery_id,
                endpoint_id=attempt.endpoint_id,
                event_id=attempt.event_id,
                number=attempt.number,
                attempted_at=attempt.attempted_at,
                outcome=attempt.outcome,
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
                response_excerpt=attempt.response_excerpt,
            )
        )

    def pending_count(self) -> int:
        return (
            self.session.scalar(select(func.count()).where(Delivery.state == DeliveryState.PENDING))
            or 0
        )

    def oldest_due(self, now: datetime) -> datetime | None:
        return self.session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now
            )
        )


def new_delivery(endpoint_id: str, event_id: str, at: datetime) -> Delivery:
    return Delivery(
        event_id=event_id,
        endpoint_id=endpoint_id,
        state=DeliveryState.PENDING,
        attempts=0,
        window_started_at=at,
        next_attempt_at=at,
        created_at=at,
    )
