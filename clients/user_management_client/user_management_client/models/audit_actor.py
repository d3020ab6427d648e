from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.audit_actor_kind import AuditActorKind, check_audit_actor_kind

T = TypeVar("T", bound="AuditActor")


@_attrs_define
class AuditActor:
    """Who acted, and from where.

    Attributes:
        kind (AuditActorKind): `user`: a signed-in user through the API; `operator`: the CLI on a server (create-admin,
            unlock); `system`: the service itself (the bootstrap admin).
        user_id (None | UUID): The acting user (for a password reset, the owner); null for the operator and the system.
        address (None | str): The client address (behind TRUSTED_PROXY_HOPS proxies, the forwarded one).
        request_id (None | str): The request's `X-Request-ID`, as in the service's logs.
    """

    kind: AuditActorKind
    user_id: None | UUID
    address: None | str
    request_id: None | str

    def to_dict(self) -> dict[str, Any]:
        kind: str = self.kind

        user_id: None | str
        if isinstance(self.user_id, UUID):
            user_id = str(self.user_id)
        else:
            user_id = self.user_id

        address: None | str
        address = self.address

        request_id: None | str
        request_id = self.request_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "user_id": user_id,
                "address": address,
                "request_id": request_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = check_audit_actor_kind(d.pop("kind"))

        def _parse_user_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                user_id_type_0 = UUID(data)

                return user_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        user_id = _parse_user_id(d.pop("user_id"))

        def _parse_address(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        address = _parse_address(d.pop("address"))

        def _parse_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        request_id = _parse_request_id(d.pop("request_id"))

        audit_actor = cls(
            kind=kind,
            user_id=user_id,
            address=address,
            request_id=request_id,
        )

        return audit_actor
