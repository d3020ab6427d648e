"""auth: refresh tokens (hashed, in families) and login throttle counters

Revision ID: 0002_auth
Revises: 0001_users
Create Date: 2026-11-29 05:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_auth"
down_revision = "0001_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ums_refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ums_refresh_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_ums_refresh_tokens_token_hash"),
    )
    with op.batch_alter_table("ums_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_ums_refresh_tokens_family_id", ["family_id"], unique=False)
        batch_op.create_index("ix_ums_refresh_tokens_user_id", ["user_id"], unique=False)
    op.create_table(
        "ums_login_throttle",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ums_login_throttle"),
    )


def downgrade() -> None:
    op.drop_table("ums_login_throttle")
    with op.batch_alter_table("ums_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_ums_refresh_tokens_user_id")
        batch_op.drop_index("ix_ums_refresh_tokens_family_id")
    op.drop_table("ums_refresh_tokens")
