from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SecretRotation")


@_attrs_define
class SecretRotation:
    """
    Attributes:
        expire_previous_after_seconds (int | Unset):  Default: 86400.
    """

    expire_previous_after_seconds: int | Unset = 86400

    def to_dict(self) -> dict[str, Any]:
        expire_previous_after_seconds = self.expire_previous_after_seconds

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if expire_previous_after_seconds is not UNSET:
            field_dict["expire_previous_after_seconds"] = expire_previous_after_seconds

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        expire_previous_after_seconds = d.pop("expire_previous_after_seconds", UNSET)

        secret_rotation = cls(
            expire_previous_after_seconds=expire_previous_after_seconds,
        )

        return secret_rotation
