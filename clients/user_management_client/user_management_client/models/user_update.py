from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.user_update_role import UserUpdateRole, check_user_update_role
from ..types import UNSET, Unset

T = TypeVar("T", bound="UserUpdate")


@_attrs_define
class UserUpdate:
    """The fields to change; absent fields keep their value.

    Attributes:
        email (str | Unset): Normalised (trimmed, lower-cased) on input.
        full_name (str | Unset): Display name; no control characters.
        password (str | Unset): Write-only; at least 10 characters and not one of the 30,000 most common passwords (422
            naming `password`); stored as an Argon2id hash, never returned. Changing one's own password needs
            `current_password`.
        current_password (str | Unset): The caller's current password, required when they change their own `password`
            (422 naming `current_password` when missing or wrong; a wrong one counts as a failed login and is throttled like
            one). Not needed for an admin resetting another user's password. Only checked, never stored.
        role (UserUpdateRole | Unset): Only an admin may change a role (403 for a customer).
    """

    email: str | Unset = UNSET
    full_name: str | Unset = UNSET
    password: str | Unset = UNSET
    current_password: str | Unset = UNSET
    role: UserUpdateRole | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        full_name = self.full_name

        password = self.password

        current_password = self.current_password

        role: str | Unset = UNSET
        if not isinstance(self.role, Unset):
            role = self.role

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if email is not UNSET:
            field_dict["email"] = email
        if full_name is not UNSET:
            field_dict["full_name"] = full_name
        if password is not UNSET:
            field_dict["password"] = password
        if current_password is not UNSET:
            field_dict["current_password"] = current_password
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        email = d.pop("email", UNSET)

        full_name = d.pop("full_name", UNSET)

        password = d.pop("password", UNSET)

        current_password = d.pop("current_password", UNSET)

        _role = d.pop("role", UNSET)
        role: UserUpdateRole | Unset
        if isinstance(_role, Unset):
            role = UNSET
        else:
            role = check_user_update_role(_role)

        user_update = cls(
            email=email,
            full_name=full_name,
            password=password,
            current_password=current_password,
            role=role,
        )

        return user_update
