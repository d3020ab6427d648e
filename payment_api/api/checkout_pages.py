"""The shopper's landing pages after the hosted checkout: the default success_url and
cancel_url (HTML, not part of the API contract).

Each says what our database knows of the payment of `?session_id=` (the gateway substitutes
its `{CHECKOUT_SESSION_ID}`), never what the redirect merely suggests: a shopper sent to the
success page after an async payment that failed, or before the webhook arrived, must not read
"Payment received". Only what the session id's holder already knows is shown (status, amount,
description, why it failed); no user, email or line items. Unknown or missing session: 404.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from payment_api.api.deps import ContainerDep, run_db
from payment_api.container import Container
from payment_api.domain.money import to_major
from payment_api.domain.states import PaymentStatus

router = APIRouter(tags=["checkout"])

PLACEHOLDER = "{CHECKOUT_SESSION_ID}"  # a gateway that did not substitute it sent no id
RELOAD_SECONDS = 5
NOT_TAKEN = "No payment was taken."
# Cached pages would show a stale state; the session id in the URL goes to nobody else.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class Page:
    title: str
    lines: tuple[str, ...]
    status_code: int = 200
    facts: tuple[tuple[str, str], ...] = ()
    reload: bool = False


def amount_text(amount: int, currency: str) -> str:
    """ "1,234.50 USD", "5,000 JPY", "1.234 KWD": the currency's own number of decimals."""
    return f"{to_major(amount, currency):,} {currency}"


def render(page: Page) -> HTMLResponse:
    """The page as HTML; every value from outside (description, reason) is escaped."""
    esc = html.escape
    refresh = f'<meta http-equiv="refresh" content="{RELOAD_SECONDS}">' if page.reload else ""
    facts = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in page.facts)
    body = "".join(f"<p>{esc(line)}</p>" for line in page.lines)
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="robots" content="noindex">{refresh}<title>{esc(page.title)}</title>'
        f"</head><body><h1>{esc(page.title)}</h1>{body}"
        f"{f'<dl>{facts}</dl>' if facts else ''}</body></html>",
        status_code=page.status_code,
        headers=HEADERS,
    )


UNKNOWN = Page(
    "Checkout not found",
    ("We know no checkout session by this link. Use the link the shop gave you.",),
    status_code=404,
)


def outcome_page(payment: dict[str, Any], *, left_checkout: bool) -> Page:
    """What to tell the shopper about `payment`; `left_checkout`: they came back through
    Cancel (the cancel_url), so an unpaid payment reads "not taken", not "still pending"."""
    status = PaymentStatus(payment["status"])
    amount = amount_text(int(payment["amount"]), str(payment["currency"]))
    facts: list[tuple[str, str]] = [("Amount", amount)]
    if payment["description"]:
        facts.append(("Description", str(payment["description"])))

    def page(title: str, *lines: str, reload: bool = False) -> Page:
        return Page(title, lines, facts=(*facts, ("Status", status.value)), reload=reload)

    if status is PaymentStatus.SUCCEEDED:
        return page("Payment received", f"Thank you: your payment of {amount} was received.")
    if status is PaymentStatus.PARTIALLY_REFUNDED:
        return page(
            "Payment received, partly refunded",
            f"Your payment of {amount} was received; part of it has since been refunded.",
        )
    if status is PaymentStatus.REFUNDED:
        return page(
            "Payment refunded",
            f"Your payment of {amount} was received and has since been refunded in full.",
        )
    if status is PaymentStatus.FAILED:
        facts.append(("Reason", payment["failure_reason"] or "the payment gateway gave none"))
        return page("Payment failed", f"Your payment of {amount} failed.", NOT_TAKEN)
    if status is PaymentStatus.EXPIRED:
        return page("Checkout expired", "This checkout expired before it was paid.", NOT_TAKEN)
    if status is PaymentStatus.CANCELED:
        return page("Payment canceled", "This payment was canceled.", NOT_TAKEN)
    if status is PaymentStatus.PENDING and left_checkout:
        return page(
            "Payment not taken",
            f"You left the checkout without paying: no payment of {amount} was taken.",
        )
    return page(  # pending (the gateway's word is on its way) or processing (async method)
        "Payment still being confirmed",
        f"Your payment of {amount} is still being confirmed; nothing is final yet.",
        f"This page reloads itself every {RELOAD_SECONDS} seconds; you can also reload it.",
        reload=True,
    )


async def lookup(container: Container, session_id: str | None) -> dict[str, Any] | None:
    if not session_id or len(session_id) > 255 or not session_id.isprintable():
        return None  # never a query: NUL or a huge id is no session of ours
    sid = session_id
    return await run_db(container, lambda: container.reads.checkout_outcome(sid))


@router.get("/checkout/success", include_in_schema=False)
async def showCheckoutSuccess(  # noqa: N802
    container: ContainerDep, session_id: str | None = None
) -> HTMLResponse:
    """Default success_url: the payment's real state, by the gateway's session id."""
    payment = await lookup(container, session_id)
    if payment is None:
        return render(UNKNOWN)
    return render(outcome_page(payment, left_checkout=False))


@router.get("/checkout/cancel", include_in_schema=False)
async def showCheckoutCancel(  # noqa: N802
    container: ContainerDep, session_id: str | None = None
) -> HTMLResponse:
    """Default cancel_url: with a session id, the payment's real state ("not taken" while it
    is unpaid); without one (a custom cancel_url, a gateway that sent none), a plain note."""
    if not session_id or session_id == PLACEHOLDER:
        return render(Page("Checkout canceled", ("You left the checkout page before paying.",)))
    payment = await lookup(container, session_id)
    if payment is None:
        return render(UNKNOWN)
    return render(outcome_page(payment, left_checkout=True))
