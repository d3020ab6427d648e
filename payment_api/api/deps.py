"""Typed dependencies: the container built at start, the services, the read model, the principal.

Authentication: `authenticate` verifies an `Authorization: Bearer` token when one is sent
(anonymous otherwise); `PrincipalDep` requires a valid token, `AdminDep` also the admin role,
`CheckoutCallerDep` lets anonymous callers through only with ALLOW_ANONYMOUS_CHECKOUT. The
two security schemes (OAuth2 password flow at the user service, and plain bearer) are both
declared on every protected operation: either one is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

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


async def get_container(request: Request) -> Container:
    # Dependencies are `async def` although they never await: FastAPI runs a plain `def`
    # dependency in the thread pool, a thread hop per dependency per request.
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def run_read(container: Container, read: Callable[[], T]) -> T:
    """Run a blocking database read in the worker's small pool for reads (READ_THREADS)."""
    return await anyio.to_thread.run_sync(read, limiter=container.read_limiter)


async def authenticate(
    container: ContainerDep,
    _password_flow: Annotated[str | None, Depends(oauth2_password)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The token's principal, or ANONYMOUS when no bearer token is sent (401 when a bad one is)."""
    if credentials is None:
        return ANONYMOUS
    try:
        return await container.verifier.verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise NotAuthenticatedError(str(exc), realm=REALM, error="invalid_token") from None
    except JwksUnavailableError as exc:
        raise DependencyError(
            503,
            f"cannot verify the token: the user service's keys are unavailable ({exc})",
        ) from None


async def require_user(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if not principal.is_authenticated:
        raise NotAuthenticatedError("a bearer token is required", realm=REALM)
    return principal


PrincipalDep = Annotated[Principal, Depends(require_user)]


async def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise ForbiddenError("this operation needs the admin role", realm=REALM)
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


async def admin_actor(principal: AdminDep, request: Request) -> Actor:
    """The admin making this request, from where, under which request id (the audit
    trail's); the client address is uvicorn's, which trusts FORWARDED_ALLOW_IPS proxies."""
    return Actor(
        principal.subject,
        request.client.host if request.client else None,
        current_request_id(),
    )


# An admin-only operation that changes money or deliveries: its caller, for the audit trail.
AdminActorDep = Annotated[Actor, Depends(admin_actor)]


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
    """CHECKOUT_REQUIRES_VERIFIED_EMAIL: a customer pays only once their email is verified
    (the token's claim; refreshing the token after verifying updates it). Admins and, where
    allowed, anonymous callers are not customers."""
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


async def paying_customer(principal: PrincipalDep, container: ContainerDep) -> Principal:
    return verified_payer(container, principal)


async def paying_checkout_caller(
    principal: Annotated[Principal, Depends(checkout_caller)], container: ContainerDep
) -> Principal:
    return verified_payer(container, principal)


PayerDep = Annotated[Principal, Depends(paying_customer)]
CheckoutCallerDep = Annotated[Principal, Depends(paying_checkout_caller)]
# A valid token or none at all (the public catalogue); a bad token is still 401.
OptionalPrincipalDep = Annotated[Principal, Depends(authenticate)]


async def get_reads(container: ContainerDep) -> ReadModel:
    return container.reads


async def get_products(container: ContainerDep) -> ProductService:
    return container.products


async def get_checkout(container: ContainerDep) -> CheckoutService:
    return container.checkout


async def get_refunds(container: ContainerDep) -> RefundService:
    return container.refunds


async def get_inbox(container: ContainerDep) -> WebhookInbox:
    return container.inbox


ReadsDep = Annotated[ReadModel, Depends(get_reads)]
ProductsDep = Annotated[ProductService, Depends(get_products)]
CheckoutDep = Annotated[CheckoutService, Depends(get_checkout)]
RefundsDep = Annotated[RefundService, Depends(get_refunds)]
InboxDep = Annotated[WebhookInbox, Depends(get_inbox)]


async def get_endpoints(container: ContainerDep) -> EndpointService:
    return container.endpoints


EndpointsDep = Annotated[EndpointService, Depends(get_endpoints)]
