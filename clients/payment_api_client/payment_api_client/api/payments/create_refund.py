from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.refund import Refund
from ...models.refund_create import RefundCreate
from ...types import UNSET, Response, Unset


def _get_kwargs(
    payment_id: str,
    *,
    body: RefundCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/payments/{payment_id}/refunds".format(
            payment_id=quote(str(payment_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Refund | None:
    if response.status_code == 201:
        response_201 = Refund.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Refund]:
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
    body: RefundCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Problem | Refund]:
    """Refund a payment

     Refunds `amount` (minor units) or, without it, everything not yet refunded. The total never exceeds
    what was paid (422); a payment that is not `succeeded`/`partially_refunded` is 409. The payment
    becomes `partially_refunded` or `refunded` when the gateway confirms (answer or webhook), counted
    once per refund. `Idempotency-Key` works as for checkout sessions, its keys scoped to the payment.
    An admin, or an API client with scope `payments:write`; a customer's token is 403.

    Args:
        payment_id (str):
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (RefundCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Refund]
    """

    kwargs = _get_kwargs(
        payment_id=payment_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    payment_id: str,
    *,
    client: AuthenticatedClient,
    body: RefundCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> Problem | Refund | None:
    """Refund a payment

     Refunds `amount` (minor units) or, without it, everything not yet refunded. The total never exceeds
    what was paid (422); a payment that is not `succeeded`/`partially_refunded` is 409. The payment
    becomes `partially_refunded` or `refunded` when the gateway confirms (answer or webhook), counted
    once per refund. `Idempotency-Key` works as for checkout sessions, its keys scoped to the payment.
    An admin, or an API client with scope `payments:write`; a customer's token is 403.

    Args:
        payment_id (str):
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (RefundCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Refund
    """

    return sync_detailed(
        payment_id=payment_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    payment_id: str,
    *,
    client: AuthenticatedClient,
    body: RefundCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Problem | Refund]:
    """Refund a payment

     Refunds `amount` (minor units) or, without it, everything not yet refunded. The total never exceeds
    what was paid (422); a payment that is not `succeeded`/`partially_refunded` is 409. The payment
    becomes `partially_refunded` or `refunded` when the gateway confirms (answer or webhook), counted
    once per refund. `Idempotency-Key` works as for checkout sessions, its keys scoped to the payment.
    An admin, or an API client with scope `payments:write`; a customer's token is 403.

    Args:
        payment_id (str):
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (RefundCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Refund]
    """

    kwargs = _get_kwargs(
        payment_id=payment_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    payment_id: str,
    *,
    client: AuthenticatedClient,
    body: RefundCreate,
    idempotency_key: None | str | Unset = UNSET,
) -> Problem | Refund | None:
    """Refund a payment

     Refunds `amount` (minor units) or, without it, everything not yet refunded. The total never exceeds
    what was paid (422); a payment that is not `succeeded`/`partially_refunded` is 409. The payment
    becomes `partially_refunded` or `refunded` when the gateway confirms (answer or webhook), counted
    once per refund. `Idempotency-Key` works as for checkout sessions, its keys scoped to the payment.
    An admin, or an API client with scope `payments:write`; a customer's token is 403.

    Args:
        payment_id (str):
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (RefundCreate):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Refund
    """

    return (
        await asyncio_detailed(
            payment_id=payment_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
