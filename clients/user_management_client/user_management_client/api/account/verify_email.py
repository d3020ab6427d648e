from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.email_verification import EmailVerification
from ...models.problem import Problem
from ...models.user import User
from ...types import Response


def _get_kwargs(
    *,
    body: EmailVerification,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/auth/email-verification/confirm",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | User | None:
    if response.status_code == 200:
        response_200 = User.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | User]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EmailVerification,
) -> Response[Problem | User]:
    """Verify an email with a verification link's token

     The token of a link mailed at registration, on a change of email, or by requestEmailVerification
    (ACCOUNT_LINKS_URL/verify-email?token=...). It works once, before it expires, and only while the
    account still has the email it was sent to (422 naming `body.token` otherwise). No sign-in is
    needed: the link may be opened on another device.

    Args:
        body (EmailVerification): A verification link's token.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | User]
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
    client: AuthenticatedClient | Client,
    body: EmailVerification,
) -> Problem | User | None:
    """Verify an email with a verification link's token

     The token of a link mailed at registration, on a change of email, or by requestEmailVerification
    (ACCOUNT_LINKS_URL/verify-email?token=...). It works once, before it expires, and only while the
    account still has the email it was sent to (422 naming `body.token` otherwise). No sign-in is
    needed: the link may be opened on another device.

    Args:
        body (EmailVerification): A verification link's token.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | User
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EmailVerification,
) -> Response[Problem | User]:
    """Verify an email with a verification link's token

     The token of a link mailed at registration, on a change of email, or by requestEmailVerification
    (ACCOUNT_LINKS_URL/verify-email?token=...). It works once, before it expires, and only while the
    account still has the email it was sent to (422 naming `body.token` otherwise). No sign-in is
    needed: the link may be opened on another device.

    Args:
        body (EmailVerification): A verification link's token.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | User]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: EmailVerification,
) -> Problem | User | None:
    """Verify an email with a verification link's token

     The token of a link mailed at registration, on a change of email, or by requestEmailVerification
    (ACCOUNT_LINKS_URL/verify-email?token=...). It works once, before it expires, and only while the
    account still has the email it was sent to (422 naming `body.token` otherwise). No sign-in is
    needed: the link may be opened on another device.

    Args:
        body (EmailVerification): A verification link's token.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | User
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
