"""mail queue, one-time account tokens, verified emails

`ums_mail_jobs`: mail the worker sends (password reset, email verification, password
changed); `ums_account_tokens`: reset and verification tokens by their SHA-256;
`ums_users.email_verified_at`. Users that exist before this revision are unverified.

Revision ID: 0004_mail
Revises: 0003_throttle
Create Date: 2026-12-02 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_mail"
down_revision = "0003_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ums_users") as batch:
        batch.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "ums_account_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ums_account_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_ums_account_tokens_token_hash"),
    )
    op.create_index("ix_ums_account_tokens_user_id", "ums_account_tokens", ["user_id", "purpose"])
    op.create_table(
        "ums_mail_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ums_mail_jobs"),
    )
    op.create_index("ix_ums_mail_jobs_due", "ums_mail_jobs", ["state", "next_attempt_at"])
    op.create_index(
        "ix_ums_mail_jobs_recipient", "ums_mail_jobs", ["recipient", "kind", "finished_at"]
    )


def downgrade() -> None:
    op.drop_table("ums_mail_jobs")
    op.drop_table("ums_account_tokens")
    with op.batch_alter_table("ums_users") as batch:
        batch.drop_column("email_verified_at")
