"""Swagger UI's Authorize button against the running user service, in a real browser
(headless Chromium, outside network blocked): the OAuth2 password flow logs in at
/auth/token and "Try it out" on GET /users/me then answers 200 as the admin."""

from __future__ import annotations

from typing import Any

from devstack import services
from devstack.processes import ServerProcess

# The browser fixture, the offline page opener and the skip/CI marks of the docs browser test.
from tests.contract.test_swagger_ui_browser import browser, open_docs, pytestmark  # noqa: F401


def test_authorize_with_the_password_flow_then_try_get_current_user(
    browser: Any,  # noqa: F811 (the imported fixture)
    user_service: ServerProcess,
) -> None:
    page, blocked = open_docs(browser, user_service)
    page.locator(".auth-wrapper .authorize").first.click()
    modal = page.locator(".modal-ux")
    oauth = modal.locator(".auth-container", has_text="OAuth2Password")
    oauth.locator("#oauth_username").fill(services.DEV_ADMIN_EMAIL)
    oauth.locator("#oauth_password").fill(services.DEV_ADMIN_PASSWORD)
    oauth.locator("button.authorize").click()
    oauth.locator("button", has_text="Logout").wait_for(timeout=10_000)  # token came back
    assert oauth.locator(".errors").count() == 0
    oauth.locator("button.btn-done").first.click()

    me = page.locator(".opblock-get", has=page.locator('[data-path="/users/me"]')).first
    me.locator(".opblock-summary").click()
    me.locator(".try-out__btn").click()
    me.locator(".execute").click()
    status = me.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip().startswith("200")
    assert services.DEV_ADMIN_EMAIL in me.locator(".live-responses-table").inner_text()
    assert blocked == []
    page.close()


def test_operations_show_their_lock(browser: Any, user_service: ServerProcess) -> None:  # noqa: F811
    page, _ = open_docs(browser, user_service)
    locked = page.locator(".opblock", has=page.locator('[data-path="/users/me"]')).first
    assert locked.locator(".authorization__btn").count() == 1
    health = page.locator(".opblock", has=page.locator('[data-path="/healthz"]')).first
    assert health.locator(".authorization__btn").count() == 0
    page.close()
