"""API clients: admins create, list, read and revoke machine credentials."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.auth import NO_STORE, NO_STORE_DOC
from user_management_service.api.context import actor, container
from user_management_service.api.security import AUTHENTICATED, require_admin
from user_management_service.domain.api_clients import ApiClient, ClientPage
from user_management_service.domain.users import utc_now

blp = Blueprint("api_clients", __name__, description="Machine credentials (client credentials).")

CREATED_HEADERS = {
    "Location": {"description": "Path of the new API client.", "schema": {"type": "string"}},
    **NO_STORE_DOC,
}
CLIENT_ID_PATH = "/api-clients/<string(maxlength=64):client_id>"


def shown(client: ApiClient) -> dict[str, Any]:
    """The client as the API shows it: its fields and its status now."""
    return {**client.__dict__, "status": client.status(utc_now())}


@blp.route("/api-clients", methods=["POST"])
@blp.doc(operationId="createApiClient", security=AUTHENTICATED)
@blp.arguments(schemas.ApiClientCreate)
@blp.response(201, schemas.ApiClientCreated, description="Created; the secret is shown once.",
              headers=CREATED_HEADERS)  # fmt: skip
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def createApiClient(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Create an API client

    A machine credential for the client-credentials grant at createToken: its `id` and
    `client_secret` (shown in this answer only; stored as a SHA-256) get tokens carrying the
    `scopes` given here, until `expires_at` (optional) or until it is revoked. Admin only,
    with a user's token (an API client cannot create another). Recorded in the audit trail.
    """
    created = container().api_clients.create(
        body["name"], body["scopes"], body.get("expires_at"), actor(require_admin())
    )
    client = created.client
    headers = {"Location": url_for("api_clients.getApiClient", client_id=client.id), **NO_STORE}
    return {**shown(client), "client_secret": created.secret}, 201, headers


@blp.route("/api-clients", methods=["GET"])
@blp.doc(operationId="listApiClients", security=AUTHENTICATED)
@blp.arguments(schemas.ListApiClientsQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.ApiClientPage, description="One page of API clients.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def listApiClients(limit: int, cursor: str | None = None) -> dict[str, Any]:  # noqa: N802 (named after the operationId)
    """List API clients

    Every API client, revoked and expired ones included (their `status` says), in creation
    order, `limit` per page (1..100, default 20), `next_cursor` for the next. Never a
    secret. Admin only.
    """
    require_admin()
    page: ClientPage = container().api_clients.list(limit, cursor)
    return {"data": [shown(c) for c in page.items], "next_cursor": page.next_cursor}


@blp.route(CLIENT_ID_PATH, methods=["GET"])
@blp.doc(operationId="getApiClient", security=AUTHENTICATED)
@blp.response(200, schemas.ApiClient, description="The API client.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def getApiClient(client_id: str) -> dict[str, Any]:  # noqa: N802 (named after the operationId)
    """Get an API client

    Its scopes, status, expiry and when it last got a token; never its secret. Admin only.
    """
    require_admin()
    return shown(container().api_clients.get(client_id))


@blp.route(CLIENT_ID_PATH + "/revoke", methods=["POST"])
@blp.doc(operationId="revokeApiClient", security=AUTHENTICATED)
@blp.response(204, description="Revoked (also when it already was).")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def revokeApiClient(client_id: str) -> None:  # noqa: N802 (named after the operationId)
    """Revoke an API client

    Its token requests fail at once, and so do the tokens it holds at this service; the
    payment service honours those until they expire (ACCESS_TOKEN_TTL_SECONDS). The record
    stays, listed as `revoked`. Admin only. Recorded in the audit trail (the first time).
    """
    container().api_clients.revoke(client_id, actor(require_admin()))
