from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    client_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api-clients/{client_id}/revoke".format(
            client_id=quote(str(client_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Problem | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    client_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Any | Problem]:
    """Revoke an API client

     Its token requests fail at once, and so do the access tokens it holds, at this service; the payment
    service verifies tokens by signature only and honours them until they expire
    (ACCESS_TOKEN_TTL_SECONDS, 15 minutes by default). The record stays, listed as `revoked`; revoking
    again answers 204 and changes nothing. Takes no body. Admins only. Recorded in the audit trail
    (`api_client.revoked`, the first time).

    Args:
        client_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        client_id=client_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    client_id: str,
    *,
    client: AuthenticatedClient,
) -> Any | Problem | None:
    """Revoke an API client

     Its token requests fail at once, and so do the access tokens it holds, at this service; the payment
    service verifies tokens by signature only and honours them until they expire
    (ACCESS_TOKEN_TTL_SECONDS, 15 minutes by default). The record stays, listed as `revoked`; revoking
    again answers 204 and changes nothing. Takes no body. Admins only. Recorded in the audit trail
    (`api_client.revoked`, the first time).

    Args:
        client_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        client_id=client_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    client_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Any | Problem]:
    """Revoke an API client

     Its token requests fail at once, and so do the access tokens it holds, at this service; the payment
    service verifies tokens by signature only and honours them until they expire
    (ACCESS_TOKEN_TTL_SECONDS, 15 minutes by default). The record stays, listed as `revoked`; revoking
    again answers 204 and changes nothing. Takes no body. Admins only. Recorded in the audit trail
    (`api_client.revoked`, the first time).

    Args:
        client_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        client_id=client_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    client_id: str,
    *,
    client: AuthenticatedClient,
) -> Any | Problem | None:
    """Revoke an API client

     Its token requests fail at once, and so do the access tokens it holds, at this service; the payment
    service verifies tokens by signature only and honours them until they expire
    (ACCESS_TOKEN_TTL_SECONDS, 15 minutes by default). The record stays, listed as `revoked`; revoking
    again answers 204 and changes nothing. Takes no body. Admins only. Recorded in the audit trail
    (`api_client.revoked`, the first time).

    Args:
        client_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            client_id=client_id,
            client=client,
        )
    ).parsed
