"""Per-request plumbing: the container, request ids, media types, the session's end."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import UnprocessableEntity, UnsupportedMediaType

from service_kit.logs import REQUEST_ID, current_request_id
from user_management_service.container import Container
from user_management_service.domain.access_tokens import Principal
from user_management_service.domain.audit import Actor, ActorKind

EXTENSION = "user_management_service"  # the one app.extensions key: the Container
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
BODY_METHODS = {"POST", "PUT", "PATCH"}
FORM = "application/x-www-form-urlencoded"
FORM_ENDPOINTS = {"auth.createToken"}
# POSTs that take no body (an action on a path)
BODYLESS_ENDPOINTS = {
    "users.unlockUser",
    "account.requestEmailVerification",
    "api_clients.revokeApiClient",
    "mfa.resetUserMfa",
}


class MissingBodyError(UnprocessableEntity):
    description = "The request body is missing."
    data: dict[str, Any] = {"messages": {"json": {"_schema": ["Missing request body."]}}}


def container_of(app: Flask) -> Container:
    found: Container = app.extensions[EXTENSION]
    return found


def container() -> Container:
    """The application's container, while a request (or app context) is active."""
    return container_of(current_app)


def client_address() -> str:
    """The client's address (X-Forwarded-For only behind TRUSTED_PROXY_HOPS proxies)."""
    return request.remote_addr or "unknown"


def actor(principal: Principal | None) -> Actor:
    """Who makes this request, from where, under which request id (the audit trail's)."""
    return Actor(
        ActorKind.USER,
        principal.user_id if principal is not None else None,
        is_admin=principal is not None and principal.is_admin,
        address=client_address(),
        request_id=current_request_id(),
    )


def register(app: Flask, services: Container) -> None:
    app.extensions[EXTENSION] = services

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        REQUEST_ID.set(incoming if SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex)

    @app.before_request
    def _json_body_required() -> None:
        """webargs reads a missing or non-JSON body as `{}`; say what is wrong instead."""
        if request.routing_exception is not None or request.method not in BODY_METHODS:
            return  # 404/405 win over anything about the body
        if request.endpoint in BODYLESS_ENDPOINTS:
            return
        has_body = bool(request.content_length) or bool(request.headers.get("Transfer-Encoding"))
        if not has_body:
            raise MissingBodyError()
        if request.endpoint in FORM_ENDPOINTS:
            if request.mimetype != FORM:
                raise UnsupportedMediaType(f"Send the body as {FORM}.")
            return
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as application/json.")

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = current_request_id() or uuid.uuid4().hex
        response.headers["X-Content-Type-Options"] = "nosniff"  # OWASP API8
        return response

    @app.teardown_request
    def _end_request(_exc: BaseException | None) -> None:
        services.end_session()
        REQUEST_ID.set(None)  # the worker's thread serves the next request
