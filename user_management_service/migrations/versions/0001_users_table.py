"""users table: soft delete, email unique among active users only

Revision ID: 0001_users
Revises:
Create Date: 2026-11-29 01:16:11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_users"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "ums_users",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="customer", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_ums_users"),
        sa.UniqueConstraint("id", name="uq_ums_users_id"),
    )
    with op.batch_alter_table("ums_users", schema=None) as batch_op:
        batch_op.create_index("ix_ums_users_email", ["email"], unique=False)
        batch_op.create_index(
            "uq_ums_users_active_email",
            ["email"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("ums_users", schema=None) as batch_op:
        batch_op.drop_index("uq_ums_users_active_email")
        batch_op.drop_index("ix_ums_users_email")
    op.drop_table("ums_users")
