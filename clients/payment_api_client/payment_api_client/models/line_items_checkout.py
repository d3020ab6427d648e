from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.line_item_input import LineItemInput


T = TypeVar("T", bound="LineItemsCheckout")


@_attrs_define
class LineItemsCheckout:
    """
    Attributes:
        line_items (list[LineItemInput]):
        user_id (None | str | Unset):
        success_url (None | str | Unset):
        cancel_url (None | str | Unset):
    """

    line_items: list[LineItemInput]
    user_id: None | str | Unset = UNSET
    success_url: None | str | Unset = UNSET
    cancel_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        line_items = []
        for line_items_item_data in self.line_items:
            line_items_item = line_items_item_data.to_dict()
            line_items.append(line_items_item)

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        success_url: None | str | Unset
        if isinstance(self.success_url, Unset):
            success_url = UNSET
        else:
            success_url = self.success_url

        cancel_url: None | str | Unset
        if isinstance(self.cancel_url, Unset):
            cancel_url = UNSET
        else:
            cancel_url = self.cancel_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "line_items": line_items,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if success_url is not UNSET:
            field_dict["success_url"] = success_url
        if cancel_url is not UNSET:
            field_dict["cancel_url"] = cancel_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.line_item_input import LineItemInput  # noqa: PLC0415

        d = dict(src_dict)
        line_items = []
        _line_items = d.pop("line_items")
        for line_items_item_data in _line_items:
            line_items_item = LineItemInput.from_dict(line_items_item_data)

            line_items.append(line_items_item)

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        def _parse_success_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        success_url = _parse_success_url(d.pop("success_url", UNSET))

        def _parse_cancel_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cancel_url = _parse_cancel_url(d.pop("cancel_url", UNSET))

        line_items_checkout = cls(
            line_items=line_items,
            user_id=user_id,
            success_url=success_url,
            cancel_url=cancel_url,
        )

        return line_items_checkout
