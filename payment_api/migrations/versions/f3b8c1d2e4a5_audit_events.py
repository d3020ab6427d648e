"""audit trail: pay_audit_events, append-only

Triggers refuse every UPDATE and DELETE of an audit event on SQLite and PostgreSQL.

Revision ID: f3b8c1d2e4a5
Revises: e7a1d9c3b2f4
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service_kit import append_only

revision = "f3b8c1d2e4a5"
down_revision = "e7a1d9c3b2f4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pay_audit_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    for column in ("action", "actor_id", "target_id"):
        op.create_index(f"ix_pay_audit_events_{column}", "pay_audit_events", [column])
    append_only.create_triggers(op, "pay_audit_events")


def downgrade() -> None:
    op.drop_table("pay_audit_events")
    append_only.drop_function(op, "pay_audit_events")
