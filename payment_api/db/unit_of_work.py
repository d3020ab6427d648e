"""The unit of work of payment_api/domain/ports.py over one SQLAlchemy session."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from payment_api.db.audit import SqlAuditRepository
from payment_api.db.deliveries import DeliveryRepository, EndpointRepository
from payment_api.db.outbox import SqlOutbox
from payment_api.db.repositories import (
    IdempotencyRepository,
    InboxRepository,
    PaymentRepository,
    ProductRepository,
    RefundRepository,
)


class SqlUnitOfWork:
    """`with uow:` opens a session; leaving it without `commit()` rolls everything back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.products = ProductRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.refunds = RefundRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.outbox = SqlOutbox(self.session)
        self.endpoints = EndpointRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed and detaches the objects without
        # expiring them: records stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
