"""Debian's Chromium driven by Playwright (no browser download), as in
tests/contract/test_swagger_ui_browser.py, plus axe-core (axe-playwright-python) audits."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
AXE_REPORT = ROOT / "build" / "web" / "axe.json"
BLOCKING_IMPACTS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
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


class Blocked(list[str]):
    pass


def new_page(browser: Any, viewport: dict[str, int] | None = None) -> tuple[Any, Blocked]:
    """A page in a fresh context (own cookies) with every request off loopback blocked."""
    context = browser.new_context(viewport=viewport or DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked = Blocked()

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    return page, blocked


_axe: Any = None
_report: dict[str, Any] = {}


def _run_axe(page: Any) -> Any:
    """A click that navigates returns before the next document exists; axe run in between
    finds no document (or a destroyed context): wait for the new one and run again."""
    from playwright.sync_api import Error

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            return _axe.run(page)
        except Error:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def audit(page: Any, name: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _run_axe(page)
    violations = results.response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    viewport = page.viewport_size or {}
    key = f"{name} @{viewport.get('width')}px"
    _report[key] = {
        "url": re.sub(r"cs_test_\w+", "cs_test_…", page.url),
        "violations": [
            {"id": v["id"], "impact": v.get("impact"), "nodes": len(v["nodes"])} for v in violations
        ],
    }
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(_report, indent=2, sort_keys=True))
    assert not blocking, f"{key}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in blocking
    )
