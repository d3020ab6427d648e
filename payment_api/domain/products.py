"""The catalogue: one price per product; inactive products (`active=false`) are kept, never
deleted. Reads go through the read model (payment_api/views.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from payment_api.domain.audit import Actor, AuditAction, changed_fields, record
from payment_api.domain.errors import NotFoundError
from payment_api.domain.model import NewProduct, Product, new_id, utcnow
from payment_api.domain.money import Money
from payment_api.domain.ports import UnitOfWorkFactory


class Keep(Enum):
    """An optional field left out of a partial update: the value stays as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ProductDraft:
    name: str
    description: str | None
    price: Money
    active: bool = True


@dataclass(frozen=True)
class ProductChanges:
    """A partial update; None for name, price and active means unchanged too (they are
    required, so null cannot clear them)."""

    name: str | None = None
    description: str | Literal[Keep.KEEP] | None = KEEP
    price: Money | None = None
    active: bool | None = None


class ProductService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    def create(self, draft: ProductDraft, actor: Actor | None = None) -> Product:
        with self.uow() as uow:
            product = uow.products.add(
                NewProduct(
                    id=new_id(),
                    name=draft.name,
                    description=draft.description,
                    unit_amount=draft.price.amount,
                    currency=draft.price.currency,
                    active=draft.active,
                    created_at=utcnow(),
                )
            )
            record(uow, actor, AuditAction.PRODUCT_CREATED, product.id, name=product.name,
                   price=f"{product.unit_amount} {product.currency}")  # fmt: skip
            uow.commit()
            return product

    def update(
        self, product_id: str, changes: ProductChanges, actor: Actor | None = None
    ) -> Product:
        """Apply a partial update; a price change affects future checkouts only."""
        with self.uow() as uow:
            product = uow.products.get(product_id)
            if product is None:
                raise NotFoundError(f"product {product_id} does not exist")
            before = _audited(product)
            if changes.name is not None:
                product.name = changes.name
            if changes.description is not KEEP:
                product.description = changes.description
            if changes.active is not None:
                product.active = changes.active
            if changes.price is not None:
                product.unit_amount, product.currency = changes.price.amount, changes.price.currency
            product.updated_at = utcnow()
            diff = changed_fields(before, _audited(product))
            if diff:
                record(uow, actor, AuditAction.PRODUCT_UPDATED, product.id, **diff)
            uow.commit()
            return product


def _audited(product: Product) -> dict[str, str]:
    """What an update may change, as the audit trail shows it."""
    return {
        "name": product.name,
        "description": str(product.description),
        "active": str(product.active),
        "price": f"{product.unit_amount} {product.currency}",
    }
