"""audit trail: pay_audit_events.actor_type, a user or an API client

Additive: existing events were all made by admins, so they default to `user`.

Revision ID: a9c4e2f7b1d3
Revises: f3b8c1d2e4a5
Create Date: 2026-12-03 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a9c4e2f7b1d3"
down_revision = "f3b8c1d2e4a5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "pay_audit_events",
        sa.Column("actor_type", sa.String(length=16), server_default="user", nullable=False),
    )


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ too): a batch copy of the table would
    # lose its append-only triggers.
    op.execute("ALTER TABLE pay_audit_events DROP COLUMN actor_type")
