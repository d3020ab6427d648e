"""The catalogue: one price per product; inactive products (`active=false`) are kept, never
deleted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payment_api.db.models import Product, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.errors import NotFoundError
from payment_api.domain.money import Money
from payment_api.domain.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class ProductDraft:
    name: str
    description: str | None
    price: Money
    active: bool = True


def create_product(uow: UnitOfWork, draft: ProductDraft) -> Product:
    now = utcnow()
    product = Product(
        name=draft.name,
        description=draft.description,
        unit_amount=draft.price.amount,
        currency=draft.price.currency,
        active=draft.active,
        created_at=now,
        updated_at=now,
    )
    uow.products.add(product)
    uow.commit()
    return product


def get_product(uow: UnitOfWork, product_id: str) -> Product:
    product = uow.products.get(product_id)
    if product is None:
        raise NotFoundError(f"product {product_id} does not exist")
    return product


def update_product(uow: UnitOfWork, product_id: str, changes: dict[str, Any]) -> Product:
    """Apply a partial update; a price change affects future checkouts only."""
    product = get_product(uow, product_id)
    if "name" in changes:
        product.name = changes["name"]
    if "description" in changes:
        product.description = changes["description"]
    if "active" in changes:
        product.active = changes["active"]
    if "price" in changes:
        price: Money = changes["price"]
        product.unit_amount, product.currency = price.amount, price.currency
    product.updated_at = utcnow()
    uow.commit()
    return product


def list_products(
    uow: UnitOfWork, *, limit: int, cursor: str | None, active: bool | None
) -> tuple[list[Product], str | None]:
    rows = uow.products.page(limit=limit + 1, after=decode_cursor(cursor), active=active)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
