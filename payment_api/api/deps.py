"""Typed dependencies: the container built at start, units of work, services, the principal.

`PrincipalDep` is the seam for authentication (a later issue): today every caller is
anonymous; `require_admin` will hang off it for the replay operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from payment_api.container import Container
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.checkout import CheckoutService
from payment_api.domain.refunds import RefundService
from payment_api.domain.webhooks import WebhookInbox


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_uow(container: ContainerDep) -> UnitOfWork:
    return container.uow()


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


@dataclass(frozen=True)
class Principal:
    """Who calls. Anonymous until the auth issue; `bearer_token` is forwarded downstream."""

    subject: str | None
    bearer_token: str | None


def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return Principal(subject=None, bearer_token=bearer)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_checkout(container: ContainerDep) -> CheckoutService:
    return container.checkout


def get_refunds(container: ContainerDep) -> RefundService:
    return container.refunds


def get_inbox(container: ContainerDep) -> WebhookInbox:
    return container.inbox


CheckoutDep = Annotated[CheckoutService, Depends(get_checkout)]
RefundsDep = Annotated[RefundService, Depends(get_refunds)]
InboxDep = Annotated[WebhookInbox, Depends(get_inbox)]
