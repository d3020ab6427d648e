"""Swagger UI's Authorize button against the running user service, in a real browser
(headless Chromium, outside network blocked): the OAuth2 password flow logs in at
/auth/token and "Try it out" on GET /users/me then answers 200 as the admin."""

from __future__ import annotations

from typing import Any

from devstack import services
from devstack.processes import ServerProcess
from tests.browser import browser_marks

# The offline page opener and the dialog helpers of the docs browser test.
from tests.contract.test_swagger_ui_browser import authorize_with_password, open_docs, try_it_out

pytestmark = browser_marks


def test_authorize_with_the_password_flow_then_try_get_current_user(
    browser: Any,
    user_service: ServerProcess,
) -> None:
    page, blocked = open_docs(browser, user_service)
    authorize_with_password(page, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    status, body = try_it_out(page, "get", "/users/me")
    assert status.startswith("200"), body
    assert services.DEV_ADMIN_EMAIL in body
    assert blocked == []
    page.close()


def test_operations_show_their_lock(browser: Any, user_service: ServerProcess) -> None:
    page, _ = open_docs(browser, user_service)
    locked = page.locator(".opblock", has=page.locator('[data-path="/users/me"]')).first
    assert locked.locator(".authorization__btn").count() == 1
    health = page.locator(".opblock", has=page.locator('[data-path="/healthz"]')).first
    assert health.locator(".authorization__btn").count() == 0
    page.close()
