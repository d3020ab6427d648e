from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_action import AuditAction
from ...models.audit_event_list import AuditEventList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    action: AuditAction | None | Unset = UNSET,
    actor_id: None | str | Unset = UNSET,
    target_id: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_action: None | str | Unset
    if isinstance(action, Unset):
        json_action = UNSET
    elif isinstance(action, AuditAction):
        json_action = action.value
    else:
        json_action = action
    params["action"] = json_action

    json_actor_id: None | str | Unset
    if isinstance(actor_id, Unset):
        json_actor_id = UNSET
    else:
        json_actor_id = actor_id
    params["actor_id"] = json_actor_id

    json_target_id: None | str | Unset
    if isinstance(target_id, Unset):
        json_target_id = UNSET
    else:
        json_target_id = target_id
    params["target_id"] = json_target_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/audit/payment-events",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuditEventList | Problem | None:
    if response.status_code == 200:
        response_200 = AuditEventList.from_dict(response.json())

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
) -> Response[AuditEventList | Problem]:
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
    action: AuditAction | None | Unset = UNSET,
    actor_id: None | str | Unset = UNSET,
    target_id: None | str | Unset = UNSET,
) -> Response[AuditEventList | Problem]:
    """List audit events

     Every action of an admin or an API client that changes money or what merchants receive, recorded
    once in the transaction of the change with who (a user or an API client, see `actor.type`), from
    where and the request id: products created and changed (price changes with the old and new price),
    refunds, webhook endpoints created, changed, deleted and their secrets rotated (never a secret),
    deliveries retried, Stripe events replayed. Newest first; filter by `action`, `actor_id` (a user's
    or an API client's id) or `target_id`. An admin, or an API client with scope `audit:read`. Events
    cannot be changed or deleted, through the API or in the database.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        action (AuditAction | None | Unset):
        actor_id (None | str | Unset):
        target_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditEventList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        action=action,
        actor_id=actor_id,
        target_id=target_id,
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
    action: AuditAction | None | Unset = UNSET,
    actor_id: None | str | Unset = UNSET,
    target_id: None | str | Unset = UNSET,
) -> AuditEventList | Problem | None:
    """List audit events

     Every action of an admin or an API client that changes money or what merchants receive, recorded
    once in the transaction of the change with who (a user or an API client, see `actor.type`), from
    where and the request id: products created and changed (price changes with the old and new price),
    refunds, webhook endpoints created, changed, deleted and their secrets rotated (never a secret),
    deliveries retried, Stripe events replayed. Newest first; filter by `action`, `actor_id` (a user's
    or an API client's id) or `target_id`. An admin, or an API client with scope `audit:read`. Events
    cannot be changed or deleted, through the API or in the database.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        action (AuditAction | None | Unset):
        actor_id (None | str | Unset):
        target_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditEventList | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        action=action,
        actor_id=actor_id,
        target_id=target_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    action: AuditAction | None | Unset = UNSET,
    actor_id: None | str | Unset = UNSET,
    target_id: None | str | Unset = UNSET,
) -> Response[AuditEventList | Problem]:
    """List audit events

     Every action of an admin or an API client that changes money or what merchants receive, recorded
    once in the transaction of the change with who (a user or an API client, see `actor.type`), from
    where and the request id: products created and changed (price changes with the old and new price),
    refunds, webhook endpoints created, changed, deleted and their secrets rotated (never a secret),
    deliveries retried, Stripe events replayed. Newest first; filter by `action`, `actor_id` (a user's
    or an API client's id) or `target_id`. An admin, or an API client with scope `audit:read`. Events
    cannot be changed or deleted, through the API or in the database.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        action (AuditAction | None | Unset):
        actor_id (None | str | Unset):
        target_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditEventList | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        action=action,
        actor_id=actor_id,
        target_id=target_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: None | str | Unset = UNSET,
    action: AuditAction | None | Unset = UNSET,
    actor_id: None | str | Unset = UNSET,
    target_id: None | str | Unset = UNSET,
) -> AuditEventList | Problem | None:
    """List audit events

     Every action of an admin or an API client that changes money or what merchants receive, recorded
    once in the transaction of the change with who (a user or an API client, see `actor.type`), from
    where and the request id: products created and changed (price changes with the old and new price),
    refunds, webhook endpoints created, changed, deleted and their secrets rotated (never a secret),
    deliveries retried, Stripe events replayed. Newest first; filter by `action`, `actor_id` (a user's
    or an API client's id) or `target_id`. An admin, or an API client with scope `audit:read`. Events
    cannot be changed or deleted, through the API or in the database.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        action (AuditAction | None | Unset):
        actor_id (None | str | Unset):
        target_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditEventList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            action=action,
            actor_id=actor_id,
            target_id=target_id,
        )
    ).parsed
