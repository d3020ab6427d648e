from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TotpEnrolment")


@_attrs_define
class TotpEnrolment:
    """A TOTP secret for an authenticator app (pending until confirmed).

    Attributes:
        secret (str): Base32, 160 bits; shown here only, stored encrypted.
        otpauth_uri (str): The same secret as an otpauth:// URI (SHA-1, 6 digits, 30 s), for a QR code.
    """

    secret: str
    otpauth_uri: str

    def to_dict(self) -> dict[str, Any]:
        secret = self.secret

        otpauth_uri = self.otpauth_uri

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "secret": secret,
                "otpauth_uri": otpauth_uri,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        secret = d.pop("secret")

        otpauth_uri = d.pop("otpauth_uri")

        totp_enrolment = cls(
            secret=secret,
            otpauth_uri=otpauth_uri,
        )

        return totp_enrolment
