"""login throttle: counters age from their last failure (window_start -> last_failure_at)

A counter now forgets its failures once the window has passed since the LAST one, so a
patient attacker never gets a fresh set of attempts per window; the rows keep their key
(`account:`, `address:`, and the new `pair:`) and count.

Revision ID: 0003_throttle
Revises: 0002_auth
Create Date: 2026-12-02 14:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003_throttle"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ums_login_throttle") as batch:
        batch.alter_column("window_start", new_column_name="last_failure_at")


def downgrade() -> None:
    with op.batch_alter_table("ums_login_throttle") as batch:
        batch.alter_column("last_failure_at", new_column_name="window_start")
