from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.token_response_token_type import TokenResponseTokenType, check_token_response_token_type
from ..types import UNSET, Unset

T = TypeVar("T", bound="TokenResponse")


@_attrs_define
class TokenResponse:
    """OAuth2 token response (RFC 6749 section 5.1). A person's tokens have `refresh_token` and `refresh_expires_in`; an
    API client's have `scope` instead.

        Attributes:
            access_token (str): JWT signed with EdDSA (Ed25519). A person's claims: sub, role, email_verified, iss, aud,
                exp, iat, jti; an API client's: sub and client_id (its id), scope, iss, aud, exp, iat, jti. Send it as
                `Authorization: Bearer <access_token>`.
            token_type (TokenResponseTokenType):
            expires_in (int): Lifetime of the access token in seconds (ACCESS_TOKEN_TTL_SECONDS).
            refresh_token (str | Unset): Opaque, single use (rotated by refreshToken), stored hashed.
            refresh_expires_in (int | Unset): Lifetime of the refresh token in seconds (REFRESH_TOKEN_TTL_SECONDS).
            scope (str | Unset): An API client's token only; the scopes it carries, space separated.
    """

    access_token: str
    token_type: TokenResponseTokenType
    expires_in: int
    refresh_token: str | Unset = UNSET
    refresh_expires_in: int | Unset = UNSET
    scope: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        access_token = self.access_token

        token_type: str = self.token_type

        expires_in = self.expires_in

        refresh_token = self.refresh_token

        refresh_expires_in = self.refresh_expires_in

        scope = self.scope

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "access_token": access_token,
                "token_type": token_type,
                "expires_in": expires_in,
            }
        )
        if refresh_token is not UNSET:
            field_dict["refresh_token"] = refresh_token
        if refresh_expires_in is not UNSET:
            field_dict["refresh_expires_in"] = refresh_expires_in
        if scope is not UNSET:
            field_dict["scope"] = scope

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access_token = d.pop("access_token")

        token_type = check_token_response_token_type(d.pop("token_type"))

        expires_in = d.pop("expires_in")

        refresh_token = d.pop("refresh_token", UNSET)

        refresh_expires_in = d.pop("refresh_expires_in", UNSET)

        scope = d.pop("scope", UNSET)

        token_response = cls(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_token=refresh_token,
            refresh_expires_in=refresh_expires_in,
            scope=scope,
        )

        return token_response
