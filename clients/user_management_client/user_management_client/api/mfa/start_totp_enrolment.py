from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.totp_enrolment import TotpEnrolment
from ...models.totp_enrolment_request import TotpEnrolmentRequest
from ...types import Response


def _get_kwargs(
    *,
    body: TotpEnrolmentRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/users/me/mfa/totp",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TotpEnrolment | None:
    if response.status_code == 201:
        response_201 = TotpEnrolment.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[Problem | TotpEnrolment]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TotpEnrolmentRequest,
) -> Response[Problem | TotpEnrolment]:
    """Start enrolling an authenticator app

     The first step of a second factor (TOTP, RFC 6238: 6 digits every 30 seconds, what every
    authenticator app reads). Needs `current_password` (422 when wrong, counted and throttled like a
    login: 429), so that a stolen access token cannot put a factor on someone's account and lock them
    out. The answer's `secret` (base32, for typing) and `otpauth_uri` (the same, for a QR code) go into
    the app; nothing changes at sign-in until confirmTotpEnrolment gets a code from it. Starting again
    replaces a pending enrolment; once a factor is enabled, 409 (disable it first).

    Args:
        body (TotpEnrolmentRequest): The current password, to start an enrolment.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TotpEnrolment]
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
    body: TotpEnrolmentRequest,
) -> Problem | TotpEnrolment | None:
    """Start enrolling an authenticator app

     The first step of a second factor (TOTP, RFC 6238: 6 digits every 30 seconds, what every
    authenticator app reads). Needs `current_password` (422 when wrong, counted and throttled like a
    login: 429), so that a stolen access token cannot put a factor on someone's account and lock them
    out. The answer's `secret` (base32, for typing) and `otpauth_uri` (the same, for a QR code) go into
    the app; nothing changes at sign-in until confirmTotpEnrolment gets a code from it. Starting again
    replaces a pending enrolment; once a factor is enabled, 409 (disable it first).

    Args:
        body (TotpEnrolmentRequest): The current password, to start an enrolment.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TotpEnrolment
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TotpEnrolmentRequest,
) -> Response[Problem | TotpEnrolment]:
    """Start enrolling an authenticator app

     The first step of a second factor (TOTP, RFC 6238: 6 digits every 30 seconds, what every
    authenticator app reads). Needs `current_password` (422 when wrong, counted and throttled like a
    login: 429), so that a stolen access token cannot put a factor on someone's account and lock them
    out. The answer's `secret` (base32, for typing) and `otpauth_uri` (the same, for a QR code) go into
    the app; nothing changes at sign-in until confirmTotpEnrolment gets a code from it. Starting again
    replaces a pending enrolment; once a factor is enabled, 409 (disable it first).

    Args:
        body (TotpEnrolmentRequest): The current password, to start an enrolment.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TotpEnrolment]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TotpEnrolmentRequest,
) -> Problem | TotpEnrolment | None:
    """Start enrolling an authenticator app

     The first step of a second factor (TOTP, RFC 6238: 6 digits every 30 seconds, what every
    authenticator app reads). Needs `current_password` (422 when wrong, counted and throttled like a
    login: 429), so that a stolen access token cannot put a factor on someone's account and lock them
    out. The answer's `secret` (base32, for typing) and `otpauth_uri` (the same, for a QR code) go into
    the app; nothing changes at sign-in until confirmTotpEnrolment gets a code from it. Starting again
    replaces a pending enrolment; once a factor is enabled, 409 (disable it first).

    Args:
        body (TotpEnrolmentRequest): The current password, to start an enrolment.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TotpEnrolment
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
