"""Logging in, refreshing and revoking tokens, and who a bearer token belongs to."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from user_management_service.domain.access_tokens import (
    AccessTokens,
    Caller,
    ClientPrincipal,
    Principal,
)
from user_management_service.domain.audit import Actor, AuditAction, record
from user_management_service.domain.errors import (
    CurrentPasswordError,
    InvalidCredentialsError,
    InvalidTokenError,
    MfaRequiredError,
    ThrottledError,
)
from user_management_service.domain.mfa import MfaService
from user_management_service.domain.passwords import PasswordHasher
from user_management_service.domain.refresh_tokens import RefreshTokens, ReusedRefreshTokenError
from user_management_service.domain.throttle import LoginThrottle, ThrottlePolicy
from user_management_service.domain.unit_of_work import UnitOfWork
from user_management_service.domain.users import Role, Status, User, normalise_email, utc_now

MAX_ADDRESS_LENGTH = 64  # an IPv6 text form; a forged X-Forwarded-For stays short


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class AuthService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        passwords: PasswordHasher,
        access_tokens: AccessTokens,
        *,
        refresh_ttl_seconds: int,
        throttle: ThrottlePolicy,
        mfa: MfaService | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.uow = uow
        self.passwords = passwords
        self.access_tokens = access_tokens
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.throttle = throttle
        self.mfa = mfa
        self.clock = clock

    def login(
        self, email: str, password: str, address: str, otp: str | None = None
    ) -> IssuedTokens:
        """Tokens for an active user's right password. An unknown email, a deactivated user and a
        wrong password get the same error after the same work (no probing); failures count
        towards the throttle (domain/throttle.py), which answers ThrottledError while an
        address must wait, never to the owner's right password from an address that has not
        been failing. A user with a second factor also needs `otp` (MfaRequiredError without
        it; a wrong or replayed one counts as a failure, like a wrong password)."""
        email = normalise_email(email)
        address = address[:MAX_ADDRESS_LENGTH]
        now = self.clock()
        with self.uow() as uow:
            limiter = LoginThrottle(uow.throttle, self.throttle)
            limiter.before_verifying(email, address, now)
            user = uow.users.active_with_email(email)
            if user is None or user.status is not Status.ACTIVE:
                self.passwords.dummy_verify(password)
                verified = False
            else:
                verified = self.passwords.verify(user.password_hash, password)
            try:
                limiter.after_verifying(email, address, verified, now)
            except ThrottledError:
                if not verified:
                    limiter.failed(email, address, now)  # a guess while refused still counts
                uow.commit()
                raise
            if user is None or not verified:
                limiter.failed(email, address, now)
                uow.commit()
                raise InvalidCredentialsError()
            if user.mfa_enabled and self.mfa is not None:
                if not otp:
                    raise MfaRequiredError("This account has a second factor: send `otp` too.")
                if not self.mfa.check(uow, user, otp):
                    limiter.failed(email, address, now)
                    uow.commit()
                    raise MfaRequiredError("The authentication code is wrong or already used.")
            limiter.succeeded(email, address)
            refresh = self._refresh_tokens(uow).issue(user.id)
            uow.commit()
        return self._issued(user, refresh)

    def refresh(self, refresh_token: str) -> IssuedTokens:
        """New tokens for a refresh token, which stops working; see RefreshTokens.rotate."""
        with self.uow() as uow:
            try:
                user_id, refresh = self._refresh_tokens(uow).rotate(refresh_token)
            except ReusedRefreshTokenError:
                uow.commit()  # the family stays revoked although the answer is an error
                raise
            user = uow.users.get(user_id)
            if user is None or user.status is not Status.ACTIVE:
                raise InvalidTokenError("The token's user is no longer active.")
            uow.commit()
        return self._issued(user, refresh)

    def logout(self, refresh_token: str) -> None:
        """Revoke the token's family; an unknown token is no error (nothing to reveal)."""
        with self.uow() as uow:
            self._refresh_tokens(uow).revoke(refresh_token)
            uow.commit()

    def authenticate(self, access_token: str) -> Caller:
        """The caller of a valid access token, with the user's current role: this service is
        the source of truth, so a deactivated user's tokens, and a revoked or expired API
        client's, stop working here at once (elsewhere when they expire)."""
        claimed = self.access_tokens.verify(access_token)
        if isinstance(claimed, ClientPrincipal):
            with self.uow() as uow:
                client = uow.api_clients.get(claimed.client_id)
            if client is None or not client.is_usable(utc_now()):
                raise InvalidTokenError("The token's API client is revoked or expired.")
            return claimed
        with self.uow() as uow:
            user = uow.users.get(claimed.user_id)
        if user is None or user.status is not Status.ACTIVE:
            raise InvalidTokenError("The token's user is no longer active.")
        return Principal(user.id, self._role(user), claimed.token_id)

    def confirm_password(self, user: User, password: str | None, address: str) -> None:
        """Changing one's own password: the current one must be sent, and right. A wrong one
        counts as a failed login of that account from that address (a stolen access token
        must not become a way to guess the password), and waits like one."""
        if not password:
            raise CurrentPasswordError("Send your current password to change it.")
        address = address[:MAX_ADDRESS_LENGTH]
        now = self.clock()
        with self.uow() as uow:
            limiter = LoginThrottle(uow.throttle, self.throttle)
            limiter.before_verifying(user.email, address, now)
            if self.passwords.verify(user.password_hash, password):
                return
            limiter.failed(user.email, address, now)
            uow.commit()
        raise CurrentPasswordError("That is not your current password.")

    def unlock(self, user: User, actor: Actor) -> int:
        """An admin's unlock: forget the account's failed logins from every address (how many
        counters there were). The per-address counters stay: they are not this account's."""
        with self.uow() as uow:
            cleared = LoginThrottle(uow.throttle, self.throttle).unlock(user.email)
            record(uow, actor, AuditAction.USER_UNLOCKED, user.id, counters=str(cleared))
            uow.commit()
        return cleared

    def _refresh_tokens(self, uow: UnitOfWork) -> RefreshTokens:
        return RefreshTokens(uow.refresh_tokens, self.refresh_ttl_seconds)

    def _role(self, user: User) -> Role:
        """The role the user acts in: ADMIN_MFA_REQUIRED makes an admin without a second
        factor a customer until they enrol (in both services: the token says so)."""
        acts_as_customer = self.mfa is not None and self.mfa.acts_as_customer(user)
        return Role.CUSTOMER if acts_as_customer else user.role

    def _issued(self, user: User, refresh_token: str) -> IssuedTokens:
        return IssuedTokens(
            access_token=self.access_tokens.issue(
                user.id,
                self._role(user),
                email_verified=user.email_verified,
                mfa=user.mfa_enabled,
            ),
            expires_in=self.access_tokens.ttl_seconds,
            refresh_token=refresh_token,
            refresh_expires_in=self.refresh_ttl_seconds,
        )
