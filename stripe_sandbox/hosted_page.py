"""The hosted checkout page: line items, total, four buttons; never asks for card data."""

from __future__ import annotations

from html import escape
from typing import Any

from stripe_sandbox.objects import format_amount

BUTTONS = (
    ("paid", "Pay"),
    ("async_succeeded", "Pay (async, succeeds)"),
    ("async_failed", "Pay (async, fails)"),
    ("cancel", "Cancel"),
)


def render(session: dict[str, Any], items: list[dict[str, Any]]) -> str:
    currency = session["currency"]
    rows = "".join(
        f"<tr><td>{escape(it['name'])}</td><td>{it['quantity']}</td>"
        f"<td>{escape(format_amount(it['unit_amount'], currency))}</td>"
        f"<td>{escape(format_amount(it['unit_amount'] * it['quantity'], currency))}</td></tr>"
        for it in items
    )
    total = escape(format_amount(session["amount_total"], currency))
    if session["status"] == "open":
        action = f"/checkout/{escape(session['id'])}"
        body = "".join(
            f'<form method="post" action="{action}"><input type="hidden" name="action" '
            f'value="{value}"><button type="submit">{label}</button></form>'
            for value, label in BUTTONS
        )
    elif session["status"] == "complete":
        body = "<p class='state'>This checkout session is already complete.</p>"
    else:
        body = "<p class='state'>This checkout session has expired.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Sandbox Checkout</title>"
        "</head><body><h1>Stripe sandbox checkout</h1>"
        "<p>Test mode: no card data is collected.</p>"
        "<table><thead><tr><th>Item</th><th>Qty</th><th>Unit price</th><th>Amount</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        f"<p>Total: <strong id='total'>{total}</strong></p>{body}</body></html>"
    )


def message_page(text: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Sandbox Checkout</title>"
        f"</head><body><p>{escape(text)}</p></body></html>"
    )
