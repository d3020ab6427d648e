"""Account recovery and verified email: the use cases behind the mailed links."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from user_management_service.domain import account_tokens
from user_management_service.domain.account_tokens import Purpose
from user_management_service.domain.audit import Actor, AuditAction, record
from user_management_service.domain.authentication import MAX_ADDRESS_LENGTH
from user_management_service.domain.errors import (
    AlreadyVerifiedError,
    InvalidAccountTokenError,
    ThrottledError,
    UserNotFoundError,
)
from user_management_service.domain.mail import MailKind, queue
from user_management_service.domain.passwords import PasswordHasher
from user_management_service.domain.throttle import LoginThrottle, ThrottlePolicy
from user_management_service.domain.unit_of_work import UnitOfWork
from user_management_service.domain.users import (
    Status,
    User,
    normalise_email,
    set_password,
    utc_now,
)

log = logging.getLogger("user_management_service.recovery")


class AccountRecovery:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        passwords: PasswordHasher,
        throttle: ThrottlePolicy,
        *,
        max_resets_per_address: int = 10,
    ) -> None:
        self.uow = uow
        self.passwords = passwords
        self.throttle = throttle
        self.max_resets_per_address = max_resets_per_address

    def request_password_reset(self, email: str, address: str, now: float | None = None) -> None:
        """Queue a reset mail. The same work and the same answer whether or not an account has
        this email: the worker finds out, and mails only an active account's owner. One client
        address asks at most `max_resets_per_address` times per two throttle windows (the
        login counters' memory): past it ThrottledError, whatever the email, so the limit
        tells nothing about accounts while stopping one address from queueing mail in bulk."""
        now = time.time() if now is None else now
        key = f"reset:{address[:MAX_ADDRESS_LENGTH]}"
        window = 2 * self.throttle.window_seconds
        with self.uow() as uow:
            counter = uow.throttle.get(key)
            if (
                counter is not None
                and counter.failures >= self.max_resets_per_address
                and now - counter.last_failure_at < window
            ):
                wait = math.ceil(counter.last_failure_at + window - now)
                log.warning("password reset refused: address %s asked %d times, %d s to wait",
                            address[:64], counter.failures, wait)  # fmt: skip
                raise ThrottledError(max(1, wait), "password reset requests from this address")
            uow.throttle.add_failure(key, now, window)
            queue(uow, MailKind.PASSWORD_RESET, normalise_email(email))
            uow.commit()

    def reset_password(self, token: str, new_password: str, actor: Actor) -> None:
        """A reset link's new password: every session of the user ends (refresh tokens
        revoked), every other reset link stops working, the account's failed logins are
        forgotten, and the owner is told by mail."""
        password_hash = self.passwords.hash(new_password)  # before the transaction: CPU-bound
        now = utc_now()
        with self.uow() as uow:
            redeemed = account_tokens.redeem(uow.account_tokens, Purpose.PASSWORD_RESET, token, now)
            user = uow.users.get(redeemed.user_id)
            if user is None or user.status is not Status.ACTIVE:
                raise InvalidAccountTokenError("The link's account is no longer active.")
            set_password(uow, user, password_hash, now)
            uow.account_tokens.use_all(user.id, Purpose.PASSWORD_RESET, now)
            LoginThrottle(uow.throttle, self.throttle).unlock(user.email)
            record(uow, replace(actor, user_id=user.id), AuditAction.PASSWORD_RESET, user.id)
            uow.commit()

    def request_verification(self, user_id: uuid.UUID) -> None:
        """Mail a new verification link to the user's current email."""
        with self.uow() as uow:
            user = uow.users.get(user_id)
            if user is None or user.status is not Status.ACTIVE:
                raise UserNotFoundError(user_id)
            if user.email_verified_at is not None:
                raise AlreadyVerifiedError(f"{user.email} is verified already.")
            queue(uow, MailKind.EMAIL_VERIFICATION, user.email, user.id)
            uow.commit()

    def verify_email(self, token: str) -> User:
        """The link's email is verified, if it is still the user's."""
        now = utc_now()
        with self.uow() as uow:
            redeemed = account_tokens.redeem(
                uow.account_tokens, Purpose.EMAIL_VERIFICATION, token, now
            )
            user = uow.users.get(redeemed.user_id)
            if user is None or user.status is not Status.ACTIVE or user.email != redeemed.email:
                raise InvalidAccountTokenError(
                    "The link is for an email the account no longer has."
                )
            if user.email_verified_at is None:
                user.email_verified_at = now
                user.updated_at = now
                uow.users.save(user)
            uow.commit()
        return user
