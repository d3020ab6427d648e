from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_type import EventType
from ...models.outbound_event_list import OutboundEventList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    type_: EventType | None | Unset = UNSET,
    object_id: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_type_: None | str | Unset
    if isinstance(type_, Unset):
        json_type_ = UNSET
    elif isinstance(type_, EventType):
        json_type_ = type_.value
    else:
        json_type_ = type_
    params["type"] = json_type_

    json_object_id: None | str | Unset
    if isinstance(object_id, Unset):
        json_object_id = UNSET
    else:
        json_object_id = object_id
    params["object_id"] = json_object_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/events",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OutboundEventList | Problem | None:
    if response.status_code == 200:
        response_200 = OutboundEventList.from_dict(response.json())

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
) -> Response[OutboundEventList | Problem]:
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
    type_: EventType | None | Unset = UNSET,
    object_id: None | str | Unset = UNSET,
) -> Response[OutboundEventList | Problem]:
    """List emitted events

     The events we emitted, newest first; filter by `type` and by the payment or refund
    they are about (`object_id`). An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        type_ (EventType | None | Unset):
        object_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OutboundEventList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        type_=type_,
        object_id=object_id,
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
    type_: EventType | None | Unset = UNSET,
    object_id: None | str | Unset = UNSET,
) -> OutboundEventList | Problem | None:
    """List emitted events

     The events we emitted, newest first; filter by `type` and by the payment or refund
    they are about (`object_id`). An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        type_ (EventType | None | Unset):
        object_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OutboundEventList | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        type_=type_,
        object_id=object_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    type_: EventType | None | Unset = UNSET,
    object_id: None | str | Unset = UNSET,
) -> Response[OutboundEventList | Problem]:
    """List emitted events

     The events we emitted, newest first; filter by `type` and by the payment or refund
    they are about (`object_id`). An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        type_ (EventType | None | Unset):
        object_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OutboundEventList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        type_=type_,
        object_id=object_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    type_: EventType | None | Unset = UNSET,
    object_id: None | str | Unset = UNSET,
) -> OutboundEventList | Problem | None:
    """List emitted events

     The events we emitted, newest first; filter by `type` and by the payment or refund
    they are about (`object_id`). An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        type_ (EventType | None | Unset):
        object_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OutboundEventList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            type_=type_,
            object_id=object_id,
        )
    ).parsed
