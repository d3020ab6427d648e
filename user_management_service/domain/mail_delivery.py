"""The worker's half of mail (domain/mail.py): compose a leased job and send it.

A reset or verification job gets its one-time token when it is composed, right before it is
sent, so no plain token ever sits in the database; a mail server that fails is retried with
growing delays for a day, then the job is given up as failed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from user_management_service.domain import account_tokens
from user_management_service.domain.account_tokens import Purpose
from user_management_service.domain.mail import (
    Mailer,
    MailerError,
    MailJob,
    MailKind,
    MailRenderer,
    MailState,
    Message,
)
from user_management_service.domain.unit_of_work import UnitOfWork
from user_management_service.domain.users import Status, utc_now

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class MailPolicy:
    links_url: str  # the page a link opens: `<links_url>/reset-password?token=…`
    reset_ttl: timedelta = timedelta(minutes=30)
    verification_ttl: timedelta = timedelta(hours=48)
    max_resets_per_hour: int = 3  # per recipient: a stranger cannot flood an inbox
    retry_base: timedelta = timedelta(seconds=15)
    retry_cap: timedelta = timedelta(minutes=30)
    give_up_after: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(minutes=2)  # longer than one SMTP conversation may take

    def delay(self, attempts: int, rand: float) -> timedelta:
        """After the n-th failure: between half and all of min(cap, base * 2^(n-1))."""
        full = min(
            self.retry_cap.total_seconds(), self.retry_base.total_seconds() * 2 ** (attempts - 1)
        )
        return timedelta(seconds=full / 2 + full / 2 * rand)


@dataclass(frozen=True)
class Composed:
    message: Message | None
    note: str | None = None  # why nothing is sent


class MailDelivery:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        renderer: MailRenderer,
        mailer: Mailer,
        policy: MailPolicy,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.uow = uow
        self.renderer = renderer
        self.mailer = mailer
        self.policy = policy
        self.rand = rand

    def claim(self, limit: int) -> list[MailJob]:
        now = utc_now()
        with self.uow() as uow:
            jobs = uow.mail.claim(now, limit, now + self.policy.lease)
            uow.commit()
        return jobs

    def deliver(self, job: MailJob) -> MailState:
        """Compose and send one leased job; what became of it (PENDING: retried later)."""
        now = utc_now()
        with self.uow() as uow:
            composed = self._compose(uow, job, now)
            if composed.message is None:
                uow.mail.finish(job.id, MailState.DROPPED, now, composed.note)
            uow.commit()  # a token is stored before its link leaves
        if composed.message is None:
            return MailState.DROPPED
        try:
            self.mailer.send(composed.message)
        except MailerError as exc:
            return self._failed(job, str(exc)[:MAX_ERROR_LENGTH] or type(exc).__name__)
        with self.uow() as uow:
            uow.mail.finish(job.id, MailState.SENT, utc_now(), None)
            uow.commit()
        return MailState.SENT

    def pending(self) -> int:
        with self.uow() as uow:
            return uow.mail.pending_count()

    def _failed(self, job: MailJob, error: str) -> MailState:
        now = utc_now()
        attempts = job.attempts + 1
        with self.uow() as uow:
            if now - job.created_at >= self.policy.give_up_after:
                uow.mail.finish(job.id, MailState.FAILED, now, error)
                state = MailState.FAILED
            else:
                retry_at = now + self.policy.delay(attempts, self.rand())
                uow.mail.retry(job.id, attempts, retry_at, error)
                state = MailState.PENDING
            uow.commit()
        return state

    def _compose(self, uow: UnitOfWork, job: MailJob, now: datetime) -> Composed:
        p = self.policy
        if job.kind is MailKind.PASSWORD_RESET:
            user = uow.users.active_with_email(job.recipient)
            if user is None or user.status is not Status.ACTIVE:
                return Composed(None, "no active account has this email")
            if uow.mail.sent_since(job.recipient, job.kind, now - timedelta(hours=1)) >= (
                p.max_resets_per_hour
            ):
                return Composed(None, f"{p.max_resets_per_hour} reset mails in the last hour")
            token = account_tokens.issue(
                uow.account_tokens, Purpose.PASSWORD_RESET, user.id, user.email, p.reset_ttl, now
            )
            context: dict[str, object] = {
                "name": user.full_name,
                "link": f"{p.links_url}/reset-password?token={token}",
                "minutes": int(p.reset_ttl.total_seconds() // 60),
            }
        else:
            found = uow.users.get(job.user_id) if job.user_id else None
            if found is None or found.status is not Status.ACTIVE:
                return Composed(None, "the user is no longer active")
            user = found
            context = {"name": user.full_name, "email": user.email}
            if job.kind is MailKind.EMAIL_VERIFICATION:
                if user.email != job.recipient:
                    return Composed(None, "the user's email changed since")
                if user.email_verified_at is not None:
                    return Composed(None, "the email is verified already")
                token = account_tokens.issue(
                    uow.account_tokens, Purpose.EMAIL_VERIFICATION, user.id, user.email,
                    p.verification_ttl, now,
                )  # fmt: skip
                context["link"] = f"{p.links_url}/verify-email?token={token}"
                context["hours"] = int(p.verification_ttl.total_seconds() // 3600)
            else:
                context["link"] = f"{p.links_url}/forgot-password"
        return Composed(self.renderer.render(job.kind, job.recipient, context))
