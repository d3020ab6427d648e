from typing import Literal

AuditEventAction = Literal[
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

AUDIT_EVENT_ACTION_VALUES: set[AuditEventAction] = {
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


def check_audit_event_action(value: str) -> AuditEventAction:
    if value in AUDIT_EVENT_ACTION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {AUDIT_EVENT_ACTION_VALUES!r}")
