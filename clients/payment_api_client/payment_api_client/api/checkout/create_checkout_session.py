from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.checkout_session import CheckoutSession
from ...models.custom_amount_checkout import CustomAmountCheckout
from ...models.line_items_checkout import LineItemsCheckout
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CustomAmountCheckout | LineItemsCheckout,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/checkout-sessions",
    }

    if isinstance(body, LineItemsCheckout):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CheckoutSession | Problem | None:
    if response.status_code == 201:
        response_201 = CheckoutSession.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CheckoutSession | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CustomAmountCheckout | LineItemsCheckout,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[CheckoutSession | Problem]:
    """Create a checkout session

     Creates a local payment in state `pending` and a Stripe Checkout Session (mode `payment`,
    `client_reference_id` and `metadata.payment_id` = the payment id) and returns the hosted page `url`.

    Body: either `line_items` (catalogue products; one currency) or one `custom_amount`. `user_id` is
    checked with the user service (unknown or deactivated: 422; user service down: 503) and pre-fills
    the customer email. `success_url`/`cancel_url` must be on an allowed origin (422 otherwise).

    `Idempotency-Key`: the same key with the same body returns the stored answer (no second session);
    with another body it is 409; a concurrent twin is 409 until the first finishes. Keys are kept at
    least 24 h. Stripe gets a key of the payment's own, never this one, so equal keys of different
    callers never meet there. A gateway failure (502/503) leaves the payment `failed` and frees the key.
    A gateway timeout (504) is ambiguous: the payment stays `pending` and the key in progress (409)
    until no attempt can still be in flight; the same key then finishes that payment, and Stripe answers
    with the session it may already have made (never a second one). Authorization: a customer's checkout
    is always their own; `user_id` omitted means the token's subject, another user's id is 403 whether
    or not that user exists (no lookup is made). An admin may name any user, or none. An API client
    granted `checkout:write` (a storefront's backend) starts a guest's checkout: the payment has no
    user, and a `user_id` in its body is 422; any other machine token is 403. With
    CHECKOUT_REQUIRES_VERIFIED_EMAIL=true a customer whose token does not carry `email_verified: true`
    gets 403 (verify the email, then sign in again or refresh the token). The caller's token is
    forwarded to the user service for the lookup. Idempotency keys are per caller: the same key sent by
    another caller is a new request of theirs (it never replays this answer).

    Args:
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (CustomAmountCheckout | LineItemsCheckout):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CheckoutSession | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: CustomAmountCheckout | LineItemsCheckout,
    idempotency_key: None | str | Unset = UNSET,
) -> CheckoutSession | Problem | None:
    """Create a checkout session

     Creates a local payment in state `pending` and a Stripe Checkout Session (mode `payment`,
    `client_reference_id` and `metadata.payment_id` = the payment id) and returns the hosted page `url`.

    Body: either `line_items` (catalogue products; one currency) or one `custom_amount`. `user_id` is
    checked with the user service (unknown or deactivated: 422; user service down: 503) and pre-fills
    the customer email. `success_url`/`cancel_url` must be on an allowed origin (422 otherwise).

    `Idempotency-Key`: the same key with the same body returns the stored answer (no second session);
    with another body it is 409; a concurrent twin is 409 until the first finishes. Keys are kept at
    least 24 h. Stripe gets a key of the payment's own, never this one, so equal keys of different
    callers never meet there. A gateway failure (502/503) leaves the payment `failed` and frees the key.
    A gateway timeout (504) is ambiguous: the payment stays `pending` and the key in progress (409)
    until no attempt can still be in flight; the same key then finishes that payment, and Stripe answers
    with the session it may already have made (never a second one). Authorization: a customer's checkout
    is always their own; `user_id` omitted means the token's subject, another user's id is 403 whether
    or not that user exists (no lookup is made). An admin may name any user, or none. An API client
    granted `checkout:write` (a storefront's backend) starts a guest's checkout: the payment has no
    user, and a `user_id` in its body is 422; any other machine token is 403. With
    CHECKOUT_REQUIRES_VERIFIED_EMAIL=true a customer whose token does not carry `email_verified: true`
    gets 403 (verify the email, then sign in again or refresh the token). The caller's token is
    forwarded to the user service for the lookup. Idempotency keys are per caller: the same key sent by
    another caller is a new request of theirs (it never replays this answer).

    Args:
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (CustomAmountCheckout | LineItemsCheckout):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CheckoutSession | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CustomAmountCheckout | LineItemsCheckout,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[CheckoutSession | Problem]:
    """Create a checkout session

     Creates a local payment in state `pending` and a Stripe Checkout Session (mode `payment`,
    `client_reference_id` and `metadata.payment_id` = the payment id) and returns the hosted page `url`.

    Body: either `line_items` (catalogue products; one currency) or one `custom_amount`. `user_id` is
    checked with the user service (unknown or deactivated: 422; user service down: 503) and pre-fills
    the customer email. `success_url`/`cancel_url` must be on an allowed origin (422 otherwise).

    `Idempotency-Key`: the same key with the same body returns the stored answer (no second session);
    with another body it is 409; a concurrent twin is 409 until the first finishes. Keys are kept at
    least 24 h. Stripe gets a key of the payment's own, never this one, so equal keys of different
    callers never meet there. A gateway failure (502/503) leaves the payment `failed` and frees the key.
    A gateway timeout (504) is ambiguous: the payment stays `pending` and the key in progress (409)
    until no attempt can still be in flight; the same key then finishes that payment, and Stripe answers
    with the session it may already have made (never a second one). Authorization: a customer's checkout
    is always their own; `user_id` omitted means the token's subject, another user's id is 403 whether
    or not that user exists (no lookup is made). An admin may name any user, or none. An API client
    granted `checkout:write` (a storefront's backend) starts a guest's checkout: the payment has no
    user, and a `user_id` in its body is 422; any other machine token is 403. With
    CHECKOUT_REQUIRES_VERIFIED_EMAIL=true a customer whose token does not carry `email_verified: true`
    gets 403 (verify the email, then sign in again or refresh the token). The caller's token is
    forwarded to the user service for the lookup. Idempotency keys are per caller: the same key sent by
    another caller is a new request of theirs (it never replays this answer).

    Args:
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (CustomAmountCheckout | LineItemsCheckout):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CheckoutSession | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: CustomAmountCheckout | LineItemsCheckout,
    idempotency_key: None | str | Unset = UNSET,
) -> CheckoutSession | Problem | None:
    """Create a checkout session

     Creates a local payment in state `pending` and a Stripe Checkout Session (mode `payment`,
    `client_reference_id` and `metadata.payment_id` = the payment id) and returns the hosted page `url`.

    Body: either `line_items` (catalogue products; one currency) or one `custom_amount`. `user_id` is
    checked with the user service (unknown or deactivated: 422; user service down: 503) and pre-fills
    the customer email. `success_url`/`cancel_url` must be on an allowed origin (422 otherwise).

    `Idempotency-Key`: the same key with the same body returns the stored answer (no second session);
    with another body it is 409; a concurrent twin is 409 until the first finishes. Keys are kept at
    least 24 h. Stripe gets a key of the payment's own, never this one, so equal keys of different
    callers never meet there. A gateway failure (502/503) leaves the payment `failed` and frees the key.
    A gateway timeout (504) is ambiguous: the payment stays `pending` and the key in progress (409)
    until no attempt can still be in flight; the same key then finishes that payment, and Stripe answers
    with the session it may already have made (never a second one). Authorization: a customer's checkout
    is always their own; `user_id` omitted means the token's subject, another user's id is 403 whether
    or not that user exists (no lookup is made). An admin may name any user, or none. An API client
    granted `checkout:write` (a storefront's backend) starts a guest's checkout: the payment has no
    user, and a `user_id` in its body is 422; any other machine token is 403. With
    CHECKOUT_REQUIRES_VERIFIED_EMAIL=true a customer whose token does not carry `email_verified: true`
    gets 403 (verify the email, then sign in again or refresh the token). The caller's token is
    forwarded to the user service for the lookup. Idempotency keys are per caller: the same key sent by
    another caller is a new request of theirs (it never replays this answer).

    Args:
        idempotency_key (None | str | Unset): Makes the call safe to retry: same key and body,
            same answer.
        body (CustomAmountCheckout | LineItemsCheckout):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CheckoutSession | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
