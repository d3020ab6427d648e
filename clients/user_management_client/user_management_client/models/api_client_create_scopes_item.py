from typing import Literal

ApiClientCreateScopesItem = Literal[
    "audit:read",
    "auth:proxy",
    "checkout:write",
    "events:read",
    "events:write",
    "payments:read",
    "payments:write",
    "products:write",
    "users:read",
    "webhooks:read",
    "webhooks:write",
]

API_CLIENT_CREATE_SCOPES_ITEM_VALUES: set[ApiClientCreateScopesItem] = {
    "audit:read",
    "auth:proxy",
    "checkout:write",
    "events:read",
    "events:write",
    "payments:read",
    "payments:write",
    "products:write",
    "users:read",
    "webhooks:read",
    "webhooks:write",
}


def check_api_client_create_scopes_item(value: str) -> ApiClientCreateScopesItem:
    if value in API_CLIENT_CREATE_SCOPES_ITEM_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {API_CLIENT_CREATE_SCOPES_ITEM_VALUES!r}")
