"""`wait-migrations` (deploy/migrations.py), the Kubernetes init container: it lets a pod
start only once its database is at the head revision of the image, and never migrates."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy import migrations
from devstack import services


@pytest.mark.parametrize(("target", "module"), list(migrations.PACKAGES.items()))
def test_a_database_is_at_head_only_after_the_migration(
    tmp_path: Path, target: str, module: str
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    said: list[str] = []
    assert not migrations.at_head(target, url)
    assert not migrations.wait(target, url, timeout=0, every=0, say=said.append)
    assert "gave up" in said[-1]
    assert not migrations.at_head(target, url)  # waiting migrated nothing
    services.migrate(module, {"DATABASE_URL": url})
    assert migrations.at_head(target, url)
    assert migrations.wait(target, url, timeout=0, say=said.append)


def test_an_unreachable_database_is_waited_for(tmp_path: Path) -> None:
    said: list[str] = []
    url = "postgresql://nobody@127.0.0.1:9/none"  # the discard port refuses
    assert not migrations.wait("users", url, timeout=0, every=0, say=said.append)
    assert "OperationalError" in said[-1]


def test_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert migrations.main(["wait", "orders"]) == 2
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert migrations.main(["wait", "users"]) == 2
