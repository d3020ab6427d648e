"""The unit of work on a scoped session: one session per thread, i.e. per request.

The caller's lookup and the use case of a request share that session and its one connection
(the read path stays one checkout). The scope's end, Container.end_session(), closes it.
"""

from __future__ import annotations

from contextlib import suppress
from types import TracebackType
from typing import Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from user_management_service.db.account_tokens import SqlAccountTokenRepository
from user_management_service.db.api_clients import SqlApiClientRepository
from user_management_service.db.audit import SqlAuditRepository
from user_management_service.db.mail_jobs import SqlMailJobRepository
from user_management_service.db.mfa import SqlMfaRepository
from user_management_service.db.repository import (
    SqlRefreshTokenRepository,
    SqlThrottleRepository,
    SqlUserRepository,
)


class SqlUnitOfWork:
    def __init__(self, sessions: scoped_session[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self.users = SqlUserRepository(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.throttle = SqlThrottleRepository(self.session)
        self.account_tokens = SqlAccountTokenRepository(self.session)
        self.mail = SqlMailJobRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        self.api_clients = SqlApiClientRepository(self.session)
        self.mfa = SqlMfaRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """An error rolls back what was not committed. Without one, an open read transaction
        stays for the next use case of the same request."""
        if exc is not None:
            # A broken connection may fail the rollback too: the original error is the answer.
            with suppress(SQLAlchemyError):
                self.session.rollback()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
