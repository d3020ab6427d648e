"""RFC 9457 problem+json answers for every error, and their OpenAPI declarations."""

from __future__ import annotations

import email.message
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from payment_api.domain.errors import DomainError, InvalidFieldError
from payment_api.domain.money import MoneyError

log = logging.getLogger("payment_api")
PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int = Field(ge=100, le=599)
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, bad signature).",
    404: "No such resource.",
    405: "Method not allowed.",
    409: "ConflictError with the current state or a reused Idempotency-Key.",
    415: "The request body is not application/json.",
    422: "Validation failed; `errors` names each offending field.",
    502: "The payment gateway answered with an error.",
    503: "A dependency (database, user service, gateway) is unavailable.",
    504: "The payment gateway timed out.",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error codes, all problem+json with the shared schema."""
    return {
        code: {
            "description": DESCRIPTIONS[code],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def problem(
    request: Request,
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request.scope.get("state", {}).get("request_id"),
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field(loc: tuple[int | str, ...]) -> str:
    # FastAPI puts the union member's name in the loc of a union body: drop CamelCase parts.
    parts = [str(p) for p in loc if not (isinstance(p, str) and p[:1].isupper() and p != "")]
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


def allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "__NONE__"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or [])
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
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
        return problem(request, exc.status, exc.detail, title=exc.title)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, "unexpected error; it has been logged")
