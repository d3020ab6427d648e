"""Tag `products`: the catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from payment_api import views
from payment_api.api.deps import OptionalPrincipalDep, ProductEditorDep, ProductsDep, ReadsDep
from payment_api.api.params import Cursor, Limit
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import NO_NUL, Product, ProductCreate, ProductList, ProductUpdate
from payment_api.domain.errors import NotFoundError
from payment_api.domain.money import Money
from payment_api.domain.products import KEEP, ProductChanges, ProductDraft

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
    reads: ReadsDep,
    caller: OptionalPrincipalDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    active: bool | None = None,
) -> views.View:
    """List products, newest first (cursor pagination)."""
    if not caller.is_authenticated:
        active = True  # anonymous shoppers see what can be bought, nothing else
    return reads.products(limit=limit, cursor=cursor, active=active)


@router.post(
    "/products",
    status_code=201,
    response_model=Product,
    responses={
        201: {"description": "The product was created.", "links": PRODUCT_LINKS},
        **problem_responses(400, 401, 403, 413, 415, 422, 503),
    },
)
def createProduct(  # noqa: N802
    body: ProductCreate, products: ProductsDep, actor: ProductEditorDep
) -> views.View:
    """Create a product with its price."""
    draft = ProductDraft(
        name=body.name,
        description=body.description,
        price=Money(body.price.amount, body.price.currency.value),
        active=body.active,
    )
    return views.product_view(products.create(draft, actor))


@router.get(
    "/products/{product_id}",
    response_model=Product,
    responses=problem_responses(401, 404, 422, 503),
    openapi_extra=PUBLIC_READ,
)
def getProduct(  # noqa: N802
    product_id: ProductId, reads: ReadsDep, caller: OptionalPrincipalDep
) -> views.View:
    """One product."""
    # Anonymous shoppers see only what is for sale.
    found = reads.product(product_id, active_only=not caller.is_authenticated)
    if found is None:
        raise NotFoundError(f"product {product_id} does not exist")
    return found


@router.patch(
    "/products/{product_id}",
    response_model=Product,
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422, 503),
)
def updateProduct(  # noqa: N802
    product_id: ProductId, body: ProductUpdate, products: ProductsDep, actor: ProductEditorDep
) -> views.View:
    """Change name, description, price or active flag (archive with `active: false`)."""
    given = body.model_fields_set  # null for name, price or active changes nothing
    changes = ProductChanges(
        name=body.name,
        description=body.description if "description" in given else KEEP,
        price=Money(body.price.amount, body.price.currency.value) if body.price else None,
        active=body.active,
    )
    return views.product_view(products.update(product_id, changes, actor))
