"""The web's own machine credential: an API client of the user service (client credentials).

Guest checkout has nobody's token to call the payment service with, so the web server holds
one API client (WEB_API_CLIENT_ID / WEB_API_CLIENT_SECRET, scopes GUEST_SCOPES) and calls
createCheckoutSession, getPayment and cancelPayment for guests with its token. The token is
fetched through the generated user client (createToken, `grant_type=client_credentials`),
kept in this process's memory only (never in a session, a cookie or a page), renewed shortly
before its `expires_in` and fetched again once when an API answers 401.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import cast

import httpx
import user_management_client as um
from user_management_client.api.auth import create_token
from user_management_client.models import TokenRequest, TokenResponse

from web.api import ServiceUnavailable, problem_of
from web.settings import Settings

log = logging.getLogger("web.machine")

# What guest checkout needs of the payment service: start a guest's checkout, read its
# payment back (the success page), close it (the cancel page).
# Guest checkout (start, read, cancel a guest's payment), and auth:proxy: sign-in and reset
# requests made for a shopper carry the shopper's address (web/api.py, for_end_user).
GUEST_SCOPES = ("checkout:write", "payments:read", "payments:write", "auth:proxy")


class MachineCredentialRefused(ServiceUnavailable):
    """The user service refused the web's API client (wrong secret, revoked, expired, a
    scope it lacks): a deployment problem, shown as the friendly 503 page and logged."""

    def __init__(self, reason: str) -> None:
        super().__init__("users", reason)


@dataclass(frozen=True)
class MachineToken:
    access_token: str
    expires_in: float  # seconds, as the token answer says


Fetch = Callable[[], MachineToken]


class MachineCredential:
    """One access token per process, shared by its threads, renewed before it expires.

    `fetch` gets a new token (raising ServiceUnavailable when it cannot); `clock` is
    monotonic seconds (a fake in the unit tests)."""

    def __init__(
        self,
        fetch: Fetch,
        margin_seconds: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._margin = margin_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def token(self) -> str:
        """The cached token, or a new one when it is close to expiry (or there is none)."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._fetch_locked()
            assert self._token is not None
            return self._token

    def renew(self, stale: str) -> str:
        """A new token after an API refused `stale` (401), unless another thread renewed it
        meanwhile: then that one."""
        with self._lock:
            if self._token is None or self._token == stale:
                self._fetch_locked()
            assert self._token is not None
            return self._token

    def _fetch_locked(self) -> None:
        fresh = self._fetch()
        now = self._clock()
        # Renew `margin` before expiry, but never later than half-way for short-lived tokens.
        margin = min(self._margin, fresh.expires_in / 2)
        self._token = fresh.access_token
        self._renew_at = now + fresh.expires_in - margin


def client_credentials_fetch(
    settings: Settings, transport: httpx.HTTPTransport, scopes: tuple[str, ...] = GUEST_SCOPES
) -> Fetch:
    """createToken with the web's API client, through the generated user client."""

    def fetch() -> MachineToken:
        # createToken's security includes `{}`: the generator types it as needing an
        # AuthenticatedClient; a plain Client is what it takes without a token.
        client = cast(
            um.AuthenticatedClient,
            um.Client(
                base_url=settings.user_service_url,
                timeout=httpx.Timeout(settings.api_timeout_seconds),
                httpx_args={"transport": transport},
            ),
        )
        body = TokenRequest(
            grant_type="client_credentials",
            client_id=settings.api_client_id,
            client_secret=settings.api_client_secret,
            scope=" ".join(scopes),
        )
        try:
            response = create_token.sync_detailed(client=client, body=body)
        except httpx.TransportError as exc:  # refused, reset, timed out
            log.warning("users unreachable for the machine token: %r", exc)
            raise ServiceUnavailable("users", type(exc).__name__) from exc
        if response.status_code == HTTPStatus.SERVICE_UNAVAILABLE:
            raise ServiceUnavailable("users", problem_of(response).detail)
        if not isinstance(response.parsed, TokenResponse):
            problem = problem_of(response)
            log.error(
                "the user service refused the web's API client %s (WEB_API_CLIENT_ID): %s; "
                "guest checkout cannot work until it gets a token with the scopes %s",
                settings.api_client_id,
                problem,
                " ".join(scopes),
            )
            raise MachineCredentialRefused(str(problem))
        return MachineToken(response.parsed.access_token, float(response.parsed.expires_in))

    return fetch


def machine_credential(settings: Settings, transport: httpx.HTTPTransport) -> MachineCredential:
    return MachineCredential(
        client_credentials_fetch(settings, transport),
        margin_seconds=settings.token_refresh_margin_seconds,
    )
