from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.user_role import UserRole, check_user_role
from ..models.user_status import UserStatus, check_user_status

T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """A user as the API shows it (never the password or its hash).

    Attributes:
        id (UUID):
        email (str): Normalised (trimmed, lower-cased).
        full_name (str):
        role (UserRole): Registration creates customers; only an admin changes a role.
        status (UserStatus): deactivated = soft-deleted.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        deactivated_at (datetime.datetime | None): When the user was deactivated; null while active.
        email_verified (bool): Whether the owner opened a verification link sent to this email (a new email is
            unverified again). Admins made by the operator count as verified.
        email_verified_at (datetime.datetime | None): When the email was verified; null while it is not.
        mfa_enabled (bool): Whether signing in needs a second factor (TOTP). With ADMIN_MFA_REQUIRED, an admin without
            one acts as a customer until they enrol.
    """

    id: UUID
    email: str
    full_name: str
    role: UserRole
    status: UserStatus
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deactivated_at: datetime.datetime | None
    email_verified: bool
    email_verified_at: datetime.datetime | None
    mfa_enabled: bool

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        email = self.email

        full_name = self.full_name

        role: str = self.role

        status: str = self.status

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        deactivated_at: None | str
        if isinstance(self.deactivated_at, datetime.datetime):
            deactivated_at = self.deactivated_at.isoformat()
        else:
            deactivated_at = self.deactivated_at

        email_verified = self.email_verified

        email_verified_at: None | str
        if isinstance(self.email_verified_at, datetime.datetime):
            email_verified_at = self.email_verified_at.isoformat()
        else:
            email_verified_at = self.email_verified_at

        mfa_enabled = self.mfa_enabled

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "email": email,
                "full_name": full_name,
                "role": role,
                "status": status,
                "created_at": created_at,
                "updated_at": updated_at,
                "deactivated_at": deactivated_at,
                "email_verified": email_verified,
                "email_verified_at": email_verified_at,
                "mfa_enabled": mfa_enabled,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        email = d.pop("email")

        full_name = d.pop("full_name")

        role = check_user_role(d.pop("role"))

        status = check_user_status(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_deactivated_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deactivated_at_type_0 = datetime.datetime.fromisoformat(data)

                return deactivated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        deactivated_at = _parse_deactivated_at(d.pop("deactivated_at"))

        email_verified = d.pop("email_verified")

        def _parse_email_verified_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                email_verified_at_type_0 = datetime.datetime.fromisoformat(data)

                return email_verified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        email_verified_at = _parse_email_verified_at(d.pop("email_verified_at"))

        mfa_enabled = d.pop("mfa_enabled")

        user = cls(
            id=id,
            email=email,
            full_name=full_name,
            role=role,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
            deactivated_at=deactivated_at,
            email_verified=email_verified,
            email_verified_at=email_verified_at,
            mfa_enabled=mfa_enabled,
        )

        return user
