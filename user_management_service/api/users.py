"""The users resource; each route function is named after its operationId."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.context import actor, client_address, container
from user_management_service.api.security import (
    AUTHENTICATED,
    OPTIONAL,
    optional_caller,
    optional_principal,
    people_or_client,
    require_admin,
    require_admin_or_scope,
    require_principal,
    require_scope,
)
from user_management_service.domain.access_tokens import ClientPrincipal, Principal
from user_management_service.domain.errors import ForbiddenError, UserNotFoundError
from user_management_service.domain.users import Page, Role, User

blp = Blueprint("users", __name__, description="Create, list, read, update and deactivate users.")
USERS_READ = "users:read"

LOCATION = {"Location": {"description": "Path of the new user.", "schema": {"type": "string"}}}


def self_or_admin(user_id: uuid.UUID) -> Principal:
    """The caller may act on this user: themself or an admin. Another user's id is answered
    like an unknown one (404), so customers cannot probe which ids exist."""
    principal = require_principal()
    if not principal.is_admin and principal.user_id != user_id:
        raise UserNotFoundError(user_id)
    return principal


def readable_by_caller(user_id: uuid.UUID) -> None:
    """getUser: themself, an admin, or an API client with users:read."""
    caller = optional_caller()
    if isinstance(caller, ClientPrincipal):
        require_scope(caller, USERS_READ)
    else:
        self_or_admin(user_id)


@blp.route("/users", methods=["POST"])
@blp.doc(operationId="createUser", security=OPTIONAL)
@blp.arguments(schemas.UserCreate)
@blp.response(201, schemas.User, description="The user was created.", headers=LOCATION)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def createUser(body: dict[str, Any]) -> tuple[User, int, dict[str, str]]:  # noqa: N802 (named after the operationId)
    """Create a user

    The email is normalised (trimmed, lower-cased) and must not belong to another active
    user (409). The password is stored as an Argon2id hash and never returned.
    """
    role = body.get("role", Role.CUSTOMER)
    principal = optional_principal()
    if role is not Role.CUSTOMER and (principal is None or not principal.is_admin):
        raise ForbiddenError("Only an admin may create a user with another role than customer.")
    user = container().users.create(
        body["email"], body["full_name"], body["password"], role, actor(principal)
    )
    return user, 201, {"Location": url_for("users.getUser", user_id=user.id)}


@blp.route("/users", methods=["GET"])
@blp.doc(operationId="listUsers", security=people_or_client(USERS_READ))
@blp.arguments(schemas.ListUsersQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.UserPage, description="One page of users.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def listUsers(  # noqa: N802 (named after the operationId)
    limit: int, cursor: str | None = None, email: str | None = None, status: Any = None
) -> Page:
    """List users

    Users in creation order, `limit` per page (1..100, default 20). Pass the `next_cursor`
    of a page as `cursor` to get the next one; it is null on the last page. `email` matches
    the normalised email exactly; `status` filters active or deactivated users. An admin, or
    an API client with scope users:read.
    """
    require_admin_or_scope(USERS_READ)
    return container().users.list(limit, cursor, email, status)


@blp.route("/users/me", methods=["GET"])
@blp.doc(operationId="getCurrentUser", security=AUTHENTICATED)
@blp.response(200, schemas.User, description="The caller.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def getCurrentUser() -> User:  # noqa: N802 (named after the operationId)
    """Get the caller

    The user the access token belongs to.
    """
    return container().users.get(require_principal().user_id)


@blp.route("/users/<uuid:user_id>", methods=["GET"])
@blp.doc(operationId="getUser", security=people_or_client(USERS_READ))
@blp.response(200, schemas.User, description="The user.")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def getUser(user_id: uuid.UUID) -> User:  # noqa: N802 (named after the operationId)
    """Get a user

    An unknown id, an id that is not a UUID and a deactivated user are all 404 (the record
    of a deactivated user is kept for audit and still listed with `status=deactivated`).
    The user themself, an admin, or an API client with scope users:read.
    """
    readable_by_caller(user_id)
    return container().users.get(user_id)


@blp.route("/users/<uuid:user_id>", methods=["PATCH"])
@blp.doc(operationId="updateUser", security=AUTHENTICATED)
@blp.arguments(schemas.UserUpdate)
@blp.response(200, schemas.User, description="The updated user.")
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def updateUser(body: dict[str, Any], user_id: uuid.UUID) -> User:  # noqa: N802 (named after the operationId)
    """Update a user

    Partial update: only the fields sent change. A new email must not belong to another
    active user (409); a new password replaces the stored hash and signs the user out
    everywhere. Changing one's own password needs `current_password` (422 when missing or
    wrong; a wrong one counts as a failed login); an admin resetting another user's does not.
    """
    principal = self_or_admin(user_id)
    if "role" in body and not principal.is_admin:
        raise ForbiddenError("Only an admin may change a role.")
    services = container()
    if body.get("password") is not None and principal.user_id == user_id:
        services.auth.confirm_password(
            services.users.get(user_id), body.get("current_password"), client_address()
        )
    return services.users.update(
        user_id,
        email=body.get("email"),
        full_name=body.get("full_name"),
        password=body.get("password"),
        role=body.get("role"),
        actor=actor(principal),
    )


@blp.route("/users/<uuid:user_id>", methods=["DELETE"])
@blp.doc(operationId="deleteUser", security=AUTHENTICATED)
@blp.response(204, description="The user is deactivated (also when it already was).")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def deleteUser(user_id: uuid.UUID) -> None:  # noqa: N802 (named after the operationId)
    """Deactivate a user

    Soft delete: the status becomes `deactivated`, `deactivated_at` is set, the record is
    kept for audit and the email is free for a new user. Repeating it is harmless (204).
    """
    principal = self_or_admin(user_id)
    container().users.deactivate(user_id, actor=actor(principal))


@blp.route("/users/<uuid:user_id>/unlock", methods=["POST"])
@blp.doc(operationId="unlockUser", security=AUTHENTICATED)
@blp.response(
    204, description="The user's failed logins are forgotten (also when there were none)."
)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def unlockUser(user_id: uuid.UUID) -> None:  # noqa: N802 (named after the operationId)
    """Unlock a user's sign-in

    Forget the user's failed logins from every address, so that an address that was made to
    wait may sign in at once. The owner's right password from an address that was not failing
    never waits anyway; this is for the owner's own address after too many mistakes. Admin
    only.
    """
    principal = require_admin()
    services = container()
    services.auth.unlock(services.users.get(user_id), actor(principal))
