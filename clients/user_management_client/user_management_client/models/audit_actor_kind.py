from typing import Literal

AuditActorKind = Literal["operator", "system", "user"]

AUDIT_ACTOR_KIND_VALUES: set[AuditActorKind] = {
    "operator",
    "system",
    "user",
}


def check_audit_actor_kind(value: str) -> AuditActorKind:
    if value in AUDIT_ACTOR_KIND_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {AUDIT_ACTOR_KIND_VALUES!r}")
