from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.product_list import ProductList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    active: bool | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_active: bool | None | Unset
    if isinstance(active, Unset):
        json_active = UNSET
    else:
        json_active = active
    params["active"] = json_active

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/products",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | ProductList | None:
    if response.status_code == 200:
        response_200 = ProductList.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | ProductList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    active: bool | None | Unset = UNSET,
) -> Response[Problem | ProductList]:
    """List products

     List products, newest first (cursor pagination). Public: without a token only active products are
    listed (the `active` filter is then ignored); signed-in callers (customers and admins) see inactive
    ones too and may filter by `active`. A token that is sent must be valid (401).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        active (bool | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ProductList]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        active=active,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    active: bool | None | Unset = UNSET,
) -> Problem | ProductList | None:
    """List products

     List products, newest first (cursor pagination). Public: without a token only active products are
    listed (the `active` filter is then ignored); signed-in callers (customers and admins) see inactive
    ones too and may filter by `active`. A token that is sent must be valid (401).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        active (bool | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ProductList
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        active=active,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    active: bool | None | Unset = UNSET,
) -> Response[Problem | ProductList]:
    """List products

     List products, newest first (cursor pagination). Public: without a token only active products are
    listed (the `active` filter is then ignored); signed-in callers (customers and admins) see inactive
    ones too and may filter by `active`. A token that is sent must be valid (401).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        active (bool | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ProductList]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        active=active,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    active: bool | None | Unset = UNSET,
) -> Problem | ProductList | None:
    """List products

     List products, newest first (cursor pagination). Public: without a token only active products are
    listed (the `active` filter is then ignored); signed-in callers (customers and admins) see inactive
    ones too and may filter by `active`. A token that is sent must be valid (401).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        active (bool | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ProductList
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            active=active,
        )
    ).parsed
