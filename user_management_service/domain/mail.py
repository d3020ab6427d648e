"""Mail to users, off the request path: a queue in the database (this module), delivered by
the worker (domain/mail_delivery.py, user_management_service/worker.py).

A use case queues a job in its own transaction (`queue`), so the mail exists exactly when the
change that causes it does, and a slow or absent mail server never slows a request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from user_management_service.domain.unit_of_work import UnitOfWork


class MailKind(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a password)
    EMAIL_VERIFICATION = "email_verification"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105


class MailState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"  # nothing to send: no such account, verified already, too many
    FAILED = "failed"  # the mail server refused it for the whole retry window


@dataclass(frozen=True)
class MailJob:
    id: uuid.UUID
    kind: MailKind
    recipient: str
    user_id: uuid.UUID | None
    created_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str


class MailJobRepository(Protocol):
    def add(self, job: MailJob) -> None: ...

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[MailJob]:
        """Due pending jobs, leased to the caller until `lease_until`, oldest first."""
        ...

    def finish(
        self, job_id: uuid.UUID, state: MailState, now: datetime, note: str | None
    ) -> None: ...

    def retry(
        self, job_id: uuid.UUID, attempts: int, next_attempt_at: datetime, error: str
    ) -> None: ...

    def sent_since(self, recipient: str, kind: MailKind, since: datetime) -> int: ...

    def pending_count(self) -> int: ...


class MailRenderer(Protocol):
    def render(self, kind: MailKind, to: str, context: Mapping[str, object]) -> Message: ...


class MailerError(Exception):
    """The mail server could not take the message (down, refused, timed out)."""


class Mailer(Protocol):
    def send(self, message: Message) -> None:
        """Hand the message to the mail server; MailerError when it does not take it."""
        ...


def queue(
    uow: UnitOfWork, kind: MailKind, recipient: str, user_id: uuid.UUID | None = None
) -> None:
    """Queue a mail in the caller's transaction (committed, or not, with it)."""
    uow.mail.add(MailJob(uuid.uuid4(), kind, recipient, user_id, datetime.now(UTC)))
