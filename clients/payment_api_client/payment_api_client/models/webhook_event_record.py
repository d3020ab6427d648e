from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.inbox_state import InboxState

T = TypeVar("T", bound="WebhookEventRecord")


@_attrs_define
class WebhookEventRecord:
    """
    Attributes:
        id (str):
        type_ (str):
        state (InboxState):
        outcome (None | str):
        error (None | str):
        attempts (int):
        received_at (datetime.datetime):
        processed_at (datetime.datetime | None):
    """

    id: str
    type_: str
    state: InboxState
    outcome: None | str
    error: None | str
    attempts: int
    received_at: datetime.datetime
    processed_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        state = self.state.value

        outcome: None | str
        outcome = self.outcome

        error: None | str
        error = self.error

        attempts = self.attempts

        received_at = self.received_at.isoformat()

        processed_at: None | str
        if isinstance(self.processed_at, datetime.datetime):
            processed_at = self.processed_at.isoformat()
        else:
            processed_at = self.processed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "state": state,
                "outcome": outcome,
                "error": error,
                "attempts": attempts,
                "received_at": received_at,
                "processed_at": processed_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        state = InboxState(d.pop("state"))

        def _parse_outcome(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        outcome = _parse_outcome(d.pop("outcome"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        attempts = d.pop("attempts")

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        def _parse_processed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                processed_at_type_0 = datetime.datetime.fromisoformat(data)

                return processed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        processed_at = _parse_processed_at(d.pop("processed_at"))

        webhook_event_record = cls(
            id=id,
            type_=type_,
            state=state,
            outcome=outcome,
            error=error,
            attempts=attempts,
            received_at=received_at,
            processed_at=processed_at,
        )

        webhook_event_record.additional_properties = d
        return webhook_event_record

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
