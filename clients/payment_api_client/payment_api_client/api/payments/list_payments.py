from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.payment_list import PaymentList
from ...models.payment_status import PaymentStatus
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    status: None | PaymentStatus | Unset = UNSET,
    user_id: None | str | Unset = UNSET,
    created_gte: None | str | Unset = UNSET,
    created_lt: None | str | Unset = UNSET,
    checkout_session_id: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, PaymentStatus):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_user_id: None | str | Unset
    if isinstance(user_id, Unset):
        json_user_id = UNSET
    else:
        json_user_id = user_id
    params["user_id"] = json_user_id

    json_created_gte: None | str | Unset
    if isinstance(created_gte, Unset):
        json_created_gte = UNSET
    else:
        json_created_gte = created_gte
    params["created_gte"] = json_created_gte

    json_created_lt: None | str | Unset
    if isinstance(created_lt, Unset):
        json_created_lt = UNSET
    else:
        json_created_lt = created_lt
    params["created_lt"] = json_created_lt

    json_checkout_session_id: None | str | Unset
    if isinstance(checkout_session_id, Unset):
        json_checkout_session_id = UNSET
    else:
        json_checkout_session_id = checkout_session_id
    params["checkout_session_id"] = json_checkout_session_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/payments",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PaymentList | Problem | None:
    if response.status_code == 200:
        response_200 = PaymentList.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PaymentList | Problem]:
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
    status: None | PaymentStatus | Unset = UNSET,
    user_id: None | str | Unset = UNSET,
    created_gte: None | str | Unset = UNSET,
    created_lt: None | str | Unset = UNSET,
    checkout_session_id: None | str | Unset = UNSET,
) -> Response[PaymentList | Problem]:
    """List payments

     Newest first. Filters: `status`, `user_id`, `created_gte` <= created_at < `created_lt` (RFC 3339
    with offset). Pass `next_cursor` as `cursor` for the next page. Customers see only their own
    payments (a `user_id` filter naming someone else gives an empty page); admins, and API clients with
    scope `payments:read`, see all.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | PaymentStatus | Unset):
        user_id (None | str | Unset):
        created_gte (None | str | Unset): RFC 3339
        created_lt (None | str | Unset): RFC 3339
        checkout_session_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaymentList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        user_id=user_id,
        created_gte=created_gte,
        created_lt=created_lt,
        checkout_session_id=checkout_session_id,
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
    status: None | PaymentStatus | Unset = UNSET,
    user_id: None | str | Unset = UNSET,
    created_gte: None | str | Unset = UNSET,
    created_lt: None | str | Unset = UNSET,
    checkout_session_id: None | str | Unset = UNSET,
) -> PaymentList | Problem | None:
    """List payments

     Newest first. Filters: `status`, `user_id`, `created_gte` <= created_at < `created_lt` (RFC 3339
    with offset). Pass `next_cursor` as `cursor` for the next page. Customers see only their own
    payments (a `user_id` filter naming someone else gives an empty page); admins, and API clients with
    scope `payments:read`, see all.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | PaymentStatus | Unset):
        user_id (None | str | Unset):
        created_gte (None | str | Unset): RFC 3339
        created_lt (None | str | Unset): RFC 3339
        checkout_session_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaymentList | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        status=status,
        user_id=user_id,
        created_gte=created_gte,
        created_lt=created_lt,
        checkout_session_id=checkout_session_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    status: None | PaymentStatus | Unset = UNSET,
    user_id: None | str | Unset = UNSET,
    created_gte: None | str | Unset = UNSET,
    created_lt: None | str | Unset = UNSET,
    checkout_session_id: None | str | Unset = UNSET,
) -> Response[PaymentList | Problem]:
    """List payments

     Newest first. Filters: `status`, `user_id`, `created_gte` <= created_at < `created_lt` (RFC 3339
    with offset). Pass `next_cursor` as `cursor` for the next page. Customers see only their own
    payments (a `user_id` filter naming someone else gives an empty page); admins, and API clients with
    scope `payments:read`, see all.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | PaymentStatus | Unset):
        user_id (None | str | Unset):
        created_gte (None | str | Unset): RFC 3339
        created_lt (None | str | Unset): RFC 3339
        checkout_session_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PaymentList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        user_id=user_id,
        created_gte=created_gte,
        created_lt=created_lt,
        checkout_session_id=checkout_session_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    status: None | PaymentStatus | Unset = UNSET,
    user_id: None | str | Unset = UNSET,
    created_gte: None | str | Unset = UNSET,
    created_lt: None | str | Unset = UNSET,
    checkout_session_id: None | str | Unset = UNSET,
) -> PaymentList | Problem | None:
    """List payments

     Newest first. Filters: `status`, `user_id`, `created_gte` <= created_at < `created_lt` (RFC 3339
    with offset). Pass `next_cursor` as `cursor` for the next page. Customers see only their own
    payments (a `user_id` filter naming someone else gives an empty page); admins, and API clients with
    scope `payments:read`, see all.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | PaymentStatus | Unset):
        user_id (None | str | Unset):
        created_gte (None | str | Unset): RFC 3339
        created_lt (None | str | Unset): RFC 3339
        checkout_session_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PaymentList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            status=status,
            user_id=user_id,
            created_gte=created_gte,
            created_lt=created_lt,
            checkout_session_id=checkout_session_id,
        )
    ).parsed
