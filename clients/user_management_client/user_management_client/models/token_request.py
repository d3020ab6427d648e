from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.token_request_grant_type import TokenRequestGrantType, check_token_request_grant_type
from ..types import UNSET, Unset

T = TypeVar("T", bound="TokenRequest")


@_attrs_define
class TokenRequest:
    """OAuth2 token request, form-encoded: the password grant (RFC 6749 section 4.3; then `username` and `password` are
    required, 422 naming each one missing) or the client-credentials grant (section 4.4).

        Attributes:
            grant_type (TokenRequestGrantType | Unset): `password` (the default when omitted) or `client_credentials`.
            username (str | Unset): The user's email (normalised like everywhere else).
            password (str | Unset):
            scope (str | Unset): Client credentials: the scopes asked for, space separated (all of the client's when
                omitted). Password grant: ignored (a person's token carries a role).
            client_id (str | Unset): Client credentials: the API client's id (unless sent by HTTP Basic). Password grant:
                ignored (public client).
            client_secret (str | Unset): Client credentials: the API client's secret (unless sent by HTTP Basic). Password
                grant: ignored (public client).
            otp (str | Unset): Password grant, for a user with a second factor: the authenticator app's current code, or an
                unused recovery code. Without it such a user's right password is answered 401 with the problem type `mfa-
                required`.
    """

    grant_type: TokenRequestGrantType | Unset = UNSET
    username: str | Unset = UNSET
    password: str | Unset = UNSET
    scope: str | Unset = UNSET
    client_id: str | Unset = UNSET
    client_secret: str | Unset = UNSET
    otp: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        grant_type: str | Unset = UNSET
        if not isinstance(self.grant_type, Unset):
            grant_type = self.grant_type

        username = self.username

        password = self.password

        scope = self.scope

        client_id = self.client_id

        client_secret = self.client_secret

        otp = self.otp

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if grant_type is not UNSET:
            field_dict["grant_type"] = grant_type
        if username is not UNSET:
            field_dict["username"] = username
        if password is not UNSET:
            field_dict["password"] = password
        if scope is not UNSET:
            field_dict["scope"] = scope
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret
        if otp is not UNSET:
            field_dict["otp"] = otp

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _grant_type = d.pop("grant_type", UNSET)
        grant_type: TokenRequestGrantType | Unset
        if isinstance(_grant_type, Unset):
            grant_type = UNSET
        else:
            grant_type = check_token_request_grant_type(_grant_type)

        username = d.pop("username", UNSET)

        password = d.pop("password", UNSET)

        scope = d.pop("scope", UNSET)

        client_id = d.pop("client_id", UNSET)

        client_secret = d.pop("client_secret", UNSET)

        otp = d.pop("otp", UNSET)

        token_request = cls(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
            otp=otp,
        )

        return token_request
