"""The migrations build exactly the tables the models declare (no autogenerate difference)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from payment_api.__main__ import alembic_config
from payment_api.db.models import Base

# migrations/env.py VERSION_TABLE (that module configures Alembic on import)
OPTS = {"version_table": "payment_alembic_version"}


def test_upgrade_head_matches_the_models_and_downgrade_to_the_initial_schema_works(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=OPTS), Base.metadata) == []
    command.downgrade(alembic_config(url), "c3f5b9a709b5")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=OPTS), Base.metadata)
    # The tables added since (pay_events, the webhook endpoints, deliveries and leases) with
    # their indexes, and the inbox's lease column.
    assert {d[0] for d in diff} == {"add_table", "add_index", "add_column"}
    engine.dispose()
