from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.user_create_role import UserCreateRole, check_user_create_role
from ..types import UNSET, Unset

T = TypeVar("T", bound="UserCreate")


@_attrs_define
class UserCreate:
    """A new user.

    Attributes:
        email (str): Normalised (trimmed, lower-cased) on input.
        full_name (str): Display name; no control characters.
        password (str): Write-only; at least 10 characters and not one of the 30,000 most common passwords (422 naming
            `password`); stored as an Argon2id hash, never returned.
        role (UserCreateRole | Unset): Only an admin may set it (403 for anyone else); default customer.
    """

    email: str
    full_name: str
    password: str
    role: UserCreateRole | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        full_name = self.full_name

        password = self.password

        role: str | Unset = UNSET
        if not isinstance(self.role, Unset):
            role = self.role

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "email": email,
                "full_name": full_name,
                "password": password,
            }
        )
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        email = d.pop("email")

        full_name = d.pop("full_name")

        password = d.pop("password")

        _role = d.pop("role", UNSET)
        role: UserCreateRole | Unset
        if isinstance(_role, Unset):
            role = UNSET
        else:
            role = check_user_create_role(_role)

        user_create = cls(
            email=email,
            full_name=full_name,
            password=password,
            role=role,
        )

        return user_create
