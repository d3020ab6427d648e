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


class InvalidCursorError(DomainError):
    pass


class UserDeactivatedError(DomainError):
    """The user was soft-deleted: kept for audit, not found for the API (404)."""

    def __init__(self, user_id: object) -> None:
        super().__init__(f"user {user_id} was deactivated")
