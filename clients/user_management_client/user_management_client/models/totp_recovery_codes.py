from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="TotpRecoveryCodes")


@_attrs_define
class TotpRecoveryCodes:
    """Single-use codes that stand in for the app; shown once.

    Attributes:
        recovery_codes (list[str]):
    """

    recovery_codes: list[str]

    def to_dict(self) -> dict[str, Any]:
        recovery_codes = self.recovery_codes

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "recovery_codes": recovery_codes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        recovery_codes = cast(list[str], d.pop("recovery_codes"))

        totp_recovery_codes = cls(
            recovery_codes=recovery_codes,
        )

        return totp_recovery_codes
