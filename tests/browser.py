"""Debian's Chromium driven by Playwright (no browser download), for every browser test:
the launch flags this machine needs, the skip/CI marks, a module-scoped browser and pages
whose requests off loopback are blocked (the pages must work with no internet)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps dialling out, and this machine's
# closed network refuses it.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

browser_marks = [
    pytest.mark.browser,
    # Skipped only on a developer machine without Chromium; in CI (.ci/run installs it) a
    # missing browser must fail, not hide the check.
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="no Chromium installed (apt-get install -y chromium)",
    ),
]


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


def block_outside_network(page: Any) -> list[str]:
    """Route every request of `page`: loopback goes through, anything else is aborted and
    its URL recorded in the list returned."""
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    return blocked
