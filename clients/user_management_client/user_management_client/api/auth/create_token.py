from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.token_request import TokenRequest
from ...models.token_response import TokenResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: TokenRequest,
    x_end_user_address: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_end_user_address, Unset):
        headers["X-End-User-Address"] = x_end_user_address

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/auth/token",
    }

    _kwargs["data"] = body.to_dict()
    headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TokenResponse | None:
    if response.status_code == 200:
        response_200 = TokenResponse.from_dict(response.json())

        return response_200

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | TokenResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TokenRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Response[Problem | TokenResponse]:
    """Get tokens (OAuth2 password or client-credentials grant)

     Two grants, form-encoded. **People** (the password grant, RFC 6749 section 4.3): `username` (the
    email) and `password` (`grant_type=password` may be omitted; `scope`, `client_id` and
    `client_secret` are accepted and ignored so that OAuth2 tools such as Swagger UI's Authorize dialog
    work); the answer carries a refresh token. **API clients** (the client-credentials grant, section
    4.4): `grant_type=client_credentials` with the client authenticated by HTTP Basic
    (`client_id:client_secret`, section 2.3.1) or by `client_id` and `client_secret` in the body, not
    both; `scope` (space separated) asks for some of the client's scopes, all of them when omitted (422
    on `body.scope` for one it does not hold). The answer has `scope` and no refresh token: a client
    asks again when its token expires. An unknown client, a wrong secret and a revoked or expired client
    get the same 401. For people, the answer is the same 401, in the same time, for an unknown email, a
    deactivated user and a wrong password. A user with a second factor also sends `otp` (the app's
    current code, or a recovery code); the right password without it, or with a wrong or used code, is
    401 with the problem type `mfa-required` (a wrong code counts as a failed login). Failed attempts
    are counted in the database per account and client address, per client address, and per account
    across addresses (LOGIN_MAX_FAILURES_PER_PAIR, LOGIN_MAX_FAILURES_PER_ADDRESS,
    LOGIN_MAX_FAILURES_PER_ACCOUNT). Past the first two limits that address gets 429 with `Retry-After`
    (LOGIN_THROTTLE_BASE_DELAY_SECONDS, doubled with every further failure, at most
    LOGIN_THROTTLE_WINDOW_SECONDS), even for the right password; past the account's, every wrong
    password gets 429, but the right password from an address that has not been failing for this account
    is accepted: a stranger cannot lock the owner out. A counter forgets its failures two windows after
    the last one; an admin may clear an account's at once (unlockUser).

    Args:
        x_end_user_address (str | Unset):
        body (TokenRequest): OAuth2 token request, form-encoded: the password grant (RFC 6749
            section 4.3; then `username` and `password` are required, 422 naming each one missing) or
            the client-credentials grant (section 4.4).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TokenResponse]
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
    body: TokenRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Problem | TokenResponse | None:
    """Get tokens (OAuth2 password or client-credentials grant)

     Two grants, form-encoded. **People** (the password grant, RFC 6749 section 4.3): `username` (the
    email) and `password` (`grant_type=password` may be omitted; `scope`, `client_id` and
    `client_secret` are accepted and ignored so that OAuth2 tools such as Swagger UI's Authorize dialog
    work); the answer carries a refresh token. **API clients** (the client-credentials grant, section
    4.4): `grant_type=client_credentials` with the client authenticated by HTTP Basic
    (`client_id:client_secret`, section 2.3.1) or by `client_id` and `client_secret` in the body, not
    both; `scope` (space separated) asks for some of the client's scopes, all of them when omitted (422
    on `body.scope` for one it does not hold). The answer has `scope` and no refresh token: a client
    asks again when its token expires. An unknown client, a wrong secret and a revoked or expired client
    get the same 401. For people, the answer is the same 401, in the same time, for an unknown email, a
    deactivated user and a wrong password. A user with a second factor also sends `otp` (the app's
    current code, or a recovery code); the right password without it, or with a wrong or used code, is
    401 with the problem type `mfa-required` (a wrong code counts as a failed login). Failed attempts
    are counted in the database per account and client address, per client address, and per account
    across addresses (LOGIN_MAX_FAILURES_PER_PAIR, LOGIN_MAX_FAILURES_PER_ADDRESS,
    LOGIN_MAX_FAILURES_PER_ACCOUNT). Past the first two limits that address gets 429 with `Retry-After`
    (LOGIN_THROTTLE_BASE_DELAY_SECONDS, doubled with every further failure, at most
    LOGIN_THROTTLE_WINDOW_SECONDS), even for the right password; past the account's, every wrong
    password gets 429, but the right password from an address that has not been failing for this account
    is accepted: a stranger cannot lock the owner out. A counter forgets its failures two windows after
    the last one; an admin may clear an account's at once (unlockUser).

    Args:
        x_end_user_address (str | Unset):
        body (TokenRequest): OAuth2 token request, form-encoded: the password grant (RFC 6749
            section 4.3; then `username` and `password` are required, 422 naming each one missing) or
            the client-credentials grant (section 4.4).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TokenResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        x_end_user_address=x_end_user_address,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TokenRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Response[Problem | TokenResponse]:
    """Get tokens (OAuth2 password or client-credentials grant)

     Two grants, form-encoded. **People** (the password grant, RFC 6749 section 4.3): `username` (the
    email) and `password` (`grant_type=password` may be omitted; `scope`, `client_id` and
    `client_secret` are accepted and ignored so that OAuth2 tools such as Swagger UI's Authorize dialog
    work); the answer carries a refresh token. **API clients** (the client-credentials grant, section
    4.4): `grant_type=client_credentials` with the client authenticated by HTTP Basic
    (`client_id:client_secret`, section 2.3.1) or by `client_id` and `client_secret` in the body, not
    both; `scope` (space separated) asks for some of the client's scopes, all of them when omitted (422
    on `body.scope` for one it does not hold). The answer has `scope` and no refresh token: a client
    asks again when its token expires. An unknown client, a wrong secret and a revoked or expired client
    get the same 401. For people, the answer is the same 401, in the same time, for an unknown email, a
    deactivated user and a wrong password. A user with a second factor also sends `otp` (the app's
    current code, or a recovery code); the right password without it, or with a wrong or used code, is
    401 with the problem type `mfa-required` (a wrong code counts as a failed login). Failed attempts
    are counted in the database per account and client address, per client address, and per account
    across addresses (LOGIN_MAX_FAILURES_PER_PAIR, LOGIN_MAX_FAILURES_PER_ADDRESS,
    LOGIN_MAX_FAILURES_PER_ACCOUNT). Past the first two limits that address gets 429 with `Retry-After`
    (LOGIN_THROTTLE_BASE_DELAY_SECONDS, doubled with every further failure, at most
    LOGIN_THROTTLE_WINDOW_SECONDS), even for the right password; past the account's, every wrong
    password gets 429, but the right password from an address that has not been failing for this account
    is accepted: a stranger cannot lock the owner out. A counter forgets its failures two windows after
    the last one; an admin may clear an account's at once (unlockUser).

    Args:
        x_end_user_address (str | Unset):
        body (TokenRequest): OAuth2 token request, form-encoded: the password grant (RFC 6749
            section 4.3; then `username` and `password` are required, 422 naming each one missing) or
            the client-credentials grant (section 4.4).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TokenResponse]
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
    body: TokenRequest,
    x_end_user_address: str | Unset = UNSET,
) -> Problem | TokenResponse | None:
    """Get tokens (OAuth2 password or client-credentials grant)

     Two grants, form-encoded. **People** (the password grant, RFC 6749 section 4.3): `username` (the
    email) and `password` (`grant_type=password` may be omitted; `scope`, `client_id` and
    `client_secret` are accepted and ignored so that OAuth2 tools such as Swagger UI's Authorize dialog
    work); the answer carries a refresh token. **API clients** (the client-credentials grant, section
    4.4): `grant_type=client_credentials` with the client authenticated by HTTP Basic
    (`client_id:client_secret`, section 2.3.1) or by `client_id` and `client_secret` in the body, not
    both; `scope` (space separated) asks for some of the client's scopes, all of them when omitted (422
    on `body.scope` for one it does not hold). The answer has `scope` and no refresh token: a client
    asks again when its token expires. An unknown client, a wrong secret and a revoked or expired client
    get the same 401. For people, the answer is the same 401, in the same time, for an unknown email, a
    deactivated user and a wrong password. A user with a second factor also sends `otp` (the app's
    current code, or a recovery code); the right password without it, or with a wrong or used code, is
    401 with the problem type `mfa-required` (a wrong code counts as a failed login). Failed attempts
    are counted in the database per account and client address, per client address, and per account
    across addresses (LOGIN_MAX_FAILURES_PER_PAIR, LOGIN_MAX_FAILURES_PER_ADDRESS,
    LOGIN_MAX_FAILURES_PER_ACCOUNT). Past the first two limits that address gets 429 with `Retry-After`
    (LOGIN_THROTTLE_BASE_DELAY_SECONDS, doubled with every further failure, at most
    LOGIN_THROTTLE_WINDOW_SECONDS), even for the right password; past the account's, every wrong
    password gets 429, but the right password from an address that has not been failing for this account
    is accepted: a stranger cannot lock the owner out. A counter forgets its failures two windows after
    the last one; an admin may clear an account's at once (unlockUser).

    Args:
        x_end_user_address (str | Unset):
        body (TokenRequest): OAuth2 token request, form-encoded: the password grant (RFC 6749
            section 4.3; then `username` and `password` are required, 422 naming each one missing) or
            the client-credentials grant (section 4.4).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TokenResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_end_user_address=x_end_user_address,
        )
    ).parsed
