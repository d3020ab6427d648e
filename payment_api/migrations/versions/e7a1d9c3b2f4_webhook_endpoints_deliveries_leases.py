"""webhook endpoints, deliveries and worker leases

Revision ID: e7a1d9c3b2f4
Revises: d41e7c2a9f10
Create Date: 2026-12-02 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e7a1d9c3b2f4"
down_revision = "d41e7c2a9f10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pay_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "pay_webhook_endpoints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    with op.batch_alter_table("pay_webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pay_webhook_endpoints_created_id", ["created_at", "id"], unique=False
        )

    op.create_table(
        "pay_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["pay_webhook_endpoints.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["pay_events.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_pay_deliveries_endpoint_event"),
    )
    with op.batch_alter_table("pay_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_pay_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_pay_deliveries_endpoint_created", ["endpoint_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "pay_delivery_attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["pay_deliveries.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["endpoint_id"], ["pay_webhook_endpoints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pay_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pay_delivery_attempts_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(
            "ix_pay_delivery_attempts_endpoint_at",
            ["endpoint_id", "attempted_at", "id"],
            unique=False,
        )

    with op.batch_alter_table("pay_webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pay_webhook_events", schema=None) as batch_op:
        batch_op.drop_column("lease_until")

    with op.batch_alter_table("pay_delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_pay_delivery_attempts_endpoint_at")
        batch_op.drop_index(batch_op.f("ix_pay_delivery_attempts_delivery_id"))

    op.drop_table("pay_delivery_attempts")
    with op.batch_alter_table("pay_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_pay_deliveries_endpoint_created")
        batch_op.drop_index("ix_pay_deliveries_due")

    op.drop_table("pay_deliveries")
    with op.batch_alter_table("pay_webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_pay_webhook_endpoints_created_id")

    op.drop_table("pay_webhook_endpoints")
    op.drop_table("pay_leases")
