from typing import Literal

ListAuditEventsAction = Literal[
    "api_client.created",
    "api_client.revoked",
    "user.created",
    "user.deactivated",
    "user.mfa_disabled",
    "user.mfa_enabled",
    "user.mfa_reset",
    "user.password_reset",
    "user.role_changed",
    "user.unlocked",
    "user.updated",
]

LIST_AUDIT_EVENTS_ACTION_VALUES: set[ListAuditEventsAction] = {
    "api_client.created",
    "api_client.revoked",
    "user.created",
    "user.deactivated",
    "user.mfa_disabled",
    "user.mfa_enabled",
    "user.mfa_reset",
    "user.password_reset",
    "user.role_changed",
    "user.unlocked",
    "user.updated",
}


def check_list_audit_events_action(value: str) -> ListAuditEventsAction:
    if value in LIST_AUDIT_EVENTS_ACTION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_AUDIT_EVENTS_ACTION_VALUES!r}")
