"""The operators' console (admins): the two audit trails, one tab each.

"Access" is the user service's trail (listAuditEvents, GET /audit/access-events: who changed
whose access, oldest first); "Money" is the payment service's (listAuditEvents of the payment
SDK, GET /audit/payment-events: products and prices, refunds, webhook endpoints, retries and
replays, newest first). Both filter by `action` (each API's enum), `actor_id` and `target_id`
and page with `next_cursor`. The filters are a GET form: what is typed is checked as the API
would check it, and what the API still refuses (its 422 names `query.<field>`) is shown next to
the field, never as an error page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

import payment_api_client.models as pa_models
import user_management_client.models as um_models
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from payment_api_client.api.audit import list_audit_events as list_money_events
from payment_api_client.models import AuditAction, AuditEventList
from user_management_client.api.audit import list_audit_events as list_access_events
from user_management_client.models import AuditEventPage
from user_management_client.models.list_audit_events_action import (
    LIST_AUDIT_EVENTS_ACTION_VALUES,
    check_list_audit_events_action,
)

from web.api import HasStatus, problem_of
from web.context import Ctx

router = APIRouter(prefix="/console")
CtxDep = Annotated[Ctx, Depends(Ctx)]

AUDIT_PATH = "/console/audit"
LOGS = {"access": "Access", "money": "Money"}
ACCESS_ACTIONS = sorted(LIST_AUDIT_EVENTS_ACTION_VALUES)
MONEY_ACTIONS = sorted(a.value for a in AuditAction)
# The cursors' patterns in the specs: anything else is the first page.
ACCESS_CURSOR = re.compile(r"^[0-9]{1,18}$")
MONEY_CURSOR = re.compile(r"^[0-9]{1,16}_[0-9a-f-]{1,64}$")
# The payment service's actor_id and target_id: 1..255 characters, no control character.
FREE_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
FILTER_FIELDS = {"action": "action", "actor_id": "actor_id", "target_id": "target_id"}
ACTOR_LABELS = {
    "user": "User",
    "api_client": "API client",
    "operator": "Operator (command line)",
    "system": "System",
}


@dataclass(frozen=True)
class Row:
    """One event of either trail, as the table shows it."""

    at: dt.datetime
    action: str
    actor_kind: str
    actor_id: str
    actor_href: str
    address: str
    request_id: str
    target: str
    target_href: str
    details: list[tuple[str, str]]


def user_href(user_id: object) -> str:
    return f"/console/users/{user_id}" if isinstance(user_id, UUID | str) and user_id else ""


def access_row(event: um_models.AuditEvent) -> Row:
    actor = event.actor
    kind = str(actor.kind)
    actor_id = str(actor.user_id) if actor.user_id is not None else ""
    target = str(event.target_id) if event.target_id is not None else ""
    return Row(
        at=event.at.astimezone(dt.UTC),
        action=str(event.action),
        actor_kind=kind,
        actor_id=actor_id,
        actor_href=user_href(actor_id) if kind == "user" else "",
        address=actor.address or "",
        request_id=actor.request_id or "",
        target=target,
        target_href=user_href(target),
        details=sorted(event.details.additional_properties.items()),
    )


def money_target_href(action: str, target_id: str) -> str:
    """The console page of what a payment-service event acted on, where there is one."""
    quoted = quote(target_id, safe="")
    if action.startswith("product."):
        return f"/console/products/{quoted}"
    if action.startswith(("webhook_endpoint.", "webhook_delivery.")):
        # a retried delivery's target is its endpoint (the event is in the details)
        return "" if action == "webhook_endpoint.deleted" else f"/console/webhooks/{quoted}"
    if action == "webhook_event.replayed":
        return "/console/stripe-events?" + urlencode({"q": target_id})
    return ""


def money_row(event: pa_models.AuditEvent) -> Row:
    actor = event.actor
    kind = str(actor.type_)
    machine = kind == "api_client"
    actor_id = (actor.client_id if machine else actor.user_id) or ""
    action = str(event.action)
    details = sorted(event.details.additional_properties.items())
    return Row(
        at=event.at.astimezone(dt.UTC),
        action=action,
        actor_kind=kind,
        actor_id=actor_id,
        actor_href="" if machine else user_href(actor_id),
        address=actor.address or "",
        request_id=actor.request_id or "",
        target=event.target_id,
        target_href=money_target_href(action, event.target_id),
        details=[(k, str(v)) for k, v in details],
    )


def uuid_or_error(text: str, what: str, errors: dict[str, str], field: str) -> UUID | None:
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        errors[field] = f"Enter {what} id: a UUID, e.g. 0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b."
        return None


def free_id_or_error(text: str, errors: dict[str, str], field: str) -> str | None:
    if not text:
        return None
    if not FREE_ID.match(text):
        errors[field] = "Enter an id of at most 255 characters, without control characters."
        return None
    return text


def refused_filters(response: HasStatus) -> dict[str, str]:
    """The field errors of the API's 422 (a filter it refused); anything else is raised."""
    problem = problem_of(response)
    if problem.status != 422:
        raise problem
    errors = {
        key: message
        for key, message in problem.field_errors(FILTER_FIELDS).items()
        if key in FILTER_FIELDS
    }
    return errors or {"form": problem.detail or "The audit trail refused these filters."}


