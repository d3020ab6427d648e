from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.payment import Payment
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    payment_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/payments/{payment_id}/cancel".format(
            payment_id=quote(str(payment_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Payment | Problem | None:
    if response.status_code == 200:
        response_200 = Payment.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Payment | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    payment_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Payment | Problem]:
    """Cancel a pending payment

     Closes the payment's hosted Checkout session at the gateway (Stripe expires it) and marks the
    payment `canceled`, so a shopper who leaves from the cancel page does not leave it pending until the
    session expires. Only a `pending` payment can be canceled (409 otherwise; a payment paid meanwhile
    is settled by its webhook); canceling a canceled payment answers it again, unchanged. Customers
    cancel their own payments (another user's is 404); admins, and API clients with scope
    `payments:write`, any.

    Args:
        payment_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Payment | Problem]
    """

    kwargs = _get_kwargs(
        payment_id=payment_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    payment_id: str,
    *,
    client: AuthenticatedClient,
) -> Payment | Problem | None:
    """Cancel a pending payment

     Closes the payment's hosted Checkout session at the gateway (Stripe expires it) and marks the
    payment `canceled`, so a shopper who leaves from the cancel page does not leave it pending until the
    session expires. Only a `pending` payment can be canceled (409 otherwise; a payment paid meanwhile
    is settled by its webhook); canceling a canceled payment answers it again, unchanged. Customers
    cancel their own payments (another user's is 404); admins, and API clients with scope
    `payments:write`, any.

    Args:
        payment_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Payment | Problem
    """

    return sync_detailed(
        payment_id=payment_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    payment_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Payment | Problem]:
    """Cancel a pending payment

     Closes the payment's hosted Checkout session at the gateway (Stripe expires it) and marks the
    payment `canceled`, so a shopper who leaves from the cancel page does not leave it pending until the
    session expires. Only a `pending` payment can be canceled (409 otherwise; a payment paid meanwhile
    is settled by its webhook); canceling a canceled payment answers it again, unchanged. Customers
    cancel their own payments (another user's is 404); admins, and API clients with scope
    `payments:write`, any.

    Args:
        payment_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Payment | Problem]
    """

    kwargs = _get_kwargs(
        payment_id=payment_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    payment_id: str,
    *,
    client: AuthenticatedClient,
) -> Payment | Problem | None:
    """Cancel a pending payment

     Closes the payment's hosted Checkout session at the gateway (Stripe expires it) and marks the
    payment `canceled`, so a shopper who leaves from the cancel page does not leave it pending until the
    session expires. Only a `pending` payment can be canceled (409 otherwise; a payment paid meanwhile
    is settled by its webhook); canceling a canceled payment answers it again, unchanged. Customers
    cancel their own payments (another user's is 404); admins, and API clients with scope
    `payments:write`, any.

    Args:
        payment_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Payment | Problem
    """

    return (
        await asyncio_detailed(
            payment_id=payment_id,
            client=client,
        )
    ).parsed
