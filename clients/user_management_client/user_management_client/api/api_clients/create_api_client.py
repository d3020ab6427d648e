from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_client_create import ApiClientCreate
from ...models.api_client_created import ApiClientCreated
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: ApiClientCreate,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api-clients",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiClientCreated | Problem | None:
    if response.status_code == 201:
        response_201 = ApiClientCreated.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
) -> Response[ApiClientCreated | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ApiClientCreate,
) -> Response[ApiClientCreated | Problem]:
    """Create an API client

     A machine credential for the OAuth2 client-credentials grant at createToken: the answer's `id` and
    `client_secret` get access tokens carrying some or all of `scopes`, until `expires_at` (optional, in
    the future) or until the client is revoked. The secret is in this answer only (`Cache-Control: no-
    store`) and is stored as a SHA-256: keep it in a secret store; lost, it cannot be shown again
    (create a new client, revoke the old). Admins only, with a person's token (an API client cannot
    create another). Recorded in the audit trail (`api_client.created`).

    Args:
        body (ApiClientCreate): A new API client.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiClientCreated | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: ApiClientCreate,
) -> ApiClientCreated | Problem | None:
    """Create an API client

     A machine credential for the OAuth2 client-credentials grant at createToken: the answer's `id` and
    `client_secret` get access tokens carrying some or all of `scopes`, until `expires_at` (optional, in
    the future) or until the client is revoked. The secret is in this answer only (`Cache-Control: no-
    store`) and is stored as a SHA-256: keep it in a secret store; lost, it cannot be shown again
    (create a new client, revoke the old). Admins only, with a person's token (an API client cannot
    create another). Recorded in the audit trail (`api_client.created`).

    Args:
        body (ApiClientCreate): A new API client.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiClientCreated | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ApiClientCreate,
) -> Response[ApiClientCreated | Problem]:
    """Create an API client

     A machine credential for the OAuth2 client-credentials grant at createToken: the answer's `id` and
    `client_secret` get access tokens carrying some or all of `scopes`, until `expires_at` (optional, in
    the future) or until the client is revoked. The secret is in this answer only (`Cache-Control: no-
    store`) and is stored as a SHA-256: keep it in a secret store; lost, it cannot be shown again
    (create a new client, revoke the old). Admins only, with a person's token (an API client cannot
    create another). Recorded in the audit trail (`api_client.created`).

    Args:
        body (ApiClientCreate): A new API client.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiClientCreated | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ApiClientCreate,
) -> ApiClientCreated | Problem | None:
    """Create an API client

     A machine credential for the OAuth2 client-credentials grant at createToken: the answer's `id` and
    `client_secret` get access tokens carrying some or all of `scopes`, until `expires_at` (optional, in
    the future) or until the client is revoked. The secret is in this answer only (`Cache-Control: no-
    store`) and is stored as a SHA-256: keep it in a secret store; lost, it cannot be shown again
    (create a new client, revoke the old). Admins only, with a person's token (an API client cannot
    create another). Recorded in the audit trail (`api_client.created`).

    Args:
        body (ApiClientCreate): A new API client.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiClientCreated | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
