"""Domain failures; the HTTP layer maps each to one problem+json status."""

from __future__ import annotations

from payment_api.domain.ports import GatewayError


class DomainError(Exception):
    """`status` picks the problem type (specs/common/problem-types.yaml); `kind` names a
    finer one where clients branch on it."""

    status = 400
    kind: str | None = None
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    status = 404


class ConflictError(DomainError):
    status = 409


class IdempotencyConflictError(ConflictError):
    """The Idempotency-Key was used for another request, or its request is still at work."""

    kind = "idempotency-conflict"


class InvalidFieldError(DomainError):
    """Input that is well formed but not acceptable; `field` is e.g. `body.user_id`."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DependencyError(DomainError):
    """A dependency (gateway, user service) failed: 502, 503 or 504, never a 500."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


GATEWAY_STATUS = {"bad_gateway": 502, "rejected": 502, "unavailable": 503, "timeout": 504,
                  "conflict": 409}  # fmt: skip


def gateway_failure(exc: GatewayError) -> DependencyError:
    return DependencyError(GATEWAY_STATUS[exc.kind], exc.detail)


class DuplicateError(Exception):
    """A repository refused a record whose unique key exists already (a racing twin won)."""


class NotAuthenticatedError(DomainError):
    """No usable bearer token: 401 with a `WWW-Authenticate: Bearer` challenge (RFC 6750)."""

    status = 401

    def __init__(self, detail: str, *, realm: str, error: str | None = None) -> None:
        super().__init__(detail)
        challenge = f'Bearer realm="{realm}"'
        if error:
            description = "".join(
                c if " " <= c <= "~" and c not in '"\\' else "'" for c in detail
            )  # a quoted-string of printable ASCII
            challenge += f', error="{error}", error_description="{description}"'
        self.headers = {"WWW-Authenticate": challenge}


class ForbiddenError(DomainError):
    """A valid token whose role or scopes may not do this: 403 (`error="insufficient_scope"`,
    with `scope="..."` naming the scope the operation needs when it has one, RFC 6750 3.1)."""

    status = 403

    def __init__(self, detail: str, *, realm: str, scope: str | None = None) -> None:
        super().__init__(detail)
        challenge = f'Bearer realm="{realm}", error="insufficient_scope"'
        if scope:
            challenge += f', scope="{scope}"'
        self.headers = {"WWW-Authenticate": challenge}
