"""Swagger UI in a real browser (Debian's headless Chromium driven by Playwright), with every
request to anything but loopback blocked: the docs must work with no internet."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from devstack import services
from devstack.processes import ServerProcess
from tests.browser import block_outside_network, browser_marks
from tests.contract.spec_rules import operations

ROOT = Path(__file__).resolve().parents[2]
pytestmark = browser_marks


def open_docs(browser: Any, service: ServerProcess) -> tuple[Any, list[str]]:
    """Open /docs with the outside network closed; returns the page and blocked URLs."""
    page = browser.new_page()
    blocked = block_outside_network(page)
    page.goto(service.url + "/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    return page, blocked


def check_every_operation_listed_and_health_try_it_out(
    browser: Any, service: ServerProcess, spec_name: str
) -> None:
    spec = yaml.safe_load((ROOT / "specs" / spec_name).read_text())
    page, blocked = open_docs(browser, service)
    listed = {
        (
            block.query_selector(".opblock-summary-method").inner_text().lower(),
            block.query_selector(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.query_selector_all(".opblock")
    }
    expected = {(method, path) for path, method, _ in operations(spec)}
    assert expected <= listed, f"missing from Swagger UI: {sorted(expected - listed)}"

    health = page.locator(".opblock-get", has=page.locator('[data-path="/healthz"]')).first
    health.locator(".opblock-summary").click()
    health.locator(".try-out__btn").click()
    health.locator(".execute").click()
    status = health.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip().startswith("200")
    assert blocked == [], f"the docs page tried to reach the outside: {blocked}"
    page.close()


def test_user_service_swagger_ui_lists_every_operation_offline(
    browser: Any, user_service: ServerProcess
) -> None:
    check_every_operation_listed_and_health_try_it_out(
        browser, user_service, "user_management.yaml"
    )


def test_payment_service_swagger_ui_lists_every_operation_offline(
    browser: Any, payment_service: ServerProcess
) -> None:
    check_every_operation_listed_and_health_try_it_out(browser, payment_service, "payment_api.yaml")


def authorize_with_password(page: Any, email: str, password: str) -> None:
    """Authorize -> the OAuth2Password form (client id and secret left empty) -> Done."""
    page.locator(".auth-wrapper .authorize").first.click()
    modal = page.locator(".modal-ux")
    oauth = modal.locator(".auth-container", has_text="OAuth2Password")
    oauth.locator("#oauth_username").fill(email)
    oauth.locator("#oauth_password").fill(password)
    oauth.locator("button.authorize").click()
    oauth.locator("button", has_text="Logout").wait_for(timeout=10_000)  # token came back
    assert oauth.locator(".errors").count() == 0, oauth.locator(".errors").inner_text()
    modal.locator("button.btn-done").first.click()


def try_it_out(page: Any, method: str, path: str) -> tuple[str, str]:
    """ "Try it out" -> Execute on one operation; its status code and response body."""
    block = page.locator(f".opblock-{method}", has=page.locator(f'[data-path="{path}"]')).first
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    block.locator(".execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    return status.inner_text().strip(), block.locator(".live-responses-table").inner_text()


def test_payment_service_swagger_ui_logs_in_at_the_user_service_and_calls_authorized(
    browser: Any, payment_service: ServerProcess
) -> None:
    """The OAuth2 password form posts across origins to the user service's /auth/token
    (CORS_ALLOWED_ORIGINS lets this origin read the answer); the token then authorizes a
    call to the payment service."""
    schemes = httpx.get(f"{payment_service.url}/openapi.json").json()["components"]
    token_url = schemes["securitySchemes"]["OAuth2Password"]["flows"]["password"]["tokenUrl"]
    assert urlsplit(token_url).port != urlsplit(payment_service.url).port  # really cross-origin
    page, blocked = open_docs(browser, payment_service)
    authorize_with_password(page, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    status, body = try_it_out(page, "get", "/payments")
    assert status.startswith("200"), body
    assert '"data"' in body
    assert blocked == []
    page.close()


def test_user_service_swagger_ui_keeps_its_authorization_across_a_reload(
    browser: Any, user_service: ServerProcess
) -> None:
    page, blocked = open_docs(browser, user_service)
    authorize_with_password(page, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    page.reload()
    page.wait_for_selector(".opblock", timeout=15_000)
    status, body = try_it_out(page, "get", "/users/me")
    assert status.startswith("200"), body
    assert services.DEV_ADMIN_EMAIL in body
    assert blocked == []
    page.close()
