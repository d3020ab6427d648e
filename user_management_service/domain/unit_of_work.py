"""The unit-of-work port: one transaction and the repositories sharing it (db.unit_of_work)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from user_management_service.domain.account_tokens import AccountTokenRepository
from user_management_service.domain.api_clients import ApiClientRepository
from user_management_service.domain.audit import AuditRepository
from user_management_service.domain.mail import MailJobRepository
from user_management_service.domain.mfa import MfaRepository
from user_management_service.domain.refresh_tokens import RefreshTokenRepository
from user_management_service.domain.throttle import ThrottleRepository
from user_management_service.domain.users import UserRepository


class UnitOfWork(Protocol):
    """`with uow:` runs one use case; only `commit()` keeps its writes, an error rolls back."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    @property
    def throttle(self) -> ThrottleRepository: ...

    @property
    def account_tokens(self) -> AccountTokenRepository: ...

    @property
    def mail(self) -> MailJobRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def api_clients(self) -> ApiClientRepository: ...

    @property
    def mfa(self) -> MfaRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
