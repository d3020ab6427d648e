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

revision = "0005_audit"
down_revision = "0004_mail"
branch_labels = None
depends_on = None

MESSAGE = "audit events are append-only"


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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION ums_audit_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            """CREATE TRIGGER ums_audit_events_append_only BEFORE UPDATE OR DELETE
            ON ums_audit_events FOR EACH ROW EXECUTE FUNCTION ums_audit_events_append_only()"""
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER ums_audit_events_no_{verb.lower()} BEFORE {verb}
                ON ums_audit_events BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
            )


def downgrade() -> None:
    op.drop_table("ums_audit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ums_audit_events_append_only()")
