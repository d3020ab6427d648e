from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.inbox_state import InboxState
from ...models.problem import Problem
from ...models.webhook_event_list import WebhookEventList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: InboxState | None | Unset = UNSET,
    type_: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_state: None | str | Unset
    if isinstance(state, Unset):
        json_state = UNSET
    elif isinstance(state, InboxState):
        json_state = state.value
    else:
        json_state = state
    params["state"] = json_state

    json_type_: None | str | Unset
    if isinstance(type_, Unset):
        json_type_ = UNSET
    else:
        json_type_ = type_
    params["type"] = json_type_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/webhooks/events",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | WebhookEventList | None:
    if response.status_code == 200:
        response_200 = WebhookEventList.from_dict(response.json())

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
) -> Response[Problem | WebhookEventList]:
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
    state: InboxState | None | Unset = UNSET,
    type_: None | str | Unset = UNSET,
) -> Response[Problem | WebhookEventList]:
    """List stored Stripe events

     The gateway events the service stored, newest first, with their processing state:
    find a `failed` one to replay, or the event behind a payment's change. Filter by `state`
    and by Stripe's event `type`. An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (InboxState | None | Unset):
        type_ (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookEventList]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        state=state,
        type_=type_,
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
    state: InboxState | None | Unset = UNSET,
    type_: None | str | Unset = UNSET,
) -> Problem | WebhookEventList | None:
    """List stored Stripe events

     The gateway events the service stored, newest first, with their processing state:
    find a `failed` one to replay, or the event behind a payment's change. Filter by `state`
    and by Stripe's event `type`. An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (InboxState | None | Unset):
        type_ (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookEventList
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        state=state,
        type_=type_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: InboxState | None | Unset = UNSET,
    type_: None | str | Unset = UNSET,
) -> Response[Problem | WebhookEventList]:
    """List stored Stripe events

     The gateway events the service stored, newest first, with their processing state:
    find a `failed` one to replay, or the event behind a payment's change. Filter by `state`
    and by Stripe's event `type`. An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (InboxState | None | Unset):
        type_ (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookEventList]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        state=state,
        type_=type_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: InboxState | None | Unset = UNSET,
    type_: None | str | Unset = UNSET,
) -> Problem | WebhookEventList | None:
    """List stored Stripe events

     The gateway events the service stored, newest first, with their processing state:
    find a `failed` one to replay, or the event behind a payment's change. Filter by `state`
    and by Stripe's event `type`. An admin, or an API client with scope `events:read`.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (InboxState | None | Unset):
        type_ (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookEventList
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            state=state,
            type_=type_,
        )
    ).parsed
