"""Per-request plumbing: one DB session (committed by the route), request ids, media types."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import UnprocessableEntity, UnsupportedMediaType

from user_management_service.db.repository import SqlRefreshTokenRepository, SqlUserRepository
from user_management_service.domain.passwords import PasswordHashing
from user_management_service.domain.users import UserService

SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
BODY_METHODS = {"POST", "PUT", "PATCH"}
FORM = "application/x-www-form-urlencoded"
FORM_ENDPOINTS = {"auth.createToken"}


class MissingBodyError(UnprocessableEntity):
    description = "The request body is missing."
    data: dict[str, Any] = {"messages": {"json": {"_schema": ["Missing request body."]}}}


def session() -> Session:
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions["ums_session_factory"]
        g.db_session = factory()
    db: Session = g.db_session
    return db


def passwords() -> PasswordHashing:
    hashing: PasswordHashing = current_app.extensions["ums_passwords"]
    return hashing


def user_service() -> UserService:
    return UserService(
        SqlUserRepository(session()), passwords(), SqlRefreshTokenRepository(session())
    )


def register(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.before_request
    def _json_body_required() -> None:
        """webargs reads a missing or non-JSON body as `{}`; say what is wrong instead."""
        if request.routing_exception is not None or request.method not in BODY_METHODS:
            return  # 404/405 win over anything about the body
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
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Content-Type-Options"] = "nosniff"  # OWASP API8
        return response

    @app.teardown_request
    def _close_session(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db_session", None)
        if db is not None:
            db.close()
