from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.delivery_state import DeliveryState
from ...models.problem import Problem
from ...models.webhook_delivery_list import WebhookDeliveryList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    endpoint_id: str,
    *,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: DeliveryState | None | Unset = UNSET,
    event_id: None | str | Unset = UNSET,
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
    elif isinstance(state, DeliveryState):
        json_state = state.value
    else:
        json_state = state
    params["state"] = json_state

    json_event_id: None | str | Unset
    if isinstance(event_id, Unset):
        json_event_id = UNSET
    else:
        json_event_id = event_id
    params["event_id"] = json_event_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/webhook-endpoints/{endpoint_id}/deliveries".format(
            endpoint_id=quote(str(endpoint_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | WebhookDeliveryList | None:
    if response.status_code == 200:
        response_200 = WebhookDeliveryList.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[Problem | WebhookDeliveryList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: DeliveryState | None | Unset = UNSET,
    event_id: None | str | Unset = UNSET,
) -> Response[Problem | WebhookDeliveryList]:
    """List an endpoint's deliveries

     Each event sent (or to be sent) to the endpoint: `pending` (with `next_attempt_at`),
    `delivered`, or `failed` once every retry of the window failed. An admin, or an API client with
    scope `webhooks:read`.

    Args:
        endpoint_id (str):
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (DeliveryState | None | Unset):
        event_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookDeliveryList]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        limit=limit,
        cursor=cursor,
        state=state,
        event_id=event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: DeliveryState | None | Unset = UNSET,
    event_id: None | str | Unset = UNSET,
) -> Problem | WebhookDeliveryList | None:
    """List an endpoint's deliveries

     Each event sent (or to be sent) to the endpoint: `pending` (with `next_attempt_at`),
    `delivered`, or `failed` once every retry of the window failed. An admin, or an API client with
    scope `webhooks:read`.

    Args:
        endpoint_id (str):
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (DeliveryState | None | Unset):
        event_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookDeliveryList
    """

    return sync_detailed(
        endpoint_id=endpoint_id,
        client=client,
        limit=limit,
        cursor=cursor,
        state=state,
        event_id=event_id,
    ).parsed


async def asyncio_detailed(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: DeliveryState | None | Unset = UNSET,
    event_id: None | str | Unset = UNSET,
) -> Response[Problem | WebhookDeliveryList]:
    """List an endpoint's deliveries

     Each event sent (or to be sent) to the endpoint: `pending` (with `next_attempt_at`),
    `delivered`, or `failed` once every retry of the window failed. An admin, or an API client with
    scope `webhooks:read`.

    Args:
        endpoint_id (str):
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (DeliveryState | None | Unset):
        event_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookDeliveryList]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        limit=limit,
        cursor=cursor,
        state=state,
        event_id=event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    state: DeliveryState | None | Unset = UNSET,
    event_id: None | str | Unset = UNSET,
) -> Problem | WebhookDeliveryList | None:
    """List an endpoint's deliveries

     Each event sent (or to be sent) to the endpoint: `pending` (with `next_attempt_at`),
    `delivered`, or `failed` once every retry of the window failed. An admin, or an API client with
    scope `webhooks:read`.

    Args:
        endpoint_id (str):
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        state (DeliveryState | None | Unset):
        event_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookDeliveryList
    """

    return (
        await asyncio_detailed(
            endpoint_id=endpoint_id,
            client=client,
            limit=limit,
            cursor=cursor,
            state=state,
            event_id=event_id,
        )
    ).parsed
