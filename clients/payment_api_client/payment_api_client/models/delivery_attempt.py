from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.attempt_outcome import AttemptOutcome

T = TypeVar("T", bound="DeliveryAttempt")


@_attrs_define
class DeliveryAttempt:
    """
    Attributes:
        id (str):
        delivery_id (str):
        event_id (str):
        number (int):
        attempted_at (datetime.datetime):
        outcome (AttemptOutcome):
        status_code (int | None):
        latency_ms (int):
        error (None | str):
        response_excerpt (None | str):
    """

    id: str
    delivery_id: str
    event_id: str
    number: int
    attempted_at: datetime.datetime
    outcome: AttemptOutcome
    status_code: int | None
    latency_ms: int
    error: None | str
    response_excerpt: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        delivery_id = self.delivery_id

        event_id = self.event_id

        number = self.number

        attempted_at = self.attempted_at.isoformat()

        outcome = self.outcome.value

        status_code: int | None
        status_code = self.status_code

        latency_ms = self.latency_ms

        error: None | str
        error = self.error

        response_excerpt: None | str
        response_excerpt = self.response_excerpt

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "delivery_id": delivery_id,
                "event_id": event_id,
                "number": number,
                "attempted_at": attempted_at,
                "outcome": outcome,
                "status_code": status_code,
                "latency_ms": latency_ms,
                "error": error,
                "response_excerpt": response_excerpt,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        delivery_id = d.pop("delivery_id")

        event_id = d.pop("event_id")

        number = d.pop("number")

        attempted_at = datetime.datetime.fromisoformat(d.pop("attempted_at"))

        outcome = AttemptOutcome(d.pop("outcome"))

        def _parse_status_code(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        status_code = _parse_status_code(d.pop("status_code"))

        latency_ms = d.pop("latency_ms")

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        def _parse_response_excerpt(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        response_excerpt = _parse_response_excerpt(d.pop("response_excerpt"))

        delivery_attempt = cls(
            id=id,
            delivery_id=delivery_id,
            event_id=event_id,
            number=number,
            attempted_at=attempted_at,
            outcome=outcome,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
            response_excerpt=response_excerpt,
        )

        delivery_attempt.additional_properties = d
        return delivery_attempt

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
