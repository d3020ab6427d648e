from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.inbox_state import InboxState

T = TypeVar("T", bound="WebhookAck")


@_attrs_define
class WebhookAck:
    """
    Attributes:
        event_id (str):
        type_ (str):
        duplicate (bool):
        state (InboxState):
    """

    event_id: str
    type_: str
    duplicate: bool
    state: InboxState
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event_id = self.event_id

        type_ = self.type_

        duplicate = self.duplicate

        state = self.state.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event_id": event_id,
                "type": type_,
                "duplicate": duplicate,
                "state": state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_id = d.pop("event_id")

        type_ = d.pop("type")

        duplicate = d.pop("duplicate")

        state = InboxState(d.pop("state"))

        webhook_ack = cls(
            event_id=event_id,
            type_=type_,
            duplicate=duplicate,
            state=state,
        )

        webhook_ack.additional_properties = d
        return webhook_ack

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
