"""Every error answer as RFC 9457 application/problem+json, whatever raised it."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, Response, current_app, json, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from service_kit.logs import current_request_id
from service_kit.problems import PROBLEM_JSON, problem_body
from user_management_service.domain.errors import (
    AlreadyVerifiedError,
    ApiClientNotFoundError,
    CurrentPasswordError,
    EmailTakenError,
    ForbiddenError,
    InsufficientScopeError,
    InvalidAccountTokenError,
    InvalidClientError,
    InvalidCredentialsError,
    InvalidCursorError,
    InvalidEndUserAddressError,
    InvalidScopeError,
    InvalidTokenError,
    MfaRequiredError,
    MfaStateError,
    SelfLockoutError,
    ThrottledError,
    UserDeactivatedError,
    UserNotFoundError,
    WrongCodeError,
)

LOCATIONS = {
    "json": "body",
    "form": "body",
    "query": "query",
    "querystring": "query",
    "view_args": "path",
}
log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> Response:
    body = problem_body(
        status,
        detail=detail or None,
        instance=request.path,
        request_id=current_request_id() or "",
        errors=errors or None,
        kind=kind,
    )
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(prefix: str, messages: Any) -> Iterator[dict[str, str]]:
    """webargs/marshmallow nested messages -> [{field: "body.email", message: ...}]."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = prefix if key == "_schema" else f"{prefix}.{key}"
            yield from _flatten(name, value)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield {"field": prefix, "message": message}
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from _flatten(f"{prefix}.{index}", value)
    else:
        yield {"field": prefix, "message": str(messages)}


def validation_errors(data: Mapping[str, Any] | None) -> list[dict[str, str]]:
    messages = (data or {}).get("messages") or {}
    errors: list[dict[str, str]] = []
    for location, fields in messages.items():
        errors.extend(_flatten(LOCATIONS.get(location, location), fields))
    return errors


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 422:
        errors = validation_errors(getattr(exc, "data", None))
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.description
        return problem(422, detail, errors=errors)
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(set(exc.valid_methods)))
    detail = exc.description
    if status == 400:  # the only 400 here: webargs could not decode the JSON body
        detail = "The request body is not valid JSON."
    if status == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        detail = f"The request body is larger than the limit of {limit} bytes."
    return problem(status, detail, headers=headers)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)

    @app.errorhandler(UserNotFoundError)
    def _not_found(exc: UserNotFoundError) -> Response:
        return problem(404, str(exc))

    @app.errorhandler(UserDeactivatedError)
    def _gone(exc: UserDeactivatedError) -> Response:
        return problem(404, str(exc))

    @app.errorhandler(EmailTakenError)
    def _conflict(exc: EmailTakenError) -> Response:
        return problem(409, str(exc), errors=[{"field": "body.email", "message": str(exc)}])

    @app.errorhandler(SelfLockoutError)
    def _self_lockout(exc: SelfLockoutError) -> Response:
        return problem(409, str(exc))

    @app.errorhandler(CurrentPasswordError)
    @app.errorhandler(InvalidAccountTokenError)
    @app.errorhandler(WrongCodeError)
    @app.errorhandler(InvalidEndUserAddressError)
    def _field_refused(
        exc: CurrentPasswordError
        | InvalidAccountTokenError
        | WrongCodeError
        | InvalidEndUserAddressError,
    ) -> Response:
        return problem(422, str(exc), errors=[{"field": exc.field, "message": str(exc)}])

    @app.errorhandler(AlreadyVerifiedError)
    @app.errorhandler(MfaStateError)
    def _state_conflict(exc: AlreadyVerifiedError | MfaStateError) -> Response:
        return problem(409, str(exc))

    @app.errorhandler(MfaRequiredError)
    def _mfa_required(exc: MfaRequiredError) -> Response:
        from user_management_service.api.security import REALM

        headers = {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
        return problem(401, str(exc), headers=headers, kind="mfa-required")

    @app.errorhandler(InvalidCursorError)
    def _cursor(exc: InvalidCursorError) -> Response:
        return problem(422, str(exc), errors=[{"field": "query.cursor", "message": str(exc)}])

    @app.errorhandler(InvalidTokenError)
    def _invalid_token(exc: InvalidTokenError) -> Response:
        from user_management_service.api.security import www_authenticate

        return problem(401, str(exc), headers={"WWW-Authenticate": www_authenticate(exc)})

    @app.errorhandler(InvalidCredentialsError)
    def _bad_credentials(exc: InvalidCredentialsError) -> Response:
        from user_management_service.api.security import REALM

        return problem(401, str(exc), headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})

    @app.errorhandler(ForbiddenError)
    def _forbidden(exc: ForbiddenError) -> Response:
        if isinstance(exc, InsufficientScopeError):
            from user_management_service.api.security import insufficient_scope

            return problem(403, str(exc), headers={"WWW-Authenticate": insufficient_scope(exc)})
        return problem(403, str(exc))

    @app.errorhandler(ApiClientNotFoundError)
    def _no_client(exc: ApiClientNotFoundError) -> Response:
        return problem(404, str(exc))

    @app.errorhandler(InvalidScopeError)
    def _scope(exc: InvalidScopeError) -> Response:
        return problem(422, str(exc), errors=[{"field": exc.field, "message": str(exc)}])

    @app.errorhandler(InvalidClientError)
    def _bad_client(exc: InvalidClientError) -> Response:
        """RFC 6749 §5.2: a client that authenticated with HTTP Basic gets a Basic challenge."""
        from user_management_service.api.security import REALM

        scheme = "Basic" if request.authorization is not None else "Bearer"
        return problem(401, str(exc), headers={"WWW-Authenticate": f'{scheme} realm="{REALM}"'})

    @app.errorhandler(ThrottledError)
    def _throttled(exc: ThrottledError) -> Response:
        return problem(429, str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError) -> Response:
        log.error("database unavailable: %s", exc)
        return problem(503, "The database is unavailable; try again later.")

    @app.errorhandler(DBAPIError)
    def _db_error(exc: DBAPIError) -> Response:
        if exc.connection_invalidated:
            return problem(503, "The database connection was lost; try again later.")
        log.exception("database error")
        return problem(500, "Unexpected database error.")

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        # json.loads of a body nested thousands of levels deep (webargs does not catch it).
        return problem(400, "The request body is nested too deeply.")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Unexpected error; it was logged.")
