"""audit trail: ums_audit_events, append-only

Triggers refuse every UPDATE and DELETE of an audit event on both SQLite and PostgreSQL, so
not even a bug in the service (or a hand-typed statement) can change what was recorded.

Revision ID: 0005_audit
Revises: 0004_mail
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service_kit import append_only

revision = "0005_audit"
down_revision = "0004_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ums_audit_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("target_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ums_audit_events"),
        sa.UniqueConstraint("id", name="uq_ums_audit_events_id"),
    )
    op.create_index("ix_ums_audit_events_actor_id", "ums_audit_events", ["actor_id"])
    op.create_index("ix_ums_audit_events_target_id", "ums_audit_events", ["target_id"])
    op.create_index("ix_ums_audit_events_action", "ums_audit_events", ["action"])
    append_only.create_triggers(op, "ums_audit_events")


def downgrade() -> None:
    op.drop_table("ums_audit_events")
    append_only.drop_function(op, "ums_audit_events")
