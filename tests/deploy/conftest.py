"""The container suite needs a Docker engine, images and a few minutes: it runs only when
asked for (`make container-test`, i.e. `-m containers`), like the reliability suite."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "containers" in (config.option.markexpr or ""):
        return
    slow = [item for item in items if item.get_closest_marker("containers")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]
