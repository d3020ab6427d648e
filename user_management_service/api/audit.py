"""The audit trail, read-only: admins list what admins and operators did."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.context import container
from user_management_service.api.security import people_or_client, require_admin_or_scope
from user_management_service.domain.audit import AuditFilter, AuditPage

AUDIT_READ = "audit:read"

blp = Blueprint("audit", __name__, description="The audit trail of access changes (read-only).")


@blp.route("/audit/access-events", methods=["GET"])
@blp.doc(operationId="listAuditEvents", security=people_or_client(AUDIT_READ))
@blp.arguments(schemas.ListAuditEventsQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.AuditEventPage, description="One page of audit events.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def listAuditEvents(  # noqa: N802 (named after the operationId)
    limit: int,
    cursor: str | None = None,
    action: Any = None,
    actor_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
) -> AuditPage:
    """List audit events

    Every admin or operator action that changes access, recorded once in the transaction of
    the change: users created by an admin, role changes, an admin's change of another user's
    email, name or password (which fields, never values), deactivations, unlocks, and
    password resets through a mailed link. Oldest first; `limit` per page (1..100, default
    20), `next_cursor` for the next. Filter by `action`, `actor_id` (who) or `target_id` (on
    whom). API clients' creation and revocation are recorded too (their id in `details`). An
    admin, or an API client with scope audit:read. Events cannot be changed or deleted, by
    the API or otherwise.
    """
    require_admin_or_scope(AUDIT_READ)
    where = AuditFilter(action=action, actor_id=actor_id, target_id=target_id)
    return container().audit.list(limit, cursor, where)
