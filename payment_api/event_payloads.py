"""The envelope of an outbound event: id, type, created, api_version and the resource in `data`
exactly as the API returns it (the same `*_view` and response model as the routes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from payment_api.api.schemas import Payment, Refund

API_VERSION = "3.3.0"  # the payment spec's info.version the payloads follow


class EventEnvelope(BaseModel):
    id: str
    type: str
    created: datetime
    api_version: str
    data: dict[str, Any]


def new_event_id() -> str:
    """A UUID like every id of ours (specs/STYLE.md); receivers deduplicate on it."""
    return str(uuid.uuid4())


def envelope_json(
    event_id: str, event_type: str, created: datetime, object_type: str, data: dict[str, Any]
) -> str:
    """The JSON receivers get: `data` validated and serialised by the API's own model."""
    model = Payment if object_type == "payment" else Refund
    shaped = model.model_validate(data).model_dump(mode="json")
    return EventEnvelope(
        id=event_id, type=event_type, created=created, api_version=API_VERSION, data=shaped
    ).model_dump_json()
