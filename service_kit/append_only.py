"""Append-only tables for the migrations: triggers that refuse every UPDATE and DELETE of a
row, on PostgreSQL and SQLite alike, so not even a bug or a hand-typed statement can change
what was recorded (the audit trails of both services)."""

from __future__ import annotations

from typing import Any

MESSAGE = "audit events are append-only"


def create_triggers(op: Any, table: str) -> None:
    """`op` is Alembic's operations object of the running migration."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE
            ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"""
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb}
                ON {table} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
            )


def drop_function(op: Any, table: str) -> None:
    """After the table is dropped (its triggers go with it): PostgreSQL's function stays."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
