from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.totp_code import TotpCode
from ...models.totp_recovery_codes import TotpRecoveryCodes
from ...types import Response


def _get_kwargs(
    *,
    body: TotpCode,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/users/me/mfa/totp/confirm",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TotpRecoveryCodes | None:
    if response.status_code == 200:
        response_200 = TotpRecoveryCodes.from_dict(response.json())

        return response_200

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | TotpRecoveryCodes]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TotpCode,
) -> Response[Problem | TotpRecoveryCodes]:
    """Confirm the authenticator app with a code

     A current code from the app (the one before and after it are accepted too, for a clock a little off)
    enables the factor: from now on createToken needs `otp` with the password. The answer's ten recovery
    codes each stand in for a code once (a lost phone); they are shown only here and stored as SHA-256.
    A wrong code is 422 on `body.code`; without a pending enrolment, 409. Recorded in the audit trail.

    Args:
        body (TotpCode): A code from the authenticator app, or (to disable) a recovery code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TotpRecoveryCodes]
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
    body: TotpCode,
) -> Problem | TotpRecoveryCodes | None:
    """Confirm the authenticator app with a code

     A current code from the app (the one before and after it are accepted too, for a clock a little off)
    enables the factor: from now on createToken needs `otp` with the password. The answer's ten recovery
    codes each stand in for a code once (a lost phone); they are shown only here and stored as SHA-256.
    A wrong code is 422 on `body.code`; without a pending enrolment, 409. Recorded in the audit trail.

    Args:
        body (TotpCode): A code from the authenticator app, or (to disable) a recovery code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TotpRecoveryCodes
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TotpCode,
) -> Response[Problem | TotpRecoveryCodes]:
    """Confirm the authenticator app with a code

     A current code from the app (the one before and after it are accepted too, for a clock a little off)
    enables the factor: from now on createToken needs `otp` with the password. The answer's ten recovery
    codes each stand in for a code once (a lost phone); they are shown only here and stored as SHA-256.
    A wrong code is 422 on `body.code`; without a pending enrolment, 409. Recorded in the audit trail.

    Args:
        body (TotpCode): A code from the authenticator app, or (to disable) a recovery code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TotpRecoveryCodes]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TotpCode,
) -> Problem | TotpRecoveryCodes | None:
    """Confirm the authenticator app with a code

     A current code from the app (the one before and after it are accepted too, for a clock a little off)
    enables the factor: from now on createToken needs `otp` with the password. The answer's ten recovery
    codes each stand in for a code once (a lost phone); they are shown only here and stored as SHA-256.
    A wrong code is 422 on `body.code`; without a pending enrolment, 409. Recorded in the audit trail.

    Args:
        body (TotpCode): A code from the authenticator app, or (to disable) a recovery code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TotpRecoveryCodes
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
