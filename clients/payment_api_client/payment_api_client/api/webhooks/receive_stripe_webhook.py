from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.stripe_event import StripeEvent
from ...models.webhook_ack import WebhookAck
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: StripeEvent,
    stripe_signature: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(stripe_signature, Unset):
        headers["Stripe-Signature"] = stripe_signature

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/webhooks/stripe",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WebhookAck | None:
    if response.status_code == 200:
        response_200 = WebhookAck.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | WebhookAck]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: StripeEvent,
    stripe_signature: None | str | Unset = UNSET,
) -> Response[Problem | WebhookAck]:
    """Receive a Stripe webhook event

     Stripe (or the sandbox) posts signed events here. The raw body is verified against `Stripe-
    Signature` with every configured `whsec_` secret (rotation) and the tolerance; a missing, forged or
    stale signature is 400 and nothing is stored. A verified event is stored once (unique on its id) and
    then processed in one transaction with the payment's state change; duplicates answer 200 with
    `duplicate: true` and change nothing; unknown types are stored and acknowledged; a processing
    failure leaves the event `failed` for the reconciler (still 200, the event is safely stored). No
    bearer token: the Stripe signature is the authentication.

    Args:
        stripe_signature (None | str | Unset): t=<unix>,v1=<hex HMAC>; required.
        body (StripeEvent): A Stripe Event object as sent by Stripe (or the sandbox); it is
            verified against Stripe-Signature over the raw bytes before anything is read from it. Open
            by design: Stripe adds fields to its events.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookAck]
    """

    kwargs = _get_kwargs(
        body=body,
        stripe_signature=stripe_signature,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: StripeEvent,
    stripe_signature: None | str | Unset = UNSET,
) -> Problem | WebhookAck | None:
    """Receive a Stripe webhook event

     Stripe (or the sandbox) posts signed events here. The raw body is verified against `Stripe-
    Signature` with every configured `whsec_` secret (rotation) and the tolerance; a missing, forged or
    stale signature is 400 and nothing is stored. A verified event is stored once (unique on its id) and
    then processed in one transaction with the payment's state change; duplicates answer 200 with
    `duplicate: true` and change nothing; unknown types are stored and acknowledged; a processing
    failure leaves the event `failed` for the reconciler (still 200, the event is safely stored). No
    bearer token: the Stripe signature is the authentication.

    Args:
        stripe_signature (None | str | Unset): t=<unix>,v1=<hex HMAC>; required.
        body (StripeEvent): A Stripe Event object as sent by Stripe (or the sandbox); it is
            verified against Stripe-Signature over the raw bytes before anything is read from it. Open
            by design: Stripe adds fields to its events.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookAck
    """

    return sync_detailed(
        client=client,
        body=body,
        stripe_signature=stripe_signature,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: StripeEvent,
    stripe_signature: None | str | Unset = UNSET,
) -> Response[Problem | WebhookAck]:
    """Receive a Stripe webhook event

     Stripe (or the sandbox) posts signed events here. The raw body is verified against `Stripe-
    Signature` with every configured `whsec_` secret (rotation) and the tolerance; a missing, forged or
    stale signature is 400 and nothing is stored. A verified event is stored once (unique on its id) and
    then processed in one transaction with the payment's state change; duplicates answer 200 with
    `duplicate: true` and change nothing; unknown types are stored and acknowledged; a processing
    failure leaves the event `failed` for the reconciler (still 200, the event is safely stored). No
    bearer token: the Stripe signature is the authentication.

    Args:
        stripe_signature (None | str | Unset): t=<unix>,v1=<hex HMAC>; required.
        body (StripeEvent): A Stripe Event object as sent by Stripe (or the sandbox); it is
            verified against Stripe-Signature over the raw bytes before anything is read from it. Open
            by design: Stripe adds fields to its events.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookAck]
    """

    kwargs = _get_kwargs(
        body=body,
        stripe_signature=stripe_signature,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: StripeEvent,
    stripe_signature: None | str | Unset = UNSET,
) -> Problem | WebhookAck | None:
    """Receive a Stripe webhook event

     Stripe (or the sandbox) posts signed events here. The raw body is verified against `Stripe-
    Signature` with every configured `whsec_` secret (rotation) and the tolerance; a missing, forged or
    stale signature is 400 and nothing is stored. A verified event is stored once (unique on its id) and
    then processed in one transaction with the payment's state change; duplicates answer 200 with
    `duplicate: true` and change nothing; unknown types are stored and acknowledged; a processing
    failure leaves the event `failed` for the reconciler (still 200, the event is safely stored). No
    bearer token: the Stripe signature is the authentication.

    Args:
        stripe_signature (None | str | Unset): t=<unix>,v1=<hex HMAC>; required.
        body (StripeEvent): A Stripe Event object as sent by Stripe (or the sandbox); it is
            verified against Stripe-Signature over the raw bytes before anything is read from it. Open
            by design: Stripe adds fields to its events.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookAck
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            stripe_signature=stripe_signature,
        )
    ).parsed
