from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.audit_event_action import AuditEventAction, check_audit_event_action

if TYPE_CHECKING:
    from ..models.audit_actor import AuditActor
    from ..models.audit_event_details import AuditEventDetails


T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """One recorded action; never changed once recorded.

    Attributes:
        id (UUID):
        at (datetime.datetime):
        action (AuditEventAction): What was done.
        actor (AuditActor): Who acted, and from where.
        target_id (None | UUID): The user acted on.
        details (AuditEventDetails): What else matters, by action: `role` (user.created), `fields` (user.updated, comma
            separated), `from` and `to` (user.role_changed), `counters` (user.unlocked), `client_id`, `name` and `scopes`
            (api_client.created, api_client.revoked; their `target_id` is null: the client is not a user).
    """

    id: UUID
    at: datetime.datetime
    action: AuditEventAction
    actor: AuditActor
    target_id: None | UUID
    details: AuditEventDetails

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        at = self.at.isoformat()

        action: str = self.action

        actor = self.actor.to_dict()

        target_id: None | str
        if isinstance(self.target_id, UUID):
            target_id = str(self.target_id)
        else:
            target_id = self.target_id

        details = self.details.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "at": at,
                "action": action,
                "actor": actor,
                "target_id": target_id,
                "details": details,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_actor import AuditActor  # noqa: PLC0415
        from ..models.audit_event_details import AuditEventDetails  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        action = check_audit_event_action(d.pop("action"))

        actor = AuditActor.from_dict(d.pop("actor"))

        def _parse_target_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                target_id_type_0 = UUID(data)

                return target_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        target_id = _parse_target_id(d.pop("target_id"))

        details = AuditEventDetails.from_dict(d.pop("details"))

        audit_event = cls(
            id=id,
            at=at,
            action=action,
            actor=actor,
            target_id=target_id,
            details=details,
        )

        return audit_event
