"""Named leases: a scheduled job (reconcile) that one worker at a time runs, at most once per
interval, whichever of the replicas gets there first."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from payment_api.db.models import Lease
from payment_api.db.repositories import _flush_new
from payment_api.domain.errors import DuplicateError


class Leases:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def acquire(self, name: str, owner: str, now: datetime, *, every: timedelta,
                hold: timedelta) -> bool:  # fmt: skip
        """True for the one caller that may run `name` now: not run within `every`, and not
        held by another owner (a holder that died loses it after `hold`)."""
        with self.session_factory() as session:
            if session.scalar(select(Lease.name).where(Lease.name == name)) is None:
                try:
                    _flush_new(session, Lease(name=name))
                    session.commit()
                except DuplicateError:
                    session.rollback()  # another worker made it first
            taken = session.execute(
                update(Lease)
                .where(
                    Lease.name == name,
                    or_(Lease.until.is_(None), Lease.until < now, Lease.owner == owner),
                    or_(Lease.last_run_at.is_(None), Lease.last_run_at <= now - every),
                )
                .values(owner=owner, until=now + hold)
            )
            session.commit()
            return bool(getattr(taken, "rowcount", 0))

    def finish(self, name: str, owner: str, ran_at: datetime) -> None:
        with self.session_factory() as session:
            session.execute(
                update(Lease)
                .where(Lease.name == name, Lease.owner == owner)
                .values(until=None, last_run_at=ran_at)
            )
            session.commit()
