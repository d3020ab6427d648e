"""Typed dependencies: the container built at start, the services, the read model, the principal.

Authentication: `authenticate` verifies an `Authorization: Bearer` token when one is sent
(anonymous otherwise); the access rules below require a valid token, `CheckoutCallerDep` lets
anonymous callers through only with ALLOW_ANONYMOUS_CHECKOUT. The people's two security
schemes (OAuth2 password flow at the user service, and plain bearer) are both declared on
every protected operation: either one is enough.

Authorisation: people by role, API clients (machine tokens, OAuth2 client credentials) by
scope. An operation an API client may call depends on `authorize` (or `person_or_client`,
where customers may call it too, for their own payments) through `Security(..., scopes=[s])`:
an admin passes, a machine passes when its token grants `s`, anyone else gets 403 naming `s`.
The third scheme, OAuth2ClientCredentials, is declared there with that scope.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBearer,
    OAuth2,
    OAuth2PasswordBearer,
    SecurityScopes,
)

from payment_api.auth import ANONYMOUS, InvalidTokenError, Principal
from payment_api.container import Container
from payment_api.domain.audit import Actor
from payment_api.domain.checkout import CheckoutService
from payment_api.domain.endpoints import EndpointService
from payment_api.domain.errors import DependencyError, ForbiddenError, NotAuthenticatedError
from payment_api.domain.products import ProductService
from payment_api.domain.refunds import RefundService
from payment_api.domain.webhooks import WebhookInbox
from payment_api.gateways.jwks import JwksUnavailableError
from payment_api.views import ReadModel
from service_kit.logs import current_request_id

T = TypeVar("T")
REALM = "payment-api"
# What `make run` serves; the served document points at the configured USER_SERVICE_URL.
DEFAULT_TOKEN_URL = "http://127.0.0.1:5000/auth/token"  # noqa: S105 - a URL
OAUTH2_SCHEME = "OAuth2Password"
BEARER_SCHEME = "BearerAuth"
CLIENT_CREDENTIALS_SCHEME = "OAuth2ClientCredentials"


class Scope(StrEnum):
    """What an API client may be granted; people are authorised by role instead."""

    PAYMENTS_READ = "payments:read"
    PAYMENTS_WRITE = "payments:write"
    PRODUCTS_WRITE = "products:write"
    EVENTS_READ = "events:read"
    EVENTS_WRITE = "events:write"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    AUDIT_READ = "audit:read"
    CHECKOUT_WRITE = "checkout:write"


SCOPES: dict[str, str] = {
    Scope.CHECKOUT_WRITE: "Start guests' checkouts (a storefront's backend): no user, never "
    "a checkout for someone's account.",
    Scope.PAYMENTS_READ: "Read every payment and its refunds.",
    Scope.PAYMENTS_WRITE: "Refund and cancel payments.",
    Scope.PRODUCTS_WRITE: "Create and change products and their prices.",
    Scope.EVENTS_READ: "Read the events we emitted and the Stripe events we received.",
    Scope.EVENTS_WRITE: "Replay a received Stripe event.",
    Scope.WEBHOOKS_READ: "Read webhook endpoints, their deliveries and delivery attempts.",
    Scope.WEBHOOKS_WRITE: "Register, change and delete webhook endpoints, rotate their "
    "secrets and retry deliveries.",
    Scope.AUDIT_READ: "Read the audit trail.",
}

oauth2_password = OAuth2PasswordBearer(
    tokenUrl=DEFAULT_TOKEN_URL,
    scheme_name=OAUTH2_SCHEME,
    auto_error=False,
    description="Log in at the user service (POST /auth/token, username = email) and send "
    "the access token as `Authorization: Bearer <token>`.",
)
bearer = HTTPBearer(
    scheme_name=BEARER_SCHEME,
    bearerFormat="JWT",
    auto_error=False,
    description="An access token (JWT) issued by the user service.",
)
# Declares the API clients' flow and, per operation, the scope needed; the token it carries is
# an `Authorization: Bearer` token like the others and is verified by `authenticate`.
oauth2_client = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=DEFAULT_TOKEN_URL, scopes=SCOPES)
    ),
    scheme_name=CLIENT_CREDENTIALS_SCHEME,
    auto_error=False,
    description="For API clients (machines), not people: an admin creates an API client at the "
    "user service; the client gets an access token there (POST /auth/token with "
    "grant_type=client_credentials, its client_id and client_secret) and sends it as "
    "`Authorization: Bearer <token>`. Each operation names the scope it needs.",
)


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_container(request: Request) -> Container:
    # Dependencies are `async def` although they never await: FastAPI runs a plain `def`
    # dependency in the thread pool, a thread hop per dependency per request.
    return _container(request)


ContainerDep = Annotated[Container, Depends(get_container)]


async def run_db(container: Container, work: Callable[[], T]) -> T:
    """Run short blocking database work that calls no other service (the hot reads, the
    webhook acknowledgement) in the worker's small database pool (READ_THREADS)."""
    return await anyio.to_thread.run_sync(work, limiter=container.db_limiter)


