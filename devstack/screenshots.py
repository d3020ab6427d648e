"""`make screenshots`: phone and desktop screenshots of the web's main pages into
docs/screenshots/ (shown in the README).

Starts its own stack on free loopback ports with fresh SQLite databases in a temporary folder
(nothing of `make run` is touched), seeds a small catalogue and a few orders through the
generated SDKs and the sandbox's control API, and drives Debian's Chromium with Playwright.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from devstack import services
from devstack.auth import login, register
from devstack.processes import ROOT, ServerProcess, free_port

OUT = ROOT / "docs" / "screenshots"
if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
CUSTOMER = ("ada@example.com", "Ada Lovelace", "a-long-customer-passphrase-7")
CATALOGUE = [
    ("Gyokuro", "Shade-grown Japanese green tea, 50 g", 2450, "USD"),
    ("Sencha", "Everyday steamed green tea, 100 g", 1099, "USD"),
    ("Genmaicha", "Green tea with roasted brown rice, 100 g", 850, "USD"),
    ("Matcha", "Ceremonial grade, 30 g tin", 3200, "USD"),
    ("Hojicha", "Roasted green tea, 80 g", 975, "USD"),
]


@contextmanager
def stack(tmp: Path) -> Iterator[dict[str, str]]:
    ports = {name: free_port() for name in ("web", "users", "payments", "sandbox", "worker")}
    logs = tmp / "logs"
    logs.mkdir()
    with ExitStack() as stop:

        def up(server: ServerProcess) -> ServerProcess:
            server.start()
            stop.callback(server.stop)
            return server

        sandbox = up(
            services.stripe_sandbox(
                ports["sandbox"],
                webhook_urls=[f"http://127.0.0.1:{ports['payments']}/webhooks/stripe"],
                env={"SANDBOX_WEBHOOK_RETRY_BASE_SECONDS": "0.1"},
                log_path=logs / "sandbox.log",
            )
        )
        users = up(
            services.user_service(
                ports["users"], f"sqlite:///{tmp / 'users.sqlite3'}", log_path=logs / "users.log"
            )
        )
        web_origins = ",".join(services.browser_origins(ports["web"]))
        payments = up(
            services.payment_service(
                ports["payments"],
                f"sqlite:///{tmp / 'payments.sqlite3'}",
                user_service_url=users.url,
                sandbox_url=sandbox.url,
                env={"ALLOWED_REDIRECT_ORIGINS": web_origins},
                log_path=logs / "payments.log",
            )
        )
        # The payment worker processes the sandbox's webhooks (the service only stores them).
        up(services.payment_worker(ports["worker"], payments.env, log_path=logs / "worker.log"))
        web = up(
            services.web(
                ports["web"],
                user_service_url=users.url,
                payment_service_url=payments.url,
                database_url=f"sqlite:///{tmp / 'web.sqlite3'}",
                hosted_checkout_origins=[sandbox.url],
                log_path=logs / "web.log",
            )
        )
        yield {"web": web.url, "users": users.url, "payments": payments.url, "sandbox": sandbox.url}


def seed(urls: dict[str, str]) -> dict[str, str]:
    admin = login(urls["users"], services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    ids = {}
    for name, description, amount, currency in CATALOGUE:
        response = httpx.post(
            f"{urls['payments']}/products",
            headers=admin.headers,
            json={
                "name": name,
                "description": description,
                "price": {"amount": amount, "currency": currency},
            },
        )
        response.raise_for_status()
        ids[name] = response.json()["id"]
    email, full_name, password = CUSTOMER
    register(urls["users"], email, password, full_name)
    customer = login(urls["users"], email, password)
    # earlier orders of the customer: paid, an async one that failed, one refunded in part
    for items, outcome in [
        ([("Sencha", 2)], "paid"),
        ([("Hojicha", 1)], "async_failed"),
        ([("Matcha", 1), ("Genmaicha", 1)], "paid"),
    ]:
        body = {"line_items": [{"product_id": ids[n], "quantity": q} for n, q in items]}
        created = httpx.post(
            f"{urls['payments']}/checkout-sessions",
            headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
            json=body,
        )
        created.raise_for_status()
        session = created.json()
        httpx.post(
            f"{urls['sandbox']}/_sandbox/checkout/sessions/{session['session_id']}/complete",
            json={"outcome": outcome},
        ).raise_for_status()
        ids[f"payment-{outcome}-{len(ids)}"] = session["payment_id"]
    last = ids[
        max(
            (k for k in ids if k.startswith("payment-paid")), key=lambda k: int(k.rsplit("-", 1)[1])
        )
    ]
    wait(lambda: status(urls, admin.headers, last) == "succeeded")
    httpx.post(
        f"{urls['payments']}/payments/{last}/refunds",
        headers={**admin.headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"amount": 850, "reason": "requested_by_customer"},
    ).raise_for_status()
    ids["refunded"] = last
    return ids


def status(urls: dict[str, str], headers: dict[str, str], payment_id: str) -> str:
    answer = httpx.get(f"{urls['payments']}/payments/{payment_id}", headers=headers)
    return str(answer.json()["status"])


def wait(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out while seeding")
        time.sleep(0.2)


def shoot(urls: dict[str, str], ids: dict[str, str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("make screenshots needs Chromium: apt-get install -y chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    web = urls["web"]
    email, _, password = CUSTOMER
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        for size, viewport in SIZES.items():

            def snap(page: Any, name: str, size: str = size) -> None:
                path = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(path), full_page=size == "desktop")
                written.append(path)

            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            page = context.new_page()
            page.goto(web + "/")
            snap(page, "shop")
            page.goto(f"{web}/account/sign-in?next=/")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(web + "/")
            page.goto(f"{web}/products/{ids['Gyokuro']}")
            page.get_by_label("Quantity").fill("2")
            page.get_by_role("button", name="Add to cart").click()
            page.goto(f"{web}/products/{ids['Sencha']}")
            page.get_by_role("button", name="Add to cart").click()
            page.wait_for_url(web + "/cart")
            snap(page, "cart")
            page.get_by_role("button", name=re.compile("^Check out")).click()
            page.wait_for_url(re.compile(r"/checkout/cs_"))
            snap(page, "hosted-checkout")
            page.get_by_role("button", name="Pay", exact=True).click()
            page.locator("#payment-status", has_text="Succeeded").wait_for(timeout=20_000)
            snap(page, "success")
            page.goto(web + "/account/orders")
            snap(page, "orders")
            page.goto(f"{web}/account/orders/{ids['refunded']}")
            snap(page, "order")
            page.goto(f"{web}/account/security")
            snap(page, "account-security")
            context.close()

            context = browser.new_context(viewport=viewport, device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{web}/account/sign-in?next=/console")
            page.get_by_label("Email").fill(services.DEV_ADMIN_EMAIL)
            page.get_by_label("Password").fill(services.DEV_ADMIN_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(web + "/console")
            snap(page, "console-dashboard")
            page.goto(f"{web}/console/payments/{ids['refunded']}")
            snap(page, "console-payment")
            page.goto(f"{web}/console/audit?log=money")
            snap(page, "console-audit")
            page.goto(f"{web}/console/api-clients")
            snap(page, "console-api-clients")
            context.close()
        browser.close()
    return written


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp, stack(Path(tmp)) as urls:
        ids = seed(urls)
        for path in shoot(urls, ids):
            print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
