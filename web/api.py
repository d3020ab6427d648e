"""The two APIs through their generated SDKs, with the session's tokens.

Every call goes through `Api`: it sends the session's access token, refreshes it (rotation)
when it is close to expiry or got a 401, and turns what can go wrong into three exceptions the
pages know how to show: `SignInRequired`, `ServiceUnavailable` (connection refused, timeout,
503) and `ApiError` (an RFC 9457 problem, with its field errors).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import httpx
import payment_api_client as pa
import user_management_client as um
from user_management_client.api.auth import refresh_token
from user_management_client.models import RefreshRequest, TokenResponse

from web.sessions import RefreshBusy, Session, SessionStore, Tokens
from web.settings import Settings

if TYPE_CHECKING:
    from web.machine import MachineCredential

log = logging.getLogger("web.api")
END_USER_HEADER = "X-End-User-Address"  # honoured by the user service for auth:proxy tokens

SERVICE_NAMES = {"users": "account service", "payments": "payment service"}


class ServiceUnavailable(Exception):  # noqa: N818 (a state, shown as a page)
    def __init__(self, service: str, reason: str = "") -> None:
        self.service = service
        super().__init__(f"{SERVICE_NAMES.get(service, service)} unavailable: {reason}")


class SignInRequired(Exception):  # noqa: N818
    """No session tokens, or the user service refused them: sign in (again)."""


@dataclass
class ApiError(Exception):
    status: int
    title: str = ""
    detail: str = ""
    problem_type: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    def field_errors(self, aliases: dict[str, str] | None = None) -> dict[str, str]:
        """`body.email` -> `email` (the form field), `body.price.amount` -> `price`, ..."""
        found: dict[str, str] = {}
        for name, message in self.errors:
            parts = name.split(".")
            if parts and parts[0] in {"body", "query", "path", "header"}:
                parts = parts[1:]
            key = ".".join(parts)
            for candidate in (key, parts[0] if parts else ""):
                if aliases and candidate in aliases:
                    key = aliases[candidate]
                    break
            else:
                key = parts[0] if parts else ""
            found.setdefault(key, message)
        return found


class HasStatus(Protocol):
    @property
    def status_code(self) -> HTTPStatus: ...

    @property
    def content(self) -> bytes: ...

    @property
    def parsed(self) -> Any: ...


R = TypeVar("R", bound=HasStatus)
T = TypeVar("T")


def problem_of(response: HasStatus) -> ApiError:
    """The problem an answer carries (read from its JSON, whichever SDK it came from)."""
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = [
        (str(e.get("field", "")), str(e.get("message", "")))
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    return ApiError(
        status=int(response.status_code),
        title=str(body.get("title", "")),
        detail=str(body.get("detail", "")),
        problem_type=str(body.get("type", "")),
        errors=errors,
    )


def unwrap(response: HasStatus, expected: type[T]) -> T:
    """The parsed body if it is an `expected`, else the answer's problem as ApiError."""
    if isinstance(response.parsed, expected):
        return response.parsed
    raise problem_of(response)


def expect(response: HasStatus, *statuses: int) -> None:
    if int(response.status_code) not in statuses:
        raise problem_of(response)


class Transports:
    """One connection pool per service, shared by every request's SDK client."""

    def __init__(self) -> None:
        self.users = httpx.HTTPTransport(retries=0)
        self.payments = httpx.HTTPTransport(retries=0)

    def close(self) -> None:
        self.users.close()
        self.payments.close()