# Each access rule below is ONE dependency with the security schemes directly beneath it (they
# document the operation's security and parse the header): a chain of small dependencies costs
# FastAPI a resolution step each, on every request (bench/RESULTS.md).
PasswordFlow = Annotated[str | None, Depends(oauth2_password)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ClientFlow = Annotated[str | None, Depends(oauth2_client)]


async def verified(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The token's principal, or ANONYMOUS when no bearer token is sent (401 when a bad one is)."""
    if credentials is None:
        return ANONYMOUS
    try:
        return await _container(request).verifier.verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise NotAuthenticatedError(str(exc), realm=REALM, error="invalid_token") from None
    except JwksUnavailableError as exc:
        raise DependencyError(
            503,
            f"cannot verify the token: the user service's keys are unavailable ({exc})",
        ) from None


async def signed_in(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    principal = await verified(request, credentials)
    if not principal.is_authenticated:
        raise NotAuthenticatedError("a bearer token is required", realm=REALM)
    return principal


async def authenticate(
    request: Request, _password_flow: PasswordFlow, credentials: Bearer
) -> Principal:
    """A valid token or none at all (ANONYMOUS); a bad token is 401."""
    return await verified(request, credentials)


def check_access(principal: Principal, scopes: list[str], *, customers: bool) -> Principal:
    """An admin, a machine granted every scope in `scopes`, or (with `customers`) any person;
    403 naming the scope otherwise."""
    needed = " ".join(scopes)
    if principal.is_machine:
        missing = [s for s in scopes if s not in principal.scopes]
        if missing:
            raise ForbiddenError(
                f"this API client's token lacks the scope {' '.join(missing)}",
                realm=REALM,
                scope=needed,
            )
        return principal
    if principal.is_admin or customers:
        return principal
    raise ForbiddenError(
        f"this operation needs the admin role, or an API client with the scope {needed}",
        realm=REALM,
        scope=needed,
    )


async def authorize(
    security_scopes: SecurityScopes,
    request: Request,
    _password_flow: PasswordFlow,
    credentials: Bearer,
    _client_flow: ClientFlow,
) -> Principal:
    """`Security(authorize, scopes=[s])`: an admin, or an API client granted `s`."""
    principal = await signed_in(request, credentials)
    return check_access(principal, security_scopes.scopes, customers=False)


async def person_or_client(
    security_scopes: SecurityScopes,
    request: Request,
    _password_flow: PasswordFlow,
    credentials: Bearer,
    _client_flow: ClientFlow,
) -> Principal:
    """`Security(person_or_client, scopes=[s])`: any person (a customer is limited to their
    own payments by the operation), or an API client granted `s`."""
    principal = await signed_in(request, credentials)
    return check_access(principal, security_scopes.scopes, customers=True)


async def acting(principal: Annotated[Principal, Depends(authorize)], request: Request) -> Actor:
    """The admin or API client making this request (`Security(acting, scopes=[s])`), from
    where, under which request id (the audit trail's); the client address is uvicorn's, which
    trusts FORWARDED_ALLOW_IPS proxies."""
    return Actor(
        principal.user_id,
        request.client.host if request.client else None,
        current_request_id(),
        client_id=principal.client_id,
    )


# Who may call an operation: people by role (an admin), API clients by the scope named.
PaymentsReaderDep = Annotated[Principal, Security(person_or_client, scopes=[Scope.PAYMENTS_READ])]
PaymentCancelerDep = Annotated[Principal, Security(person_or_client, scopes=[Scope.PAYMENTS_WRITE])]
EventsReaderDep = Annotated[Principal, Security(authorize, scopes=[Scope.EVENTS_READ])]
WebhooksReaderDep = Annotated[Principal, Security(authorize, scopes=[Scope.WEBHOOKS_READ])]
AuditReaderDep = Annotated[Principal, Security(authorize, scopes=[Scope.AUDIT_READ])]
# Operations that change money or deliveries: their caller, for the audit trail.
RefunderDep = Annotated[Actor, Security(acting, scopes=[Scope.PAYMENTS_WRITE])]
ProductEditorDep = Annotated[Actor, Security(acting, scopes=[Scope.PRODUCTS_WRITE])]
EventReplayerDep = Annotated[Actor, Security(acting, scopes=[Scope.EVENTS_WRITE])]
WebhooksEditorDep = Annotated[Actor, Security(acting, scopes=[Scope.WEBHOOKS_WRITE])]


async def checkout_caller(
    principal: Annotated[Principal, Depends(authenticate)], container: ContainerDep
) -> Principal:
    """GET /checkout/: a valid token, or nobody when ALLOW_ANONYMOUS_CHECKOUT is on."""
    if principal.is_authenticated or container.settings.allow_anonymous_checkout:
        return principal
    raise NotAuthenticatedError(
        "a bearer token is required (anonymous checkout is disabled)", realm=REALM
    )


def verified_payer(container: Container, principal: Principal) -> Principal:
    """People pay, API clients never (403). CHECKOUT_REQUIRES_VERIFIED_EMAIL: a customer pays
    only once their email is verified (the token's claim; refreshing the token after verifying
    updates it). Admins and, where allowed, anonymous callers are not customers."""
    if principal.is_machine:
        raise ForbiddenError(
            "API clients cannot pay: a checkout is started by a person (or anonymously where "
            "allowed), with a person's token",
            realm=REALM,
        )
    if (
        container.settings.checkout_requires_verified_email
        and principal.role == "customer"
        and not principal.email_verified
    ):
        raise ForbiddenError(
            "verify your email before paying: open the link we mailed you, then sign in again",
            realm=REALM,
        )
    return principal


async def checkout_payer(
    security_scopes: SecurityScopes,
    request: Request,
    _password_flow: PasswordFlow,
    credentials: Bearer,
    _client_flow: ClientFlow,
    container: ContainerDep,
) -> Principal:
    """createCheckoutSession: a person (verified where the policy asks), or an API client
    granted checkout:write that starts a guest's checkout (a storefront's backend: the
    payment then has no user)."""
    principal = await signed_in(request, credentials)
    if principal.is_machine:
        return check_access(principal, security_scopes.scopes, customers=False)
    return verified_payer(container, principal)


async def paying_checkout_caller(
    principal: Annotated[Principal, Depends(checkout_caller)], container: ContainerDep
) -> Principal:
    return verified_payer(container, principal)


CheckoutPayerDep = Annotated[Principal, Security(checkout_payer, scopes=[Scope.CHECKOUT_WRITE])]
CheckoutCallerDep = Annotated[Principal, Depends(paying_checkout_caller)]
# A valid token or none at all (the public catalogue); a bad token is still 401.
OptionalPrincipalDep = Annotated[Principal, Depends(authenticate)]


async def get_reads(request: Request) -> ReadModel:
    return _container(request).reads


async def get_products(request: Request) -> ProductService:
    return _container(request).products


async def get_checkout(request: Request) -> CheckoutService:
    return _container(request).checkout


async def get_refunds(request: Request) -> RefundService:
    return _container(request).refunds


async def get_inbox(request: Request) -> WebhookInbox:
    return _container(request).inbox


ReadsDep = Annotated[ReadModel, Depends(get_reads)]
ProductsDep = Annotated[ProductService, Depends(get_products)]
CheckoutDep = Annotated[CheckoutService, Depends(get_checkout)]
RefundsDep = Annotated[RefundService, Depends(get_refunds)]
InboxDep = Annotated[WebhookInbox, Depends(get_inbox)]


async def get_endpoints(request: Request) -> EndpointService:
    return _container(request).endpoints


EndpointsDep = Annotated[EndpointService, Depends(get_endpoints)]
