"""`wait-migrations` (deploy/migrations.py), the Kubernetes init container: it lets a pod
start only once its database is at the head revision of the image, and never migrates; the
web's "migration" is its session tables, created by the `migrate` role."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy import migrations
from devstack import services


def migrate(target: str, url: str) -> None:
    if target == migrations.WEB:
        migrations.migrate_web(url)
    else:
        services.migrate(migrations.PACKAGES[target], {"DATABASE_URL": url})


@pytest.mark.parametrize("target", migrations.TARGETS)
def test_a_database_is_at_head_only_after_the_migration(tmp_path: Path, target: str) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    said: list[str] = []
    assert not migrations.at_head(target, url)
    assert not migrations.wait(target, url, timeout=0, every=0, say=said.append)
    assert "gave up" in said[-1]
    assert not migrations.at_head(target, url)  # waiting migrated nothing
    migrate(target, url)
    assert migrations.at_head(target, url)
    assert migrations.wait(target, url, timeout=0, say=said.append)


def test_an_unreachable_database_is_waited_for(tmp_path: Path) -> None:
    said: list[str] = []
    url = "postgresql://nobody@127.0.0.1:9/none"  # the discard port refuses
    assert not migrations.wait("users", url, timeout=0, every=0, say=said.append)
    assert "OperationalError" in said[-1]


def test_migrate_web_creates_the_sessions_table_the_web_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert migrations.main(["migrate", "web"]) == 0
    assert migrations.main(["migrate", "web"]) == 0  # again: harmless
    assert migrations.main(["wait", "web"]) == 0
    # postgresql:// means psycopg 3, as the web itself reads its URL
    assert migrations.web_database_url("postgresql://u@db/web") == "postgresql+psycopg://u@db/web"


def test_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert migrations.main(["wait", "orders"]) == 2
    assert migrations.main(["migrate", "users"]) == 2  # Alembic targets: their own CLIs
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert migrations.main(["wait", "users"]) == 2
