from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.currency import Currency
from ...models.lower_currency import LowerCurrency
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    price: str,
    currency: Currency | LowerCurrency | Unset = Currency.USD,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["price"] = price

    json_currency: str | Unset
    if isinstance(currency, Unset):
        json_currency = UNSET
    elif isinstance(currency, Currency):
        json_currency = currency.value
    else:
        json_currency = currency.value

    params["currency"] = json_currency

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/checkout/",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Problem | None:
    if response.status_code == 303:
        response_303 = cast(Any, None)
        return response_303

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    price: str,
    currency: Currency | LowerCurrency | Unset = Currency.USD,
) -> Response[Any | Problem]:
    """Redirect to a hosted checkout for an amount

     Create a checkout for one amount and redirect the browser to the hosted page.

    Needs a bearer token, unless the service runs with ALLOW_ANONYMOUS_CHECKOUT=true (the
    `make run` demo), in which case a call without a token is also accepted. With a customer's
    token the payment is that customer's; anonymous and admin payments have no user. API clients cannot
    pay: a machine's token (client credentials) is 403.

    Args:
        price (str): The amount in MAJOR units of `currency`, e.g. `50` (50.00 USD, charged as
            5000 cents) or `12.50`; not minor units like the JSON bodies. It is converted to minor
            units exactly with the currency's number of decimals: at most 2 for most currencies
            (`12.50` USD), none for zero-decimal ones (`500` JPY), 3 for three-decimal ones (`1.234`
            KWD). More decimals than the currency has are refused with 422 (never rounded), as are
            zero, negative or non-numeric values and amounts above 99999999 minor units.
        currency (Currency | LowerCurrency | Unset): ISO 4217 code of `price`, in upper or lower
            case (`USD` or `usd`; mixed case is refused), normalised to upper case. Only this query
            shortcut takes lower case: JSON bodies take upper case only (`Currency`). Default:
            Currency.USD.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        price=price,
        currency=currency,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    price: str,
    currency: Currency | LowerCurrency | Unset = Currency.USD,
) -> Any | Problem | None:
    """Redirect to a hosted checkout for an amount

     Create a checkout for one amount and redirect the browser to the hosted page.

    Needs a bearer token, unless the service runs with ALLOW_ANONYMOUS_CHECKOUT=true (the
    `make run` demo), in which case a call without a token is also accepted. With a customer's
    token the payment is that customer's; anonymous and admin payments have no user. API clients cannot
    pay: a machine's token (client credentials) is 403.

    Args:
        price (str): The amount in MAJOR units of `currency`, e.g. `50` (50.00 USD, charged as
            5000 cents) or `12.50`; not minor units like the JSON bodies. It is converted to minor
            units exactly with the currency's number of decimals: at most 2 for most currencies
            (`12.50` USD), none for zero-decimal ones (`500` JPY), 3 for three-decimal ones (`1.234`
            KWD). More decimals than the currency has are refused with 422 (never rounded), as are
            zero, negative or non-numeric values and amounts above 99999999 minor units.
        currency (Currency | LowerCurrency | Unset): ISO 4217 code of `price`, in upper or lower
            case (`USD` or `usd`; mixed case is refused), normalised to upper case. Only this query
            shortcut takes lower case: JSON bodies take upper case only (`Currency`). Default:
            Currency.USD.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        client=client,
        price=price,
        currency=currency,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    price: str,
    currency: Currency | LowerCurrency | Unset = Currency.USD,
) -> Response[Any | Problem]:
    """Redirect to a hosted checkout for an amount

     Create a checkout for one amount and redirect the browser to the hosted page.

    Needs a bearer token, unless the service runs with ALLOW_ANONYMOUS_CHECKOUT=true (the
    `make run` demo), in which case a call without a token is also accepted. With a customer's
    token the payment is that customer's; anonymous and admin payments have no user. API clients cannot
    pay: a machine's token (client credentials) is 403.

    Args:
        price (str): The amount in MAJOR units of `currency`, e.g. `50` (50.00 USD, charged as
            5000 cents) or `12.50`; not minor units like the JSON bodies. It is converted to minor
            units exactly with the currency's number of decimals: at most 2 for most currencies
            (`12.50` USD), none for zero-decimal ones (`500` JPY), 3 for three-decimal ones (`1.234`
            KWD). More decimals than the currency has are refused with 422 (never rounded), as are
            zero, negative or non-numeric values and amounts above 99999999 minor units.
        currency (Currency | LowerCurrency | Unset): ISO 4217 code of `price`, in upper or lower
            case (`USD` or `usd`; mixed case is refused), normalised to upper case. Only this query
            shortcut takes lower case: JSON bodies take upper case only (`Currency`). Default:
            Currency.USD.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        price=price,
        currency=currency,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    price: str,
    currency: Currency | LowerCurrency | Unset = Currency.USD,
) -> Any | Problem | None:
    """Redirect to a hosted checkout for an amount

     Create a checkout for one amount and redirect the browser to the hosted page.

    Needs a bearer token, unless the service runs with ALLOW_ANONYMOUS_CHECKOUT=true (the
    `make run` demo), in which case a call without a token is also accepted. With a customer's
    token the payment is that customer's; anonymous and admin payments have no user. API clients cannot
    pay: a machine's token (client credentials) is 403.

    Args:
        price (str): The amount in MAJOR units of `currency`, e.g. `50` (50.00 USD, charged as
            5000 cents) or `12.50`; not minor units like the JSON bodies. It is converted to minor
            units exactly with the currency's number of decimals: at most 2 for most currencies
            (`12.50` USD), none for zero-decimal ones (`500` JPY), 3 for three-decimal ones (`1.234`
            KWD). More decimals than the currency has are refused with 422 (never rounded), as are
            zero, negative or non-numeric values and amounts above 99999999 minor units.
        currency (Currency | LowerCurrency | Unset): ISO 4217 code of `price`, in upper or lower
            case (`USD` or `usd`; mixed case is refused), normalised to upper case. Only this query
            shortcut takes lower case: JSON bodies take upper case only (`Currency`). Default:
            Currency.USD.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            price=price,
            currency=currency,
        )
    ).parsed