class Api:
    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        session: Session,
        transports: Transports,
        request_id: str = "",
        machine: MachineCredential | None = None,
        end_user_address: str = "",
    ) -> None:
        self.settings = settings
        self.machine = machine
        self.end_user_address = end_user_address  # the shopper's, as this server sees it
        self.store = store
        self.session = session
        self.transports = transports
        self.headers = {"X-Request-ID": request_id} if request_id else {}

    # -- clients ----------------------------------------------------------------------
    def _httpx(self, service: str) -> dict[str, Any]:
        transport = self.transports.users if service == "users" else self.transports.payments
        return {"transport": transport}

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.settings.api_timeout_seconds)

    def _users_client(self, token: str | None) -> um.AuthenticatedClient:
        if token is None:
            # The generator types operations whose security includes `{}` (createUser) as
            # needing an AuthenticatedClient; a plain Client is what they accept without one.
            plain = um.Client(
                base_url=self.settings.user_service_url,
                timeout=self._timeout(),
                headers=self.headers,
                httpx_args=self._httpx("users"),
            )
            return cast(um.AuthenticatedClient, plain)
        return um.AuthenticatedClient(
            base_url=self.settings.user_service_url,
            token=token,
            timeout=self._timeout(),
            headers=self.headers,
            httpx_args=self._httpx("users"),
        )

    def _payments_client(self, token: str | None) -> pa.AuthenticatedClient:
        if token is None:
            # listProducts/getProduct are public (security `{}` among others): no token.
            plain = pa.Client(
                base_url=self.settings.payment_service_url,
                timeout=self._timeout(),
                headers=self.headers,
                httpx_args=self._httpx("payments"),
            )
            return cast(pa.AuthenticatedClient, plain)
        return pa.AuthenticatedClient(
            base_url=self.settings.payment_service_url,
            token=token,
            timeout=self._timeout(),
            headers=self.headers,
            httpx_args=self._httpx("payments"),
        )

    # -- calls ------------------------------------------------------------------------
    def public_users(self, fn: Callable[[um.AuthenticatedClient], R]) -> R:
        return self._send("users", lambda: fn(self._users_client(None)))

    def for_end_user(self, fn: Callable[[um.AuthenticatedClient], R]) -> R:
        """A public user-service call made for the shopper (sign-in, a reset request): with the
        web's machine token (auth:proxy) and the shopper's address, so that the throttles
        count the shopper, not this server. Without a machine credential, or when it cannot
        get a token, a plain public call (every shopper then shares this server's address)."""
        if self.machine is None or not self.end_user_address:
            return self.public_users(fn)
        try:
            token = self.machine.token()
        except ServiceUnavailable:
            log.warning("no machine token: the shopper's address is not forwarded")
            return self.public_users(fn)
        headers = {**self.headers, END_USER_HEADER: self.end_user_address}

        def call(bearer: str) -> R:
            client = um.AuthenticatedClient(
                base_url=self.settings.user_service_url,
                token=bearer,
                timeout=self._timeout(),
                headers=headers,
                httpx_args=self._httpx("users"),
            )
            return self._send("users", lambda: fn(client))

        response = call(token)
        refused = getattr(response, "headers", {}).get("WWW-Authenticate", "")
        if response.status_code == HTTPStatus.UNAUTHORIZED and "invalid_token" in refused:
            try:
                response = call(self.machine.renew(stale=token))
            except ServiceUnavailable:
                return self.public_users(fn)
        return response

    def public_payments(self, fn: Callable[[pa.AuthenticatedClient], R]) -> R:
        return self._send("payments", lambda: fn(self._payments_client(None)))

    def users(self, fn: Callable[[um.AuthenticatedClient], R]) -> R:
        return self._authorized("users", lambda token: fn(self._users_client(token)))

    def payments(self, fn: Callable[[pa.AuthenticatedClient], R]) -> R:
        return self._authorized("payments", lambda token: fn(self._payments_client(token)))

    def catalogue(self, fn: Callable[[pa.AuthenticatedClient], R]) -> R:
        """Product reads: with the token when signed in (admins see inactive products),
        without one otherwise."""
        if self.session.tokens is None:
            return self.public_payments(fn)
        return self.payments(fn)

    def machine_payments(self, fn: Callable[[pa.AuthenticatedClient], R]) -> R:
        """With the web's own machine token (guest checkout, web/machine.py), fetched again
        once when the payment service answers 401; never a session's tokens."""
        if self.machine is None:
            raise ServiceUnavailable("payments", "guest checkout is off (no API client)")
        machine = self.machine
        token = machine.token()
        response = self._send("payments", lambda: fn(self._payments_client(token)))
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            token = machine.renew(stale=token)
            response = self._send("payments", lambda: fn(self._payments_client(token)))
            if response.status_code == HTTPStatus.UNAUTHORIZED:
                log.error("the payment service refused a fresh machine token of the web")
                raise ServiceUnavailable("payments", "the web's machine token was refused")
        return response

    def _authorized(self, service: str, call: Callable[[str], R]) -> R:
        token = self.access_token()
        response = self._send(service, lambda: call(token))
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            token = self._refresh(stale=token)
            response = self._send(service, lambda: call(token))
            if response.status_code == HTTPStatus.UNAUTHORIZED:
                self.forget_tokens()
                raise SignInRequired
        return response

    def _send(self, service: str, call: Callable[[], R]) -> R:
        try:
            response = call()
        except httpx.TransportError as exc:  # refused, reset, timed out
            log.warning("%s unreachable: %r", service, exc)
            raise ServiceUnavailable(service, type(exc).__name__) from exc
        if response.status_code == HTTPStatus.SERVICE_UNAVAILABLE:
            raise ServiceUnavailable(service, problem_of(response).detail)
        return response

    # -- tokens -----------------------------------------------------------------------
    def access_token(self) -> str:
        tokens = self.session.tokens
        if tokens is None:
            raise SignInRequired
        if tokens.access_expires_at - time.time() < self.settings.token_refresh_margin_seconds:
            return self._refresh(stale=tokens.access_token)
        return tokens.access_token

    def _refresh(self, stale: str) -> str:
        """Rotate the refresh token for a new access token, once per session at a time across
        every worker and replica (`SessionStore.refresh_lock`): a request that waited for
        another one's refresh uses its result."""
        try:
            with self.store.refresh_lock(self.session):
                return self._refresh_locked(stale)
        except RefreshBusy:
            raise ServiceUnavailable("users", "the session's token refresh did not end") from None

    def _refresh_locked(self, stale: str) -> str:
        current = self.store.stored_tokens(self.session)
        if current is None:
            self.forget_tokens()
            raise SignInRequired
        if current.access_token != stale:
            # Stored after this request read `stale`: another request refreshed meanwhile.
            self.session.tokens = current
            return current.access_token
        response = self.public_users(
            lambda c: refresh_token.sync_detailed(
                client=c, body=RefreshRequest(refresh_token=current.refresh_token)
            )
        )
        if not isinstance(response.parsed, TokenResponse):
            log.info("refresh refused (%s): signing out", int(response.status_code))
            self.forget_tokens()
            raise SignInRequired
        fresh = tokens_of(response.parsed)
        if not self.store.replace_tokens(self.session, current.refresh_token, fresh):
            # Signed out meanwhile: the session must not get tokens back.
            log.info("session signed out during its token refresh")
            self.session.tokens = None
            raise SignInRequired
        return fresh.access_token

    def renew_tokens(self) -> None:
        """New tokens now, not at expiry: after a change the access token's claims carry
        (a verified email, which a checkout policy may ask for)."""
        tokens = self.session.tokens
        if tokens is not None:
            self._refresh(stale=tokens.access_token)

    def forget_tokens(self) -> None:
        """The tokens no longer work: the session becomes anonymous (its cart stays)."""
        self.store.clear_tokens(self.session)
        self.session.data.pop("user", None)
        self.session.data["signed_out_reason"] = "expired"
        self.session.mark()


def tokens_of(answer: TokenResponse) -> Tokens:
    """A person's tokens: the password and refresh grants always carry a refresh token."""
    if not isinstance(answer.refresh_token, str):
        raise ServiceUnavailable("users", "a login answer without a refresh token")
    return Tokens(answer.access_token, answer.refresh_token, time.time() + answer.expires_in)
