from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.accepted import Accepted
from ...models.password_reset_request import PasswordResetRequest
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: PasswordResetRequest,
    x_end_user_address: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_end_user_address, Unset):
        headers["X-End-User-Address"] = x_end_user_address

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/auth/password-reset",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Accepted | Problem | None:
    if response.status_code == 202:
        response_202 = Accepted.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Accepted | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: PasswordResetRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Response[Accepted | Problem]:
    """Ask for a password reset link

     Queues a mail with a single-use link to choose a new password (valid PASSWORD_RESET_TTL_SECONDS, 30
    minutes by default) to this email, if an active account has it. The answer, and the work done before
    it, are the same whether or not one does: nobody learns which emails have accounts. At most
    PASSWORD_RESET_MAX_PER_HOUR links (3 by default) are mailed to one address per hour, and one client
    address may ask PASSWORD_RESET_MAX_PER_ADDRESS times (10 by default, whatever the emails) within two
    sign-in throttle windows of its last request (30 minutes by default); past it, 429 with `Retry-
    After`. The link opens ACCOUNT_LINKS_URL/reset-password?token=...; its page sends the token to
    resetPassword.

    Args:
        x_end_user_address (str | Unset):
        body (PasswordResetRequest): Whose password to reset.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        x_end_user_address=x_end_user_address,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: PasswordResetRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Accepted | Problem | None:
    """Ask for a password reset link

     Queues a mail with a single-use link to choose a new password (valid PASSWORD_RESET_TTL_SECONDS, 30
    minutes by default) to this email, if an active account has it. The answer, and the work done before
    it, are the same whether or not one does: nobody learns which emails have accounts. At most
    PASSWORD_RESET_MAX_PER_HOUR links (3 by default) are mailed to one address per hour, and one client
    address may ask PASSWORD_RESET_MAX_PER_ADDRESS times (10 by default, whatever the emails) within two
    sign-in throttle windows of its last request (30 minutes by default); past it, 429 with `Retry-
    After`. The link opens ACCOUNT_LINKS_URL/reset-password?token=...; its page sends the token to
    resetPassword.

    Args:
        x_end_user_address (str | Unset):
        body (PasswordResetRequest): Whose password to reset.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        x_end_user_address=x_end_user_address,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: PasswordResetRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Response[Accepted | Problem]:
    """Ask for a password reset link

     Queues a mail with a single-use link to choose a new password (valid PASSWORD_RESET_TTL_SECONDS, 30
    minutes by default) to this email, if an active account has it. The answer, and the work done before
    it, are the same whether or not one does: nobody learns which emails have accounts. At most
    PASSWORD_RESET_MAX_PER_HOUR links (3 by default) are mailed to one address per hour, and one client
    address may ask PASSWORD_RESET_MAX_PER_ADDRESS times (10 by default, whatever the emails) within two
    sign-in throttle windows of its last request (30 minutes by default); past it, 429 with `Retry-
    After`. The link opens ACCOUNT_LINKS_URL/reset-password?token=...; its page sends the token to
    resetPassword.

    Args:
        x_end_user_address (str | Unset):
        body (PasswordResetRequest): Whose password to reset.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        x_end_user_address=x_end_user_address,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: PasswordResetRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Accepted | Problem | None:
    """Ask for a password reset link

     Queues a mail with a single-use link to choose a new password (valid PASSWORD_RESET_TTL_SECONDS, 30
    minutes by default) to this email, if an active account has it. The answer, and the work done before
    it, are the same whether or not one does: nobody learns which emails have accounts. At most
    PASSWORD_RESET_MAX_PER_HOUR links (3 by default) are mailed to one address per hour, and one client
    address may ask PASSWORD_RESET_MAX_PER_ADDRESS times (10 by default, whatever the emails) within two
    sign-in throttle windows of its last request (30 minutes by default); past it, 429 with `Retry-
    After`. The link opens ACCOUNT_LINKS_URL/reset-password?token=...; its page sends the token to
    resetPassword.

    Args:
        x_end_user_address (str | Unset):
        body (PasswordResetRequest): Whose password to reset.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_end_user_address=x_end_user_address,
        )
    ).parsed
