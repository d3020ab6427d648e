from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.money import Money


T = TypeVar("T", bound="ProductCreate")


@_attrs_define
class ProductCreate:
    """
    Attributes:
        name (str):
        price (Money): An amount in the currency's MINOR unit (cents, yen, fils) and its ISO 4217 code. Never a float.
        description (None | str | Unset):
        active (bool | Unset):  Default: True.
    """

    name: str
    price: Money
    description: None | str | Unset = UNSET
    active: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        price = self.price.to_dict()

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        active = self.active

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "price": price,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if active is not UNSET:
            field_dict["active"] = active

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.money import Money  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        price = Money.from_dict(d.pop("price"))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        active = d.pop("active", UNSET)

        product_create = cls(
            name=name,
            price=price,
            description=description,
            active=active,
        )

        return product_create
