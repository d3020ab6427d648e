"""RFC 9457 problem+json answers for every error, and their OpenAPI declarations."""

from __future__ import annotations

import email.message
import logging
import re
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from payment_api.domain.errors import DomainError, InvalidFieldError, NotAuthenticatedError
from payment_api.domain.money import MoneyError
from payment_api.domain.ports import ForwardedTokenRejectedError
from service_kit.problems import PROBLEM_JSON, PROBLEM_SCHEMA_PATH, problem_body

log = logging.getLogger("payment_api")


class FieldError(BaseModel):
    field: str
    message: str


# The shared RFC 9457 schemas, read from the one file both specs carry verbatim.
PROBLEM_SCHEMAS: dict[str, Any] = yaml.safe_load(PROBLEM_SCHEMA_PATH.read_text("utf-8"))


DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, bad signature).",
    401: "No bearer token, or one that is expired, forged, or for another audience or issuer.",
    403: "The token is valid but may not do this: its role, or an API client's scopes.",
    404: "No such resource (the path's, or one the body refers to).",
    405: "Method not allowed.",
    409: "Conflict with the current state, or an Idempotency-Key reused or still in progress.",
    413: "The request body is larger than 262144 bytes (the problem states the limit).",
    415: "The request body is not application/json.",
    422: "Validation failed; `errors` names each offending field.",
    502: "The payment gateway answered with an error.",
    503: "A dependency (database, user service, gateway) is unavailable.",
    504: "The payment gateway timed out.",
}


WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": 'RFC 6750 challenge: `Bearer realm="payment-api"`, plus '
        '`error="invalid_token"` when a token was sent but is not acceptable (401) or '
        '`error="insufficient_scope"` when its role or scopes are not enough (403, with '
        '`scope="..."` naming the scope the operation needs).',
        "schema": {"type": "string"},
    }
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error codes, all problem+json with the shared schema."""
    return {
        code: {
            "description": DESCRIPTIONS[code],
            **({"headers": WWW_AUTHENTICATE} if code in (401, 403) else {}),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def problem(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        status,
        detail=detail,
        instance=request.url.path,
        request_id=request.scope.get("state", {}).get("request_id"),
        errors=None if errors is None else [e.model_dump() for e in errors],
        kind=kind,
    )
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _is_member(part: object) -> bool:
    return isinstance(part, str) and part[:1].isupper()


def _aimed_member(errors: list[Any]) -> list[Any]:
    """For a union body (line items OR a custom amount) report only the errors of the member
    the caller aimed at: the one whose top-level fields fit (fewest missing or unknown
    fields). A tie keeps every member's errors."""
    groups: dict[str, list[Any]] = {}
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if len(loc) > 1 and loc[0] == "body" and _is_member(loc[1]):
            groups.setdefault(str(loc[1]), []).append(error)
    if len(groups) < 2:
        return errors

    def misfit(member_errors: list[Any]) -> int:
        shape = {"missing", "extra_forbidden"}
        return sum(1 for e in member_errors if e.get("type") in shape and len(e["loc"]) == 3)

    scores = {name: misfit(group) for name, group in groups.items()}
    best = min(scores.values())
    aimed = [name for name, score in scores.items() if score == best]
    if len(aimed) != 1:
        return errors
    others = {id(e) for name, group in groups.items() if name != aimed[0] for e in group}
    return [e for e in errors if id(e) not in others]


def _field(loc: tuple[int | str, ...]) -> str:
    # FastAPI puts the union member's name in the loc of a union body: drop CamelCase parts.
    parts = [str(p) for p in loc if not _is_member(p)]
    return ".".join(parts)


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _walk(routes: list[Any]) -> list[tuple[re.Pattern[str], set[str]]]:
    """(path regex, methods) of every route, looking inside included routers (no prefixes)."""
    table: list[tuple[re.Pattern[str], set[str]]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            table += _walk(list(inner.routes))
        elif getattr(route, "methods", None) and hasattr(route, "path_regex"):
            table.append((route.path_regex, set(route.methods)))
    return table


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route whose path matches: Starlette's 405 names only one route."""
    state = request.app.state
    if getattr(state, "route_table", None) is None:
        state.route_table = _walk(list(request.app.router.routes))
    methods: set[str] = set()
    for regex, route_methods in state.route_table:
        if regex.match(request.url.path):
            methods |= route_methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _aimed_member(list(exc.errors()))
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(request, 400, "request body is not valid JSON")
        body_errors = [e for e in errors if e.get("loc", ("",))[0] == "body"]
        has_body = request.headers.get("content-length", "0") not in ("0", "")
        if body_errors and has_body and not _is_json(request.headers.get("content-type")):
            return problem(request, 415, "send the request body as application/json")
        fields = [
            FieldError(field=_field(tuple(e.get("loc", ()))), message=str(e.get("msg", "")))
            for e in errors
        ]
        detail = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
        return problem(request, 422, detail, errors=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(InvalidFieldError)
    async def _invalid(request: Request, exc: InvalidFieldError) -> JSONResponse:
        return problem(
            request, 422, exc.detail, errors=[FieldError(field=exc.field, message=exc.message)]
        )

    @app.exception_handler(MoneyError)
    async def _money(request: Request, exc: MoneyError) -> JSONResponse:
        field = f"body.{exc.field}"
        return problem(request, 422, str(exc), errors=[FieldError(field=field, message=str(exc))])

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(request, exc.status, exc.detail, kind=exc.kind, headers=exc.headers)

    @app.exception_handler(ForwardedTokenRejectedError)
    async def _token_rejected(request: Request, exc: ForwardedTokenRejectedError) -> JSONResponse:
        # Our checks passed but the identity provider, the source of truth, refuses the token
        # (its user was deactivated since it was issued): the caller must log in again.
        refused = NotAuthenticatedError(
            "the user service no longer accepts this token (user deactivated or token revoked)",
            realm="payment-api",
            error="invalid_token",
        )
        return problem(request, 401, refused.detail, headers=refused.headers)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold: NUL in text on PostgreSQL, too long, out of range.
        log.warning("unstorable value on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            request, 422, "a value cannot be stored (NUL character, too long or out of range)"
        )

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem(request, 503, "database unavailable, try again later")
