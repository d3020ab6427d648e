from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_status import PaymentStatus

T = TypeVar("T", bound="StatusChange")


@_attrs_define
class StatusChange:
    """
    Attributes:
        from_status (None | PaymentStatus):
        to_status (PaymentStatus): pending: session open; processing: async payment waiting for funds; succeeded;
            failed; expired: session expired unpaid; canceled; partially_refunded; refunded. Late or out-of-order events
            never move a payment backwards.
        reason (str):
        event_id (None | str):
        at (datetime.datetime):
    """

    from_status: None | PaymentStatus
    to_status: PaymentStatus
    reason: str
    event_id: None | str
    at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_status: None | str
        if isinstance(self.from_status, PaymentStatus):
            from_status = self.from_status.value
        else:
            from_status = self.from_status

        to_status = self.to_status.value

        reason = self.reason

        event_id: None | str
        event_id = self.event_id

        at = self.at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from_status": from_status,
                "to_status": to_status,
                "reason": reason,
                "event_id": event_id,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_from_status(data: object) -> None | PaymentStatus:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                from_status_type_0 = PaymentStatus(data)

                return from_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PaymentStatus, data)

        from_status = _parse_from_status(d.pop("from_status"))

        to_status = PaymentStatus(d.pop("to_status"))

        reason = d.pop("reason")

        def _parse_event_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        event_id = _parse_event_id(d.pop("event_id"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        status_change = cls(
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            event_id=event_id,
            at=at,
        )

        status_change.additional_properties = d
        return status_change

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