def access_events(
    ctx: Ctx, filters: dict[str, str], cursor: str | None
) -> tuple[list[Row], str | None, dict[str, str]]:
    errors: dict[str, str] = {}
    action = filters["action"]
    if action and action not in LIST_AUDIT_EVENTS_ACTION_VALUES:
        errors["action"] = "Choose an action."
    actor_id = uuid_or_error(filters["actor_id"], "a user", errors, "actor_id")
    target_id = uuid_or_error(filters["target_id"], "a user", errors, "target_id")
    if errors:
        return [], None, errors
    kwargs: dict[str, Any] = {"limit": ctx.settings.page_size}
    if cursor:
        kwargs["cursor"] = cursor
    if action:
        kwargs["action"] = check_list_audit_events_action(action)
    if actor_id is not None:
        kwargs["actor_id"] = actor_id
    if target_id is not None:
        kwargs["target_id"] = target_id
    response = ctx.api.users(lambda c: list_access_events.sync_detailed(client=c, **kwargs))
    if not isinstance(response.parsed, AuditEventPage):
        return [], None, refused_filters(response)
    page = response.parsed
    next_cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
    return [access_row(e) for e in page.data], next_cursor, {}


def money_events(
    ctx: Ctx, filters: dict[str, str], cursor: str | None
) -> tuple[list[Row], str | None, dict[str, str]]:
    errors: dict[str, str] = {}
    action = filters["action"]
    if action and action not in MONEY_ACTIONS:
        errors["action"] = "Choose an action."
    actor_id = free_id_or_error(filters["actor_id"], errors, "actor_id")
    target_id = free_id_or_error(filters["target_id"], errors, "target_id")
    if errors:
        return [], None, errors
    response = ctx.api.payments(
        lambda c: list_money_events.sync_detailed(
            client=c,
            limit=ctx.settings.page_size,
            cursor=cursor,
            action=AuditAction(action) if action else None,
            actor_id=actor_id,
            target_id=target_id,
        )
    )
    if not isinstance(response.parsed, AuditEventList):
        return [], None, refused_filters(response)
    page = response.parsed
    next_cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
    return [money_row(e) for e in page.data], next_cursor, {}


@router.get("/audit")
def audit_page(
    ctx: CtxDep,
    log: Annotated[str, Query(max_length=16)] = "access",
    action: Annotated[str, Query(max_length=2000)] = "",
    actor_id: Annotated[str, Query(max_length=2000)] = "",
    target_id: Annotated[str, Query(max_length=2000)] = "",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    ctx.require_admin()
    log = log if log in LOGS else "access"
    filters = {"action": action, "actor_id": actor_id.strip(), "target_id": target_id.strip()}
    pattern = ACCESS_CURSOR if log == "access" else MONEY_CURSOR
    page_cursor = cursor if cursor and pattern.match(cursor) else None
    if log == "access":
        rows, next_cursor, errors = access_events(ctx, filters, page_cursor)
    else:
        rows, next_cursor, errors = money_events(ctx, filters, page_cursor)
    return ctx.render(
        "console/audit.html",
        {
            "log": log,
            "logs": LOGS,
            "rows": rows,
            "next_cursor": next_cursor,
            "first_page": page_cursor is None,
            "filters": filters,
            "params": urlencode({"log": log, **filters}),
            "actions": ACCESS_ACTIONS if log == "access" else MONEY_ACTIONS,
            "actor_labels": ACTOR_LABELS,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )
