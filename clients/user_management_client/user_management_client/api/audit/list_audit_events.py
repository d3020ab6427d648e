from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_event_page import AuditEventPage
from ...models.list_audit_events_action import ListAuditEventsAction
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    action: ListAuditEventsAction | Unset = UNSET,
    actor_id: UUID | Unset = UNSET,
    target_id: UUID | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    json_action: str | Unset = UNSET
    if not isinstance(action, Unset):
        json_action = action

    params["action"] = json_action

    json_actor_id: str | Unset = UNSET
    if not isinstance(actor_id, Unset):
        json_actor_id = str(actor_id)
    params["actor_id"] = json_actor_id

    json_target_id: str | Unset = UNSET
    if not isinstance(target_id, Unset):
        json_target_id = str(target_id)
    params["target_id"] = json_target_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/audit/access-events",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuditEventPage | Problem | None:
    if response.status_code == 200:
        response_200 = AuditEventPage.from_dict(response.json())

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
) -> Response[AuditEventPage | Problem]:
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
    action: ListAuditEventsAction | Unset = UNSET,
    actor_id: UUID | Unset = UNSET,
    target_id: UUID | Unset = UNSET,
) -> Response[AuditEventPage | Problem]:
    """List audit events

     Every admin or operator action that changes access, recorded once in the transaction of the change,
    with who (`actor`: a user through the API, the operator's CLI, or the service itself), what
    (`action`, `target_id`, `details`), when (`at`), from where (`actor.address`) and the request id:
    users created by an admin, role changes, an admin's change of another user's email, name or password
    (which fields, never their values), deactivations, unlocks, and password resets through a mailed
    link. Oldest first, `limit` per page (1..100, default 20); pass `next_cursor` as `cursor` for the
    next page. Filter by `action`, `actor_id` (who) or `target_id` (on whom). The creation and
    revocation of API clients are recorded too. An admin, or an API client with scope `audit:read` (a
    customer gets 403). Events cannot be changed or deleted, through the API or in the database
    (triggers refuse it).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        action (ListAuditEventsAction | Unset):
        actor_id (UUID | Unset):
        target_id (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditEventPage | Problem]
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
    cursor: str | Unset = UNSET,
    action: ListAuditEventsAction | Unset = UNSET,
    actor_id: UUID | Unset = UNSET,
    target_id: UUID | Unset = UNSET,
) -> AuditEventPage | Problem | None:
    """List audit events

     Every admin or operator action that changes access, recorded once in the transaction of the change,
    with who (`actor`: a user through the API, the operator's CLI, or the service itself), what
    (`action`, `target_id`, `details`), when (`at`), from where (`actor.address`) and the request id:
    users created by an admin, role changes, an admin's change of another user's email, name or password
    (which fields, never their values), deactivations, unlocks, and password resets through a mailed
    link. Oldest first, `limit` per page (1..100, default 20); pass `next_cursor` as `cursor` for the
    next page. Filter by `action`, `actor_id` (who) or `target_id` (on whom). The creation and
    revocation of API clients are recorded too. An admin, or an API client with scope `audit:read` (a
    customer gets 403). Events cannot be changed or deleted, through the API or in the database
    (triggers refuse it).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        action (ListAuditEventsAction | Unset):
        actor_id (UUID | Unset):
        target_id (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditEventPage | Problem
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
    cursor: str | Unset = UNSET,
    action: ListAuditEventsAction | Unset = UNSET,
    actor_id: UUID | Unset = UNSET,
    target_id: UUID | Unset = UNSET,
) -> Response[AuditEventPage | Problem]:
    """List audit events

     Every admin or operator action that changes access, recorded once in the transaction of the change,
    with who (`actor`: a user through the API, the operator's CLI, or the service itself), what
    (`action`, `target_id`, `details`), when (`at`), from where (`actor.address`) and the request id:
    users created by an admin, role changes, an admin's change of another user's email, name or password
    (which fields, never their values), deactivations, unlocks, and password resets through a mailed
    link. Oldest first, `limit` per page (1..100, default 20); pass `next_cursor` as `cursor` for the
    next page. Filter by `action`, `actor_id` (who) or `target_id` (on whom). The creation and
    revocation of API clients are recorded too. An admin, or an API client with scope `audit:read` (a
    customer gets 403). Events cannot be changed or deleted, through the API or in the database
    (triggers refuse it).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        action (ListAuditEventsAction | Unset):
        actor_id (UUID | Unset):
        target_id (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditEventPage | Problem]
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
    cursor: str | Unset = UNSET,
    action: ListAuditEventsAction | Unset = UNSET,
    actor_id: UUID | Unset = UNSET,
    target_id: UUID | Unset = UNSET,
) -> AuditEventPage | Problem | None:
    """List audit events

     Every admin or operator action that changes access, recorded once in the transaction of the change,
    with who (`actor`: a user through the API, the operator's CLI, or the service itself), what
    (`action`, `target_id`, `details`), when (`at`), from where (`actor.address`) and the request id:
    users created by an admin, role changes, an admin's change of another user's email, name or password
    (which fields, never their values), deactivations, unlocks, and password resets through a mailed
    link. Oldest first, `limit` per page (1..100, default 20); pass `next_cursor` as `cursor` for the
    next page. Filter by `action`, `actor_id` (who) or `target_id` (on whom). The creation and
    revocation of API clients are recorded too. An admin, or an API client with scope `audit:read` (a
    customer gets 403). Events cannot be changed or deleted, through the API or in the database
    (triggers refuse it).

    Args:
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        action (ListAuditEventsAction | Unset):
        actor_id (UUID | Unset):
        target_id (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditEventPage | Problem
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
