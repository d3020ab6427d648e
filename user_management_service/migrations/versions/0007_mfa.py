"""second factor: ums_mfa_secrets (sealed TOTP secrets), ums_mfa_recovery_codes (SHA-256),
ums_users.mfa_enabled_at

Revision ID: 0007_mfa
Revises: 0006_api_clients
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_mfa"
down_revision = "0006_api_clients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ums_users") as batch:
        batch.add_column(sa.Column("mfa_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "ums_mfa_secrets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_ums_mfa_secrets"),
    )
    op.create_table(
        "ums_mfa_recovery_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ums_mfa_recovery_codes"),
        sa.UniqueConstraint("user_id", "code_hash", name="uq_ums_mfa_recovery_codes_code"),
    )


def downgrade() -> None:
    op.drop_table("ums_mfa_recovery_codes")
    op.drop_table("ums_mfa_secrets")
    with op.batch_alter_table("ums_users") as batch:
        batch.drop_column("mfa_enabled_at")
