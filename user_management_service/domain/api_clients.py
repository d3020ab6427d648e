"""API clients: machine credentials for the OAuth2 client-credentials grant (RFC 6749 §4.4).

An admin creates a client with the scopes it may hold; its secret is shown once and stored
as a SHA-256 only (256 random bits: a slow password hash adds nothing to a secret nobody
can guess, and would make every token request cost a password verification). A client
trades its id and secret for a short-lived access token carrying `scope`; it gets no refresh
token. Revoking a client, or its expiry, ends its token requests and, at this service, the
tokens it already holds.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from user_management_service.domain.audit import Actor, AuditAction, record
from user_management_service.domain.errors import (
    ApiClientNotFoundError,
    InvalidClientError,
    InvalidScopeError,
)
from user_management_service.domain.pagination import keyset_page
from user_management_service.domain.refresh_tokens import hash_token
from user_management_service.domain.users import utc_now

if TYPE_CHECKING:
    from user_management_service.domain.access_tokens import AccessTokens
    from user_management_service.domain.unit_of_work import UnitOfWork

# Every scope of the platform, by service: an admin grants them here, each service checks
# its own (the payment service's are declared in its spec too).
SCOPES: dict[str, str] = {
    "users:read": "Read users (getUser, listUsers).",
    "audit:read": "Read both services' audit trails.",
    "payments:read": "Read payments and refunds.",
    "payments:write": "Refund and cancel payments.",
    "products:write": "Create and change products and prices.",
    "events:read": "Read outbound events and stored Stripe events.",
    "events:write": "Replay stored Stripe events.",
    "webhooks:read": "Read webhook endpoints and their deliveries.",
    "webhooks:write": "Manage webhook endpoints and retry deliveries.",
    "checkout:write": "Start guests' checkouts (a storefront's backend).",
    "auth:proxy": "Say whose address a sign-in or reset request is (a web frontend's backend).",
}
CLIENT_ID_PREFIX = "cli_"
SECRET_PREFIX = "cs_"  # noqa: S105 (a prefix that makes a leaked secret recognisable)
# Hashed when the client is unknown, so that the answer takes the same time.
UNKNOWN_CLIENT_HASH = hash_token("no such client")


class ClientStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class ApiClient:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    created_by: uuid.UUID | None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    seq: int | None = None  # creation order; the keyset of the listing

    def status(self, now: datetime) -> ClientStatus:
        if self.revoked_at is not None:
            return ClientStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ClientStatus.EXPIRED
        return ClientStatus.ACTIVE

    def is_usable(self, now: datetime) -> bool:
        return self.status(now) is ClientStatus.ACTIVE


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    secret: str  # the only time it is known


@dataclass(frozen=True)
class ClientPage:
    items: list[ApiClient]
    next_cursor: str | None


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scope: str  # space separated, as RFC 6749 §3.3 spells it


class ApiClientRepository(Protocol):
    def add(self, client: ApiClient, secret_hash: str) -> None: ...

    def get(self, client_id: str) -> ApiClient | None: ...

    def with_secret_hash(self, client_id: str) -> tuple[ApiClient, str] | None:
        """The client and its secret's hash, in one read (the token request's)."""
        ...

    def list_after(self, after_seq: int | None, limit: int) -> list[ApiClient]: ...

    def revoke(self, client_id: str, now: datetime) -> bool:
        """True for the one caller that revoked it (a compare-and-set)."""
        ...

    def touch(self, client_id: str, now: datetime) -> None:
        """Remember when the client last got a token."""
        ...


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def granted_scopes(requested: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    """RFC 6749 §3.3: no `scope` asks for all the client may hold; otherwise each one asked
    must be the client's (InvalidScopeError naming the others)."""
    if requested is None or not requested.strip():
        return tuple(allowed)
    asked = list(dict.fromkeys(requested.split()))
    refused = [scope for scope in asked if scope not in allowed]
    if refused:
        raise InvalidScopeError(
            f"This client may not hold {', '.join(refused)}; "
            f"it may hold {' '.join(allowed) or 'no scope'}."
        )
    return tuple(asked)


class ApiClientService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        access_tokens: AccessTokens,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow = uow
        self.access_tokens = access_tokens
        self.clock = clock

    def create(
        self, name: str, scopes: Sequence[str], expires_at: datetime | None, actor: Actor
    ) -> CreatedClient:
        unknown = sorted(set(scopes) - SCOPES.keys())
        if unknown:
            raise InvalidScopeError(f"Unknown scopes: {', '.join(unknown)}.", "body.scopes")
        now = self.clock()
        if expires_at is not None and expires_at <= now:
            raise InvalidScopeError("The expiry must be in the future.", "body.expires_at")
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        client = ApiClient(
            new_client_id(),
            name.strip(),
            tuple(dict.fromkeys(scopes)),
            now,
            actor.user_id,
            expires_at,
        )
        with self.uow() as uow:
            uow.api_clients.add(client, hash_token(secret))
            record(uow, actor, AuditAction.API_CLIENT_CREATED, None, **audit_details(client))
            uow.commit()
        return CreatedClient(client, secret)

    def get(self, client_id: str) -> ApiClient:
        with self.uow() as uow:
            client = uow.api_clients.get(client_id)
        if client is None:
            raise ApiClientNotFoundError(client_id)
        return client

    def list(self, limit: int, cursor: str | None) -> ClientPage:
        with self.uow() as uow:
            items, next_cursor = keyset_page(uow.api_clients.list_after, limit, cursor)
        return ClientPage(items, next_cursor)

    def revoke(self, client_id: str, actor: Actor) -> None:
        """Revoked at once and for good; revoking again changes nothing (and records nothing)."""
        with self.uow() as uow:
            client = uow.api_clients.get(client_id)
            if client is None:
                raise ApiClientNotFoundError(client_id)
            if uow.api_clients.revoke(client_id, self.clock()):
                record(uow, actor, AuditAction.API_CLIENT_REVOKED, None, **audit_details(client))
            uow.commit()

    def issue_token(self, client_id: str, secret: str, scope: str | None) -> ClientToken:
        """The client-credentials grant: a token for a known, usable client's right secret.
        Unknown, revoked, expired and wrong secret get one answer (InvalidClientError)."""
        now = self.clock()
        with self.uow() as uow:
            found = uow.api_clients.with_secret_hash(client_id)
            client, stored_hash = found if found is not None else (None, UNKNOWN_CLIENT_HASH)
            matches = hmac.compare_digest(stored_hash, hash_token(secret))
            if client is None or not matches or not client.is_usable(now):
                raise InvalidClientError()
            scopes = granted_scopes(scope, client.scopes)
            uow.api_clients.touch(client_id, now)
            uow.commit()
        token = self.access_tokens.issue_for_client(client_id, scopes, now)
        return ClientToken(token, self.access_tokens.ttl_seconds, " ".join(scopes))


def audit_details(client: ApiClient) -> dict[str, str]:
    return {"client_id": client.id, "name": client.name, "scopes": " ".join(client.scopes)}
