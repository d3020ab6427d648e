"""Pages of the web in Chromium (tests/browser.py) at phone and desktop sizes, plus axe-core
(axe-playwright-python) audits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.browser import block_outside_network

ROOT = Path(__file__).resolve().parents[2]
AXE_REPORT = ROOT / "build" / "web" / "axe.json"
BLOCKING_IMPACTS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def new_page(browser: Any, viewport: dict[str, int] | None = None) -> tuple[Any, list[str]]:
    """A page in a fresh context (own cookies) with every request off loopback blocked."""
    context = browser.new_context(viewport=viewport or DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page, block_outside_network(page)


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
