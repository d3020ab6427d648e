"""Tag `products`: the catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from payment_api.api import presenters
from payment_api.api.deps import AdminDep, OptionalPrincipalDep, UowDep
from payment_api.api.params import Cursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import NO_NUL, Product, ProductCreate, ProductList, ProductUpdate
from payment_api.domain import products
from payment_api.domain.errors import NotFoundError
from payment_api.domain.money import Money

router = APIRouter(tags=["products"])
ProductId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]

PRODUCT_LINKS = {
    "GetProduct": {"operationId": "getProduct", "parameters": {"product_id": "$response.body#/id"}},
    "UpdateProduct": {
        "operationId": "updateProduct",
        "parameters": {"product_id": "$response.body#/id"},
    },
}


# The catalogue is public: anonymous callers are allowed too (appended to the token schemes).
PUBLIC_READ: dict[str, Any] = {"security": [{}]}


@router.get(
    "/products",
    response_model=ProductList,
    responses=problem_responses(401, 422, 503),
    openapi_extra=PUBLIC_READ,
)
def listProducts(  # noqa: N802 - operationId
    uow: UowDep,
    caller: OptionalPrincipalDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    active: bool | None = None,
) -> ProductList:
    """List products, newest first (cursor pagination)."""
    if not caller.is_authenticated:
        active = True  # anonymous shoppers see what can be bought, nothing else
    with uow:
        rows, next_cursor = products.list_products(uow, limit=limit, cursor=cursor, active=active)
        return ProductList(data=[presenters.product(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/products",
    status_code=201,
    response_model=Product,
    responses={
        201: {"description": "The product was created.", "links": PRODUCT_LINKS},
        **problem_responses(400, 401, 403, 413, 415, 422, 503),
    },
)
def createProduct(body: ProductCreate, uow: UowDep, _admin: AdminDep) -> Product:  # noqa: N802
    """Create a product with its price."""
    draft = products.ProductDraft(
        name=body.name,
        description=body.description,
        price=Money(body.price.amount, body.price.currency.value),
        active=body.active,
    )
    with uow:
        return presenters.product(products.create_product(uow, draft))


@router.get(
    "/products/{product_id}",
    response_model=Product,
    responses=problem_responses(401, 404, 422, 503),
    openapi_extra=PUBLIC_READ,
)
def getProduct(product_id: ProductId, uow: UowDep, caller: OptionalPrincipalDep) -> Product:  # noqa: N802
    """One product."""
    with uow:
        product = products.get_product(uow, product_id)
        if not product.active and not caller.is_authenticated:
            raise NotFoundError(f"product {product_id} does not exist")  # not for sale
        return presenters.product(product)


@router.patch(
    "/products/{product_id}",
    response_model=Product,
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422, 503),
)
def updateProduct(  # noqa: N802
    product_id: ProductId, body: ProductUpdate, uow: UowDep, _admin: AdminDep
) -> Product:
    """Change name, description, price or active flag (archive with `active: false`)."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "price", "active"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    if "price" in changes:
        changes["price"] = Money(body.price.amount, body.price.currency.value)  # type: ignore[union-attr]
    with uow:
        return presenters.product(products.update_product(uow, product_id, changes))
