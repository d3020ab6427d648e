"""The operators' console (admins): API clients, the machine credentials of the OAuth2
client-credentials grant.

The list (listApiClients, in creation order, paginated with `next_cursor`), a form to create
one (createApiClient: name, scopes, optional expiry) whose answer page shows the client secret
this once, with the token request as a curl line (the secret is in that answer only: never
stored by the web, never in a URL), and revoking one after a confirmation page
(getApiClient, revokeApiClient).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from typing import Annotated, get_args

import yaml
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from user_management_client.api.api_clients import (
    create_api_client,
    get_api_client,
    list_api_clients,
    revoke_api_client,
)
from user_management_client.models import (
    ApiClient,
    ApiClientCreate,
    ApiClientCreated,
    ApiClientPage,
)
from user_management_client.models.api_client_create_scopes_item import (
    ApiClientCreateScopesItem,
    check_api_client_create_scopes_item,
)

from web.api import ApiError, problem_of, unwrap
from web.context import Ctx, checked_form
from web.routes.account import problem_or_raise
from web.settings import ROOT

router = APIRouter(prefix="/console")
Form = Annotated[dict[str, str], Depends(checked_form)]
CtxDep = Annotated[Ctx, Depends(Ctx)]

CLIENTS_PATH = "/console/api-clients"
CLIENT_ID = re.compile(r"^cli_[0-9a-f]{24}$")
CURSOR = re.compile(r"^[0-9]{1,18}$")
NAME = re.compile(r"^[^\x00-\x1f\x7f]+$")
MAX_NAME = 100
SCOPE_FIELD = "scope."  # one checkbox per scope: `scope.payments:read`
# The ApiClientCreate.scopes enum, the user service's first, then the payment service's.
SCOPES: list[str] = sorted(
    get_args(ApiClientCreateScopesItem), key=lambda s: (s not in {"users:read", "audit:read"}, s)
)
# What each scope allows: the user service's contract says it (its OAuth2ClientCredentials
# scheme), read from the spec the SDK was generated from rather than copied here.
SCOPE_HELP: dict[str, str] = yaml.safe_load(
    (ROOT / "specs" / "user_management.yaml").read_text(encoding="utf-8")
)["components"]["securitySchemes"]["OAuth2ClientCredentials"]["flows"]["clientCredentials"][
    "scopes"
]
CLIENT_FIELDS = {"name": "name", "scopes": "scopes", "expires_at": "expires_at"}


def client_id_of(text: str) -> str:
    """API client ids are `cli_` and 24 hex digits: anything else is a 404 page."""
    if not CLIENT_ID.match(text):
        raise ApiError(404)
    return text


def client_form(
    form: dict[str, str], today: dt.date
) -> tuple[ApiClientCreate | None, dict[str, str]]:
    """Name, scopes and expiry date of the create form, checked as the API would (its own
    checks come back as field errors)."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = "Enter a name that says what the client is."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Enter at most {MAX_NAME} characters."
    elif not NAME.match(name):
        errors["name"] = "Enter a name without control characters."
    scopes = [s for s in SCOPES if form.get(SCOPE_FIELD + s)]
    if not scopes:
        errors["scopes"] = "Choose at least one scope."
    expires_at: dt.datetime | None = None
    day_text = form.get("expires_on", "").strip()
    if day_text:
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            errors["expires_on"] = "Enter a date, e.g. 2027-12-31."
        else:
            if day <= today:
                errors["expires_on"] = "Choose a day after today."
            else:
                expires_at = dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)
    if errors:
        return None, errors
    items = [check_api_client_create_scopes_item(s) for s in scopes]
    return ApiClientCreate(name=name, scopes=items, expires_at=expires_at), {}


@router.get("/api-clients")
def clients_page(
    ctx: CtxDep, cursor: Annotated[str | None, Query(max_length=18)] = None
) -> Response:
    ctx.require_admin()
    return render_clients(ctx, cursor, {}, {})


def render_clients(
    ctx: Ctx, cursor: str | None, errors: dict[str, str], values: dict[str, str]
) -> Response:
    page_cursor = cursor if cursor and CURSOR.match(cursor) else None
    kwargs = {"cursor": page_cursor} if page_cursor else {}
    page = unwrap(
        ctx.api.users(
            lambda c: list_api_clients.sync_detailed(
                client=c, limit=ctx.settings.page_size, **kwargs
            )
        ),
        ApiClientPage,
    )
    return ctx.render(
        "console/api_clients.html",
        {
            "clients": page.data,
            "next_cursor": page.next_cursor if isinstance(page.next_cursor, str) else None,
            "first_page": page_cursor is None,
            "scopes": [(s, SCOPE_HELP.get(s, "")) for s in SCOPES],
            "scope_field": SCOPE_FIELD,
            "tomorrow": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat(),
            "errors": errors,
            "values": values,
        },
        status_code=422 if errors else 200,
    )


@router.post("/api-clients")
def client_create(ctx: CtxDep, form: Form) -> Response:
    ctx.require_admin()
    body, errors = client_form(form, dt.datetime.now(dt.UTC).date())
    if body is not None:
        create = body
        response = ctx.api.users(lambda c: create_api_client.sync_detailed(client=c, body=create))
        if isinstance(response.parsed, ApiClientCreated):
            # The answer page itself shows the secret: nothing is kept to show it later.
            return render_created(ctx, response.parsed)
        problem = problem_or_raise(response)
        errors = problem.field_errors(CLIENT_FIELDS)
        if "expires_at" in errors:
            errors["expires_on"] = errors.pop("expires_at")
        errors = errors or {"form": problem.detail or "The API client could not be created."}
    return render_clients(ctx, None, errors, form)


def token_request_line(token_url: str, client_id: str, secret: str) -> str:
    return shlex.join(
        ["curl", "-u", f"{client_id}:{secret}", "-d", "grant_type=client_credentials", token_url]
    )


def render_created(ctx: Ctx, made: ApiClientCreated) -> Response:
    token_url = f"{ctx.settings.users_public_url}/auth/token"
    return ctx.render(
        "console/api_client_created.html",
        {
            "client": made,
            "token_url": token_url,
            "curl": token_request_line(token_url, made.id, made.client_secret),
        },
    )


def load_client(ctx: Ctx, client_id: str) -> ApiClient:
    cid = client_id_of(client_id)
    return unwrap(ctx.api.users(lambda c: get_api_client.sync_detailed(cid, client=c)), ApiClient)


@router.get("/api-clients/{client_id}/revoke")
def client_revoke_page(ctx: CtxDep, client_id: str) -> Response:
    ctx.require_admin()
    return ctx.render("console/api_client_revoke.html", {"client": load_client(ctx, client_id)})


@router.post("/api-clients/{client_id}/revoke")
def client_revoke(ctx: CtxDep, client_id: str, form: Form) -> Response:
    ctx.require_admin()
    cid = client_id_of(client_id)
    response = ctx.api.users(lambda c: revoke_api_client.sync_detailed(cid, client=c))
    if int(response.status_code) != 204:
        raise problem_of(response)
    ctx.flash(
        f"Revoked the API client {cid}: it gets no more tokens. Tokens it holds keep working "
        "at the payment service until they expire.",
        "success",
    )
    return ctx.redirect(CLIENTS_PATH)
