"""outbox of outbound events (pay_events)

Revision ID: d41e7c2a9f10
Revises: c3f5b9a709b5
Create Date: 2026-12-02 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d41e7c2a9f10"
down_revision = "c3f5b9a709b5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pay_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pay_events", schema=None) as batch_op:
        batch_op.create_index("ix_pay_events_created_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pay_events_object_id"), ["object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pay_events_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pay_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_events_type"))
        batch_op.drop_index(batch_op.f("ix_pay_events_object_id"))
        batch_op.drop_index("ix_pay_events_created_id")
    op.drop_table("pay_events")
