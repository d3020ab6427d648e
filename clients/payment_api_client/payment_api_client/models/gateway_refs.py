from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GatewayRefs")


@_attrs_define
class GatewayRefs:
    """
    Attributes:
        checkout_session_id (None | str):
        payment_intent_id (None | str):
        checkout_url (None | str):
    """

    checkout_session_id: None | str
    payment_intent_id: None | str
    checkout_url: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        checkout_session_id: None | str
        checkout_session_id = self.checkout_session_id

        payment_intent_id: None | str
        payment_intent_id = self.payment_intent_id

        checkout_url: None | str
        checkout_url = self.checkout_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "checkout_session_id": checkout_session_id,
                "payment_intent_id": payment_intent_id,
                "checkout_url": checkout_url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_checkout_session_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        checkout_session_id = _parse_checkout_session_id(d.pop("checkout_session_id"))

        def _parse_payment_intent_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payment_intent_id = _parse_payment_intent_id(d.pop("payment_intent_id"))

        def _parse_checkout_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        checkout_url = _parse_checkout_url(d.pop("checkout_url"))

        gateway_refs = cls(
            checkout_session_id=checkout_session_id,
            payment_intent_id=payment_intent_id,
            checkout_url=checkout_url,
        )

        gateway_refs.additional_properties = d
        return gateway_refs

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
