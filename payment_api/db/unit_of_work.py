"""Unit of work: one transaction, the repositories that share it, commit or roll back."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from payment_api.db.repositories import (
    IdempotencyRepository,
    InboxRepository,
    PaymentRepository,
    ProductRepository,
    RefundRepository,
)


class UnitOfWork:
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
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() discards uncommitted work (the connection's transaction is rolled back) and
        # detaches objects WITHOUT expiring them, so results stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
