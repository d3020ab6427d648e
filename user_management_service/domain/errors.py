"""Domain errors; the HTTP layer maps each one to a problem+json answer."""

from __future__ import annotations


class DomainError(Exception):
    pass


class UserNotFoundError(DomainError):
    def __init__(self, user_id: object) -> None:
        super().__init__(f"no user with id {user_id}")


class EmailTakenError(DomainError):
    def __init__(self, email: str) -> None:
        super().__init__(f"an active user already has the email {email}")
        self.email = email


class SelfLockoutError(DomainError):
    """An admin may not deactivate or demote themself: another admin must (409). Keeps a
    platform from losing its last admin by one click, and an admin from cutting off their
    own session mid-operation."""


class InvalidCursorError(DomainError):
    pass


class UserDeactivatedError(DomainError):
    """The user was soft-deleted: kept for audit, not found for the API (404)."""

    def __init__(self, user_id: object) -> None:
        super().__init__(f"user {user_id} was deactivated")


class InvalidCredentialsError(DomainError):
    """Unknown email, wrong password or deactivated user: one answer for all (no probing)."""

    def __init__(self) -> None:
        super().__init__("The email or the password is wrong.")


class InvalidTokenError(DomainError):
    """A bearer or refresh token that is missing, expired, badly signed or revoked (401)."""

    def __init__(self, detail: str, *, missing: bool = False) -> None:
        super().__init__(detail)
        self.missing = missing


class ForbiddenError(DomainError):
    """Authenticated, but this role may not do that (403)."""


class ThrottledError(DomainError):
    def __init__(self, retry_after: int, what: str = "failed logins") -> None:
        super().__init__(f"Too many {what}; retry after {retry_after} seconds.")
        self.retry_after = retry_after


class CurrentPasswordError(DomainError):
    """Changing one's own password needs the current one: missing or wrong (422, the field)."""

    field = "body.current_password"


class WeakPasswordError(DomainError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidAccountTokenError(DomainError):
    """A reset or verification token that is unknown, expired or used (422 on body.token)."""

    field = "body.token"


class AlreadyVerifiedError(DomainError):
    """Asking to verify an email that is verified already (409)."""


class ApiClientNotFoundError(DomainError):
    def __init__(self, client_id: str) -> None:
        super().__init__(f"no API client with id {client_id}")


class InvalidClientError(DomainError):
    """Client authentication failed (RFC 6749 §5.2 invalid_client): unknown client, wrong
    secret, revoked or expired; one answer for all (401)."""

    def __init__(self, detail: str = "The client id or the client secret is wrong.") -> None:
        super().__init__(detail)


class InvalidScopeError(DomainError):
    """A scope asked for or granted that is unknown or not the client's (422, the field)."""

    def __init__(self, detail: str, field: str = "body.scope") -> None:
        super().__init__(detail)
        self.field = field


class InsufficientScopeError(ForbiddenError):
    """A machine token without the operation's scope (403, RFC 6750 §3.1)."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"This operation needs the scope {scope}.")
        self.scope = scope


class MfaStateError(DomainError):
    """An MFA step that does not fit the user's state: enrol twice, confirm nothing (409)."""


class WrongCodeError(DomainError):
    """A TOTP or recovery code that is wrong, already used, or from too long ago (422)."""

    field = "body.code"

    def __init__(self) -> None:
        super().__init__("The code is wrong or was already used.")


class MfaRequiredError(DomainError):
    """The password was right, but the account has a second factor: send `otp` too (401,
    problem type mfa-required). Also a wrong or used `otp` at login."""


class InvalidEndUserAddressError(DomainError):
    """A forwarded end-user address that is not an IP address (422 naming the header)."""

    def __init__(self, header: str) -> None:
        super().__init__("Not an IPv4 or IPv6 address.")
        self.field = f"header.{header}"
