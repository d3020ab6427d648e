"""The web in a real browser (Debian's Chromium via Playwright, outside network blocked),
against real processes: the shopper's journey, a guest's checkout, an async failure, an
admin's refund seen by the customer, CSRF refusal, an expired session, the user service down,
keyboard-only checkout and axe-core on every page (no serious or critical violation)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from payment_api_client import AuthenticatedClient

from devstack import services
from devstack.databases import fresh_database
from devstack.processes import free_port
from tests.browser import browser_marks
from tests.fixtures.auth import CUSTOMER_PASSWORD, Customer
from tests.fixtures.web import WebStack, start_web
from tests.web.browser import DESKTOP, PHONE, audit, new_page
from tests.web.helpers import forget_endpoint, loopback_url, new_product

pytestmark = browser_marks

DECLINED = "card_declined: Your card was declined."


def sign_in(page: Any, web: WebStack, email: str, password: str, path: str = "/") -> None:
    page.goto(f"{web.url}/account/sign-in?next={path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web.url}{path}")


def status_text(page: Any) -> str:
    return str(page.locator("#payment-status").inner_text())


def buy(page: Any, web: WebStack, product_name: str, quantity: int = 1) -> None:
    """From the catalogue to the hosted page, with the mouse."""
    page.goto(web.url + "/")
    page.get_by_role("link", name=product_name).click()
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{web.url}/cart")
    page.get_by_role("button", name=re.compile(r"^Check out")).click()


def test_shopper_journey_from_the_catalogue_to_succeeded_in_the_order_history(
    browser: Any, web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 1099, name=f"Gyokuro {uuid.uuid4().hex[:6]}")
    page, blocked = new_page(browser)
    page.goto(web_stack.url + "/")
    audit(page, "catalogue")
    card = page.locator("li.product", has_text=product.name)
    assert "$10.99" in card.inner_text()
    card.get_by_role("link", name=product.name).click()
    audit(page, "product")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{web_stack.url}/cart")
    audit(page, "cart")
    assert page.locator("#cart-total").inner_text() == "$21.98"
    page.get_by_role("button", name="Check out · $21.98").click()
    page.wait_for_url(re.compile(r"/account/sign-in\?next=/cart"))  # the cart is kept
    audit(page, "sign-in")
    page.get_by_role("link", name="Create an account").click()
    audit(page, "register")
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(CUSTOMER_PASSWORD)
    page.get_by_label("Repeat the password").fill(CUSTOMER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{web_stack.url}/cart")
    page.get_by_role("button", name="Check out · $21.98").click()

    page.wait_for_url(re.compile(re.escape(web_stack.payments.sandbox.url) + r"/checkout/cs_"))
    audit(page, "hosted checkout (sandbox)")
    assert page.locator("#total").inner_text() == "21.98 USD"
    assert "Demo Shop" in page.locator(".merchant").inner_text()
    assert product.name in page.locator("table").inner_text()
    page.get_by_role("button", name="Pay", exact=True).click()

    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))
    page.locator("#payment-status", has_text="Succeeded").wait_for()  # followed live
    assert page.locator("h1").inner_text() == "Thank you! Your payment succeeded"
    audit(page, "checkout success")
    assert page.get_by_role("link", name=re.compile("^Cart")).inner_text().strip() == "Cart"

    page.get_by_role("link", name="See your orders").click()
    audit(page, "orders")
    row = page.locator("tbody tr").first
    assert product.name in row.inner_text()
    assert "Succeeded" in row.inner_text()
    assert "$21.98" in row.inner_text()
    row.get_by_role("link").click()
    audit(page, "order detail")
    assert "Succeeded" in page.locator("#order-status").inner_text()
    assert blocked == []
    page.context.close()


def test_a_guest_checks_out_without_an_account_and_the_success_page_follows_it_to_succeeded(
    browser: Any, web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 1250, name=f"Sencha {uuid.uuid4().hex[:6]}")
    page, blocked = new_page(browser, PHONE)
    page.goto(web_stack.url + "/")
    page.get_by_role("link", name=product.name).click()
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{web_stack.url}/cart")
    audit(page, "cart with guest checkout")
    assert page.get_by_role("button", name="Check out · $12.50").is_visible()  # sign in / register
    page.get_by_role("button", name="Check out as a guest").click()

    page.wait_for_url(re.compile(re.escape(web_stack.payments.sandbox.url) + r"/checkout/cs_"))
    assert page.locator("#total").inner_text() == "12.50 USD"
    page.get_by_role("button", name="Pay", exact=True).click()

    page.wait_for_url(re.compile(r"/checkout/success\?session_id=cs_"))
    page.locator("#payment-status", has_text="Succeeded").wait_for()  # followed live
    assert page.locator("h1").inner_text() == "Thank you! Your payment succeeded"
    assert page.get_by_role("link", name="See your orders").count() == 0
    audit(page, "guest checkout success")
    assert blocked == []
    page.context.close()


def test_an_async_payment_that_fails_shows_failed_and_its_reason(
    browser: Any, web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 4200, name=f"Hojicha {uuid.uuid4().hex[:6]}")
    page, _ = new_page(browser)
    sign_in(page, web_stack, customer.email, customer.password)
    buy(page, web_stack, product.name)
    page.get_by_role("button", name="Pay (async, fails)").click()
    page.wait_for_url(re.compile(r"/checkout/success"))
    page.locator("#payment-status", has_text="Failed").wait_for()
    assert page.locator("h1").inner_text() == "Your payment failed"
    assert page.locator("#failure-reason").inner_text() == f"Reason: {DECLINED}"
    audit(page, "checkout failed")
    page.goto(web_stack.url + "/account/orders")
    row = page.locator("tbody tr", has_text=product.name)
    assert "Failed" in row.inner_text()
    row.get_by_role("link").click()
    assert page.locator("#order-failure").inner_text() == DECLINED
    page.context.close()


def test_the_success_page_follows_a_processing_payment_live_until_it_fails(
    browser: Any, web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 1800, name=f"Kabusecha {uuid.uuid4().hex[:6]}")
    page, _ = new_page(browser)
    sign_in(page, web_stack, customer.email, customer.password)
    buy(page, web_stack, product.name)
    page.wait_for_url(re.compile(r"/checkout/cs_"))
    session_id = page.url.rsplit("/", 1)[1]
    web_stack.pay(session_id, "async_pending")  # paid by a slow method: funds not there yet
    page.goto(f"{web_stack.url}/checkout/success?session_id={session_id}")
    page.locator("#payment-status", has_text="Processing").wait_for()
    assert page.locator("h1").inner_text() == "Your payment is processing"
    page.evaluate("window.sameDocument = true")  # gone if the page were reloaded
    web_stack.pay(session_id, "async_failed")  # the bank says no
    page.locator("#payment-status", has_text="Failed").wait_for()
    assert page.evaluate("window.sameDocument === true")  # updated in place, live
    assert page.locator("h1").inner_text() == "Your payment failed"
    assert page.locator("#failure-reason").inner_text() == f"Reason: {DECLINED}"
    assert page.locator("#payment-state").get_attribute("data-final") == "true"
    page.context.close()


def test_canceling_on_the_hosted_page_cancels_the_payment_and_keeps_the_cart(
    browser: Any, web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 700, name=f"Bancha {uuid.uuid4().hex[:6]}")
    page, _ = new_page(browser)
    sign_in(page, web_stack, customer.email, customer.password)
    buy(page, web_stack, product.name)
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(re.compile(r"/checkout/cancel\?session_id=cs_"))
    assert page.locator("h1").inner_text() == "Your checkout was canceled"
    audit(page, "checkout canceled")
    page.get_by_role("link", name="Back to your cart").click()
    assert product.name in page.locator("table.cart").inner_text()
    page.goto(web_stack.url + "/account/orders")
    assert "Canceled" in page.locator("tbody tr", has_text=product.name).inner_text()
    page.context.close()


def test_an_admins_refund_appears_in_the_customers_order(
    browser: Any, web_stack: WebStack, make_customer: Callable[..., Customer],
    payment_client: AuthenticatedClient,
) -> None:  # fmt: skip
    shopper = make_customer()
    product = new_product(payment_client, 2500, name=f"Matcha {uuid.uuid4().hex[:6]}")
    customer_page, _ = new_page(browser)
    sign_in(customer_page, web_stack, shopper.email, shopper.password)
    buy(customer_page, web_stack, product.name)
    customer_page.get_by_role("button", name="Pay", exact=True).click()
    customer_page.locator("#payment-status", has_text="Succeeded").wait_for()

    admin, _ = new_page(browser)
    sign_in(admin, web_stack, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD, "/console")
    admin.get_by_role("navigation", name="Console").get_by_role("link", name="Payments").click()
    admin.get_by_label("User (email or id)").fill(shopper.email)
    admin.get_by_role("button", name="Filter").click()
    audit(admin, "console payments")
    admin.locator("tbody tr").first.get_by_role("link").click()
    audit(admin, "console payment")
    admin.get_by_label("Amount (USD)").fill("7.50")
    admin.get_by_label("Reason").select_option("requested_by_customer")
    admin.get_by_role("button", name="Refund").click()
    admin.get_by_role("status").filter(has_text="Refund of $7.50").wait_for()
    assert "$7.50" in admin.locator("#refunds").inner_text()

    customer_page.goto(web_stack.url + "/account/orders")
    customer_page.locator("tbody tr", has_text=product.name).get_by_role("link").click()
    refunds = customer_page.locator("#refunds").inner_text()
    assert "$7.50" in refunds
    assert "requested by customer" in refunds
    assert "Partially refunded" in customer_page.locator("#order-status").inner_text()
    assert customer_page.locator("#order-refunded").inner_text() == "$7.50"
    admin.context.close()
    customer_page.context.close()


def test_a_form_posted_without_its_csrf_token_is_refused(
    browser: Any, web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 300, name=f"Kukicha {uuid.uuid4().hex[:6]}")
    page, _ = new_page(browser)
    page.goto(f"{web_stack.url}/products/{product.id}")
    page.evaluate("document.querySelector('main input[name=csrf_token]').remove()")
    page.get_by_role("button", name="Add to cart").click()
    assert page.locator("h1").inner_text() == "This form has expired"
    audit(page, "csrf refused")
    page.goto(web_stack.url + "/cart")
    assert product.name not in page.locator("main").inner_text()
    page.context.close()


def test_an_expired_web_session_sends_the_user_to_sign_in_and_back(
    browser: Any, web_stack: WebStack, customer: Customer
) -> None:
    page, _ = new_page(browser)
    sign_in(page, web_stack, customer.email, customer.password, "/account")
    web_stack.expire_all_sessions()  # as if the idle timeout had passed
    page.get_by_role("link", name="Orders", exact=True).click()
    page.wait_for_url(re.compile(r"/account/sign-in\?next=/account/orders&reason=expired"))
    assert "Your session has expired" in page.locator("main").inner_text()
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(customer.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web_stack.url}/account/orders")
    assert page.locator("h1").inner_text() == "Your orders"
    page.context.close()


def test_with_the_user_service_stopped_the_account_pages_are_a_friendly_503(
    browser: Any, web_stack: WebStack, tmp_path: Path, logs_dir: Path
) -> None:
    with fresh_database(None, tmp_path, "users-down") as database_url:
        users = services.user_service(
            free_port(), database_url, log_path=logs_dir / "users-down.log",
            keys_dir=tmp_path / "keys",
        ).start()  # fmt: skip
        web = start_web(
            free_port(), web_stack.payments, tmp_path / "web.sqlite3", logs_dir / "web-down.log",
            user_service_url=users.url,
        )  # fmt: skip
        try:
            page, _ = new_page(browser)
            # this user service signs tokens the session's payment service does not know:
            # only account pages are visited
            page.goto(web.url + "/account/register?next=/account")
            page.get_by_label("Full name").fill("Grace Hopper")
            page.get_by_label("Email").fill("grace@example.com")
            page.get_by_label("Password", exact=True).fill(CUSTOMER_PASSWORD)
            page.get_by_label("Repeat the password").fill(CUSTOMER_PASSWORD)
            page.get_by_role("button", name="Create account").click()
            page.wait_for_url(web.url + "/account")
            users.stop()
            response = page.goto(web.url + "/account")
            assert response is not None
            assert response.status == 503
            assert page.locator("h1").inner_text() == (
                "Our account service is not answering right now"
            )
            assert "Traceback" not in page.content()
            audit(page, "503 user service down")
            page.context.close()
        finally:
            web.stop()
            users.stop()


def tab_to(page: Any, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text or label is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.getAttribute('aria-label') || e.innerText || e.value || '').trim(); }"
        )
        if focused == name:
            return
    raise AssertionError(f"{name!r} never got the keyboard focus")


def test_keyboard_only_checkout_works(
    browser: Any, web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient
) -> None:
    product = new_product(payment_client, 1500, name=f"Genmaicha {uuid.uuid4().hex[:6]}")
    page, _ = new_page(browser)
    page.goto(web_stack.url + "/account/sign-in?next=/")
    tab_to(page, "Skip to content")
    tab_to(page, "Sign in")  # the nav link first
    page.keyboard.press("Tab")  # Register
    tab_to(page, "")  # the email field has no text: the next focus stop is a field
    page.keyboard.type(customer.email)
    page.keyboard.press("Tab")
    page.keyboard.type(customer.password)
    page.keyboard.press("Enter")
    page.wait_for_url(web_stack.url + "/")
    tab_to(page, f"Add {product.name} to cart")
    page.keyboard.press("Enter")
    page.wait_for_url(web_stack.url + "/cart")
    tab_to(page, "Check out · $15.00")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/checkout/cs_"))
    tab_to(page, "Pay")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/checkout/success"))
    page.locator("#payment-status", has_text="Succeeded").wait_for()
    page.context.close()


CONSOLE_PAGES = [
    "/console",
    "/console/products",
    "/console/payments",
    "/console/users",
    "/console/stripe-events",
    "/console/stripe-events?state=lost",  # a filter's field error
    "/console/webhooks",
    "/console/api-clients",
    "/console/audit",
    "/console/audit?log=money",
    "/console/audit?actor_id=not-a-user-id",  # a filter's field error
]
ACCOUNT_PAGES = [
    "/account",
    "/account/password",
    "/account/security",
    "/account/orders",
    "/no-such-page",
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_has_no_serious_or_critical_axe_violation(
    browser: Any, web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient,
    viewport: dict[str, int],
) -> None:  # fmt: skip
    product = new_product(payment_client, 990, name=f"Oolong {uuid.uuid4().hex[:6]}")
    page, blocked = new_page(browser, viewport)
    for path in ["/", f"/products/{product.id}", "/account/sign-in", "/account/register"]:
        page.goto(web_stack.url + path)
        audit(page, path)
    sign_in(page, web_stack, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    for path in [*CONSOLE_PAGES, *ACCOUNT_PAGES, f"/console/products/{product.id}"]:
        page.goto(web_stack.url + path)
        audit(page, path)
    page.goto(web_stack.url + "/console/payments")
    first = page.locator("tbody tr a").first
    if first.count():
        first.click()
        audit(page, "/console/payments/{id}")
        page.goto(web_stack.url + "/account/orders")
    audit_webhook_pages(page, web_stack, payment_client)
    audit_api_client_pages(page, web_stack)
    page.goto(f"{web_stack.url}/cart")
    page.context.close()
    customer_page, _ = new_page(browser, viewport)
    sign_in(customer_page, web_stack, customer.email, customer.password)
    response = customer_page.goto(web_stack.url + "/console")
    assert response is not None
    assert response.status == 403
    audit(customer_page, "403 console as a customer")
    customer_page.goto(f"{web_stack.url}/products/{product.id}")
    customer_page.get_by_role("button", name="Add to cart").click()
    audit(customer_page, "/cart with items")
    customer_page.context.close()
    assert blocked == []


def audit_webhook_pages(page: Any, web: WebStack, payment_client: AuthenticatedClient) -> None:
    """An endpoint registered with the console's form (a refused URL first), its page with the
    secret shown once, the delete confirmation and the list after it; deleted in any case."""
    url = loopback_url()
    try:
        page.goto(web.url + "/console/webhooks")
        page.get_by_label("URL").fill("http://169.254.169.254/x")
        page.get_by_label("All event types, future ones too").check()
        page.get_by_role("button", name="Register endpoint").click()
        page.locator("#f-url-error").wait_for()
        audit(page, "/console/webhooks with a refused URL")
        page.get_by_label("URL").fill(url)
        page.get_by_role("button", name="Register endpoint").click()
        page.locator("#secret-value").wait_for()
        audit(page, "/console/webhooks/{id} with its secret")
        page.get_by_role("link", name="Delete endpoint…").click()
        audit(page, "/console/webhooks/{id}/delete")
        page.get_by_role("button", name="Delete this endpoint").click()
        page.get_by_role("status").filter(has_text="Deleted the endpoint").wait_for()
        audit(page, "/console/webhooks after a delete")
    finally:
        forget_endpoint(payment_client, url)


def audit_api_client_pages(page: Any, web: WebStack) -> None:
    """An API client created with the console's form (field errors first), the page with its
    secret shown once, the revoke confirmation and the list after it."""
    page.goto(web.url + "/console/api-clients")
    page.get_by_role("button", name="Create API client").click()
    page.locator("#f-scopes-error").wait_for()
    audit(page, "/console/api-clients with field errors")
    page.get_by_label("Name").fill(f"Axe audit {uuid.uuid4().hex[:6]}")
    page.get_by_label("payments:read").check()
    page.get_by_role("button", name="Create API client").click()
    page.locator("#secret-value").wait_for()
    audit(page, "/console/api-clients new client with its secret")
    client_id = page.locator("#client-id").inner_text()
    page.goto(f"{web.url}/console/api-clients/{client_id}/revoke")
    audit(page, "/console/api-clients/{id}/revoke")
    page.get_by_role("button", name="Revoke this API client").click()
    page.get_by_role("status").filter(has_text="Revoked the API client").wait_for()
    audit(page, "/console/api-clients after a revoke")


def test_a_user_turns_on_two_step_sign_in_and_signs_in_with_the_apps_code(
    browser: Any, web_stack: WebStack, make_customer: Callable[..., Customer]
) -> None:
    """Account → Security in Chromium: the key and the first code, the recovery codes, then
    signing in: the password alone is refused at the code field, the app's next code works."""
    import time

    import pyotp

    user = make_customer()
    page, blocked = new_page(browser, PHONE)
    sign_in(page, web_stack, user.email, user.password, "/account")
    page.get_by_role("link", name="Security (two-step sign-in)").click()
    page.wait_for_url(f"{web_stack.url}/account/security")
    page.get_by_label("Current password").fill(user.password)
    page.get_by_role("button", name="Set up two-step sign-in").click()
    page.locator("#totp-secret").wait_for()
    audit(page, "/account/security setup key")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(
        "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.locator("#f-code-error").wait_for()
    assert page.locator("#totp-secret").inner_text().replace(" ", "") == secret
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.locator("#recovery-codes").wait_for()
    audit(page, "/account/security recovery codes")
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{web_stack.url}/account/sign-in?next=/account")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("#f-otp-error")
    error.wait_for()
    assert error.inner_text() == (
        "Enter the 6-digit code from your authenticator app, or a recovery code."
    )
    assert page.get_by_label("Authentication code").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Password").input_value() == ""
    audit(page, "/account/sign-in asking for the code")
    page.get_by_label("Password").fill(user.password)
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web_stack.url}/account")
    page.goto(f"{web_stack.url}/account/security")
    assert "On" in page.locator("#mfa-status").inner_text()
    assert blocked == []
    page.context.close()
