"""The hosted checkout page a shopper recognises as a checkout: the merchant's name, the items,
the total in the currency's minor unit, and styled Pay / Pay (async) / Cancel buttons; it works
on a phone and never asks for card data (test mode)."""

from __future__ import annotations

from html import escape
from typing import Any

from stripe_sandbox.objects import format_amount

BUTTONS = (
    ("paid", "Pay", "primary"),
    ("async_succeeded", "Pay (async, succeeds)", "secondary"),
    ("async_failed", "Pay (async, fails)", "secondary"),
    ("cancel", "Cancel", "link"),
)

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;
background:#f6f9fc}
.page{display:flex;flex-wrap:wrap;min-height:100vh}
.summary{flex:1 1 22rem;padding:2rem 1.5rem;background:#fff;border-right:1px solid #e3e8ee}
.pay{flex:1 1 22rem;padding:2rem 1.5rem}
.inner{max-width:28rem;margin:0 auto}
.merchant{font-weight:600;font-size:1.05rem;margin:0 0 1.5rem}
.logo{display:inline-block;width:1.8rem;height:1.8rem;border-radius:50%;background:#635bff;
color:#fff;text-align:center;line-height:1.8rem;margin-right:.5rem}
.due{color:#4f566b;margin:0}
#total{display:block;font-size:2rem;font-weight:700;color:#1a1f36}
table{width:100%;border-collapse:collapse;margin-top:1.5rem}
th{text-align:left;font-weight:500;color:#4f566b;font-size:.85rem;border-bottom:1px solid #e3e8ee;
padding:.4rem 0}
td{padding:.6rem 0;border-bottom:1px solid #f0f2f5;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
.test{display:inline-block;background:#ffde92;color:#5a3e00;font-size:.75rem;font-weight:700;
border-radius:4px;padding:.1rem .4rem;margin-left:.4rem;vertical-align:middle}
h1{font-size:1.25rem;margin:0 0 .5rem}
.note{color:#4f566b;font-size:.9rem}
form{margin:0 0 .75rem}
button{width:100%;min-height:2.75rem;font:inherit;font-weight:600;border-radius:6px;cursor:pointer;
border:1px solid transparent;padding:.6rem 1rem}
button.primary{background:#635bff;color:#fff}
button.primary:hover{background:#4b45c6}
button.secondary{background:#fff;color:#1a1f36;border-color:#c1c9d2}
button.secondary:hover{background:#f6f9fc}
button.link{background:transparent;color:#4b45c6;text-decoration:underline}
button:focus-visible{outline:3px solid #1a1f36;outline-offset:2px}
.state{background:#fff;border:1px solid #e3e8ee;border-radius:6px;padding:1rem}
footer{color:#4f566b;font-size:.8rem;margin-top:2rem}
"""


def render(
    session: dict[str, Any], items: list[dict[str, Any]], merchant: str = "Demo Shop"
) -> str:
    currency = session["currency"]
    rows = "".join(
        f"<tr><td>{escape(it['name'])}</td><td class='num'>{it['quantity']}</td>"
        f"<td class='num'>{escape(format_amount(it['unit_amount'], currency))}</td>"
        f"<td class='num'>{escape(format_amount(it['unit_amount'] * it['quantity'], currency))}"
        "</td></tr>"
        for it in items
    )
    total = escape(format_amount(session["amount_total"], currency))
    if session["status"] == "open":
        action = f"/checkout/{escape(session['id'])}"
        email = session.get("customer_email")
        who = f"<p class='note'>Paying as {escape(email)}</p>" if email else ""
        body = (
            "<h1>Pay</h1>"
            f"{who}<p class='note'>Test mode: no payment details are asked for. Choose "
            "how this test payment ends.</p>"
            + "".join(
                f'<form method="post" action="{action}"><input type="hidden" name="action" '
                f'value="{value}"><button type="submit" class="{kind}">{label}</button></form>'
                for value, label, kind in BUTTONS
            )
        )
    elif session["status"] == "complete":
        body = "<p class='state'>This checkout session is already complete.</p>"
    else:
        body = "<p class='state'>This checkout session has expired.</p>"
    name = escape(merchant)
    initial = escape(merchant[:1].upper() or "S")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Checkout · {name}</title><style>{STYLE}</style></head><body>"
        "<main class='page'>"
        "<section class='summary' aria-label='Order summary'><div class='inner'>"
        f"<p class='merchant'><span class='logo' aria-hidden='true'>{initial}</span>{name}"
        "<span class='test'>TEST MODE</span></p>"
        f"<p class='due'>Total due <strong id='total'>{total}</strong></p>"
        "<table><thead><tr><th>Item</th><th class='num'>Qty</th>"
        "<th class='num'>Unit price</th><th class='num'>Amount</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></div></section>"
        f"<section class='pay' aria-label='Payment'><div class='inner'>{body}"
        "<footer>Stripe sandbox: a local stand-in for Stripe Checkout.</footer>"
        "</div></section></main></body></html>"
    )


def message_page(text: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Sandbox Checkout</title><style>{STYLE}</style></head><body>"
        f"<main class='pay'><div class='inner'><p class='state'>{escape(text)}</p></div></main>"
        "</body></html>"
    )
