"""audit trail: pay_audit_events, append-only

Triggers refuse every UPDATE and DELETE of an audit event on SQLite and PostgreSQL.

Revision ID: f3b8c1d2e4a5
Revises: e7a1d9c3b2f4
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f3b8c1d2e4a5"
down_revision = "e7a1d9c3b2f4"
branch_labels = None
depends_on = None

MESSAGE = "audit events are append-only"


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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION pay_audit_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            """CREATE TRIGGER pay_audit_events_append_only BEFORE UPDATE OR DELETE
            ON pay_audit_events FOR EACH ROW EXECUTE FUNCTION pay_audit_events_append_only()"""
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER pay_audit_events_no_{verb.lower()} BEFORE {verb}
                ON pay_audit_events BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
            )


def downgrade() -> None:
    op.drop_table("pay_audit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pay_audit_events_append_only()")
