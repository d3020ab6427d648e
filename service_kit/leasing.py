"""Leasing rows of a job table to one worker at a time (both services' workers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, update
from sqlalchemy.orm import Session


def lease(session: Session, model: Any, due: Select[Any], until: datetime) -> list[Any]:
    """Set `lease_until` on the rows `due` selects and return their ids, in one statement:
    `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id`. On PostgreSQL
    workers skip each other's rows, and a row leased meanwhile fails the re-checked WHERE; on
    SQLite (one worker) the statement runs under the database's write lock. The ids come back
    in no particular order."""
    return list(
        session.scalars(
            update(model)
            .where(model.id.in_(due.with_for_update(of=model, skip_locked=True).scalar_subquery()))
            .values(lease_until=until)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
    )
