from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.refund_event_type import RefundEventType

if TYPE_CHECKING:
    from ..models.refund import Refund


T = TypeVar("T", bound="RefundEventPayload")


@_attrs_define
class RefundEventPayload:
    """What a merchant's endpoint receives for a refund event: the refund at that moment.

    Attributes:
        id (str):
        type_ (RefundEventType): The refund events: the gateway's final word on a refund.
        created (datetime.datetime):
        api_version (str):
        data (Refund):
    """

    id: str
    type_: RefundEventType
    created: datetime.datetime
    api_version: str
    data: Refund
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_.value

        created = self.created.isoformat()

        api_version = self.api_version

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
        from ..models.refund import Refund  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        type_ = RefundEventType(d.pop("type"))

        created = datetime.datetime.fromisoformat(d.pop("created"))

        api_version = d.pop("api_version")

        data = Refund.from_dict(d.pop("data"))

        refund_event_payload = cls(
            id=id,
            type_=type_,
            created=created,
            api_version=api_version,
            data=data,
        )

        refund_event_payload.additional_properties = d
        return refund_event_payload

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
