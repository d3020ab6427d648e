"""Webhook endpoints: the URLs merchants register to hear about events, and their secrets.

A URL is checked against the delivery policy when it is registered or changed (and the worker
checks the address it resolves to again at every attempt). The signing secret is shown once,
when it is made; a rotation keeps the old one signing too for a stated overlap, so receivers
can switch without losing an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from payment_api.domain.audit import Actor, AuditAction, changed_fields, record
from payment_api.domain.errors import (
    ConflictError,
    DuplicateError,
    InvalidFieldError,
    NotFoundError,
)
from payment_api.domain.events import EventType
from payment_api.domain.model import (
    Delivery,
    NewWebhookEndpoint,
    WebhookEndpoint,
    new_id,
    utcnow,
)
from payment_api.domain.ports import UnitOfWork, UnitOfWorkFactory, WebhookTransport
from payment_api.domain.products import KEEP, Keep
from payment_api.domain.states import DeliveryState, EndpointStatus

ALL_TYPES = "*"
MAX_OVERLAP = timedelta(days=7)


@dataclass(frozen=True)
class EndpointDraft:
    url: str
    event_types: list[str]
    description: str | None = None


@dataclass(frozen=True)
class EndpointChanges:
    """A partial update; None means unchanged (url, event_types and enabled are required)."""

    url: str | None = None
    event_types: list[str] | None = None
    description: str | Literal[Keep.KEEP] | None = KEEP
    enabled: bool | None = None


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return ALL_TYPES in endpoint.event_types or event_type in endpoint.event_types


def signing_secrets(endpoint: WebhookEndpoint) -> tuple[str, ...]:
    """The current secret, and the one it replaced while its overlap lasts."""
    previous = endpoint.previous_secret
    expires = endpoint.previous_secret_expires_at
    if previous and expires is not None and expires > utcnow():
        return (endpoint.secret, previous)
    return (endpoint.secret,)


def _event_types(types: list[str]) -> list[str]:
    """Each type once, in the order given; "*" stands alone."""
    known = {t.value for t in EventType} | {ALL_TYPES}
    for t in types:
        if t not in known:
            raise InvalidFieldError("body.event_types", f"unknown event type {t!r}")
    if ALL_TYPES in types:
        return [ALL_TYPES]
    return list(dict.fromkeys(types))


class EndpointService:
    def __init__(self, uow: UnitOfWorkFactory, transport: WebhookTransport) -> None:
        self.uow = uow
        self.transport = transport

    def _checked_url(self, url: str) -> str:
        problem = self.transport.url_problem(url)
        if problem is not None:
            raise InvalidFieldError("body.url", problem)
        return url

    def register(self, draft: EndpointDraft, actor: Actor | None = None) -> WebhookEndpoint:
        url = self._checked_url(draft.url)
        with self.uow() as uow:
            try:
                endpoint = uow.endpoints.add(
                    NewWebhookEndpoint(
                        id=new_id(),
                        url=url,
                        description=draft.description,
                        event_types=_event_types(draft.event_types),
                        secret=self.transport.new_secret(),
                        created_at=utcnow(),
                    )
                )
            except DuplicateError:
                raise ConflictError(f"an endpoint for {url} is registered already") from None
            record(uow, actor, AuditAction.ENDPOINT_CREATED, endpoint.id, url=url,
                   event_types=",".join(endpoint.event_types))  # fmt: skip
            uow.commit()
            return endpoint

    def update(
        self, endpoint_id: str, changes: EndpointChanges, actor: Actor | None = None
    ) -> WebhookEndpoint:
        """Enabling an endpoint the worker disabled starts its failure clock afresh; pending
        deliveries resume, the given-up ones wait for a retry."""
        url = None if changes.url is None else self._checked_url(changes.url)
        with self.uow() as uow:
            endpoint = _endpoint(uow, endpoint_id)
            before = _audited(endpoint)
            if url is not None and url != endpoint.url:
                try:
                    uow.endpoints.change_url(endpoint, url)
                except DuplicateError:
                    raise ConflictError(f"an endpoint for {url} is registered already") from None
            if changes.event_types is not None:
                endpoint.event_types = _event_types(changes.event_types)
            if changes.description is not KEEP:
                endpoint.description = changes.description
            if changes.enabled is True and endpoint.status is not EndpointStatus.ENABLED:
                endpoint.status = EndpointStatus.ENABLED
                endpoint.disabled_reason, endpoint.failing_since = None, None
            elif changes.enabled is False and endpoint.status is EndpointStatus.ENABLED:
                endpoint.status = EndpointStatus.DISABLED
                endpoint.disabled_reason = "disabled by an admin"
            endpoint.updated_at = utcnow()
            diff = changed_fields(before, _audited(endpoint))
            if diff:
                record(uow, actor, AuditAction.ENDPOINT_UPDATED, endpoint.id, **diff)
            uow.commit()
            return endpoint

    def delete(self, endpoint_id: str, actor: Actor | None = None) -> None:
        with self.uow() as uow:
            endpoint = _endpoint(uow, endpoint_id)
            uow.endpoints.delete(endpoint)
            record(uow, actor, AuditAction.ENDPOINT_DELETED, endpoint_id, url=endpoint.url)
            uow.commit()

    def rotate_secret(
        self, endpoint_id: str, overlap: timedelta, actor: Actor | None = None
    ) -> WebhookEndpoint:
        """A new secret; the old one keeps signing beside it for `overlap` (0: at once)."""
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise InvalidFieldError("body.expire_previous_after_seconds", "0 to 7 days")
        with self.uow() as uow:
            endpoint = _endpoint(uow, endpoint_id)
            now = utcnow()
            endpoint.previous_secret = endpoint.secret if overlap else None
            endpoint.previous_secret_expires_at = now + overlap if overlap else None
            endpoint.secret = self.transport.new_secret()
            endpoint.updated_at = now
            record(uow, actor, AuditAction.ENDPOINT_SECRET_ROTATED, endpoint.id,
                   previous_valid_seconds=str(int(overlap.total_seconds())))  # fmt: skip
            uow.commit()
            return endpoint

    def retry(self, endpoint_id: str, event_id: str, actor: Actor | None = None) -> Delivery:
        """Send one event to one endpoint again, now, with a fresh retry window: a delivery
        that gave up, one that succeeded (the receiver lost it), or an event emitted before
        the endpoint subscribed."""
        with self.uow() as uow:
            endpoint = _endpoint(uow, endpoint_id)
            if endpoint.status is not EndpointStatus.ENABLED:
                raise ConflictError(f"endpoint {endpoint_id} is disabled; enable it first")
            if not uow.outbox.exists(event_id):
                raise NotFoundError(f"event {event_id} does not exist")
            now = utcnow()
            delivery = uow.deliveries.of(endpoint_id, event_id, for_update=True)
            if delivery is None:
                delivery = uow.deliveries.add_for(endpoint_id, event_id, now)
            delivery.state = DeliveryState.PENDING
            delivery.window_started_at = delivery.next_attempt_at = now
            delivery.lease_until = None
            record(uow, actor, AuditAction.DELIVERY_RETRIED, endpoint_id, event_id=event_id)
            uow.commit()
            return delivery


def _audited(endpoint: WebhookEndpoint) -> dict[str, str]:
    """What an update may change, as the audit trail shows it (never the secret)."""
    return {
        "url": endpoint.url,
        "event_types": ",".join(endpoint.event_types),
        "description": str(endpoint.description),
        "status": str(endpoint.status),
    }


def _endpoint(uow: UnitOfWork, endpoint_id: str) -> WebhookEndpoint:
    endpoint = uow.endpoints.get(endpoint_id, for_update=True)
    if endpoint is None:
        raise NotFoundError(f"webhook endpoint {endpoint_id} does not exist")
    return endpoint
