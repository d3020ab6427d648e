from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.stripe_event_data import StripeEventData


T = TypeVar("T", bound="StripeEvent")


@_attrs_define
class StripeEvent:
    """A Stripe Event object as sent by Stripe (or the sandbox); it is verified against Stripe-Signature over the raw bytes
    before anything is read from it. Open by design: Stripe adds fields to its events.

        Attributes:
            id (str):
            type_ (str):
            data (StripeEventData):
    """

    id: str
    type_: str
    data: StripeEventData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.stripe_event_data import StripeEventData  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        data = StripeEventData.from_dict(d.pop("data"))

        stripe_event = cls(
            id=id,
            type_=type_,
            data=data,
        )

        stripe_event.additional_properties = d
        return stripe_event

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
