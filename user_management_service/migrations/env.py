"""Alembic environment: the URL comes from the service settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from service_kit.database import make_engine
from user_management_service.db.models import Base
from user_management_service.settings import get_settings

VERSION_TABLE = "user_service_alembic_version"


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


url = context.config.attributes.get("database_url") or get_settings().database_url
engine = make_engine(url, timeout=600)  # long data migrations must not hit the request timeout
with engine.connect() as conn:
    run(conn)
engine.dispose()
