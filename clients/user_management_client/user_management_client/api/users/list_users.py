from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_users_status import ListUsersStatus
from ...models.problem import Problem
from ...models.user_page import UserPage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    email: str | Unset = UNSET,
    status: ListUsersStatus | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    params["email"] = email

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/users",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | UserPage | None:
    if response.status_code == 200:
        response_200 = UserPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | UserPage]:
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
    cursor: str | Unset = UNSET,
    email: str | Unset = UNSET,
    status: ListUsersStatus | Unset = UNSET,
) -> Response[Problem | UserPage]:
    """List users

     Users in creation order, `limit` per page (1..100, default 20). Pass the `next_cursor` of a page as
    `cursor` to get the next one; it is null on the last page. `email` matches the normalised email
    exactly; `status` keeps only active or only deactivated users (default: both). An admin, or an API
    client with scope `users:read` (a customer gets 403).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        email (str | Unset):
        status (ListUsersStatus | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UserPage]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        email=email,
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    email: str | Unset = UNSET,
    status: ListUsersStatus | Unset = UNSET,
) -> Problem | UserPage | None:
    """List users

     Users in creation order, `limit` per page (1..100, default 20). Pass the `next_cursor` of a page as
    `cursor` to get the next one; it is null on the last page. `email` matches the normalised email
    exactly; `status` keeps only active or only deactivated users (default: both). An admin, or an API
    client with scope `users:read` (a customer gets 403).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        email (str | Unset):
        status (ListUsersStatus | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UserPage
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        email=email,
        status=status,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    email: str | Unset = UNSET,
    status: ListUsersStatus | Unset = UNSET,
) -> Response[Problem | UserPage]:
    """List users

     Users in creation order, `limit` per page (1..100, default 20). Pass the `next_cursor` of a page as
    `cursor` to get the next one; it is null on the last page. `email` matches the normalised email
    exactly; `status` keeps only active or only deactivated users (default: both). An admin, or an API
    client with scope `users:read` (a customer gets 403).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        email (str | Unset):
        status (ListUsersStatus | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UserPage]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        email=email,
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    email: str | Unset = UNSET,
    status: ListUsersStatus | Unset = UNSET,
) -> Problem | UserPage | None:
    """List users

     Users in creation order, `limit` per page (1..100, default 20). Pass the `next_cursor` of a page as
    `cursor` to get the next one; it is null on the last page. `email` matches the normalised email
    exactly; `status` keeps only active or only deactivated users (default: both). An admin, or an API
    client with scope `users:read` (a customer gets 403).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        email (str | Unset):
        status (ListUsersStatus | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UserPage
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            email=email,
            status=status,
        )
    ).parsed
