from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_type import EventType

if TYPE_CHECKING:
    from ..models.payment import Payment
    from ..models.refund import Refund


T = TypeVar("T", bound="OutboundEvent")


@_attrs_define
class OutboundEvent:
    """An event we emitted, exactly as its receivers get it.

    Attributes:
        id (str):
        type_ (EventType): What happened: `<object>.<change>`, e.g. `payment.succeeded`.
        created (datetime.datetime):
        api_version (str):
        data (Payment | Refund):
    """

    id: str
    type_: EventType
    created: datetime.datetime
    api_version: str
    data: Payment | Refund
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.payment import Payment  # noqa: PLC0415

        id = self.id

        type_ = self.type_.value

        created = self.created.isoformat()

        api_version = self.api_version

        data: dict[str, Any]
        if isinstance(self.data, Payment):
            data = self.data.to_dict()
        else:
            data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "created": created,
                "api_version": api_version,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment import Payment  # noqa: PLC0415
        from ..models.refund import Refund  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        type_ = EventType(d.pop("type"))

        created = datetime.datetime.fromisoformat(d.pop("created"))

        api_version = d.pop("api_version")

        def _parse_data(data: object) -> Payment | Refund:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_type_0 = Payment.from_dict(data)

                return data_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            data_type_1 = Refund.from_dict(data)

            return data_type_1

        data = _parse_data(d.pop("data"))

        outbound_event = cls(
            id=id,
            type_=type_,
            created=created,
            api_version=api_version,
            data=data,
        )

        outbound_event.additional_properties = d
        return outbound_event

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
