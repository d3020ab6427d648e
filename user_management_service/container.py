"""Wiring: the one place that builds the engine, adapters and domain services from settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from service_kit.database import make_engine, make_session_factory
from user_management_service.adapters.jwt_tokens import JwtAccessTokens
from user_management_service.adapters.keys import KeyStore
from user_management_service.adapters.passwords import PasswordHashing
from user_management_service.db.unit_of_work import SqlUnitOfWork
from user_management_service.domain.authentication import AuthService
from user_management_service.domain.throttle import ThrottlePolicy
from user_management_service.domain.users import UserService
from user_management_service.settings import Settings


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    passwords: PasswordHashing
    keys: KeyStore
    access_tokens: JwtAccessTokens
    sessions: scoped_session[Session] = field(init=False)
    users: UserService = field(init=False)
    auth: AuthService = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        # Thread-local: gunicorn answers each request on one thread, end_session() ends it.
        self.sessions = scoped_session(self.session_factory)
        self.users = UserService(self.uow, self.passwords)
        self.auth = AuthService(
            self.uow,
            self.passwords,
            self.access_tokens,
            refresh_ttl_seconds=s.refresh_token_ttl_seconds,
            throttle=ThrottlePolicy(
                window_seconds=s.login_throttle_window_seconds,
                max_per_pair=s.login_max_failures_per_pair,
                max_per_address=s.login_max_failures_per_address,
                max_per_account=s.login_max_failures_per_account,
                base_delay_seconds=s.login_throttle_base_delay_seconds,
            ),
        )

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    def end_session(self) -> None:
        """Close this thread's session (uncommitted work is rolled back): after each request,
        and after a command's use cases."""
        self.sessions.remove()

    def check_database(self) -> None:
        """OperationalError unless the database answers a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.end_session()
        self.engine.dispose()


def build_container(settings: Settings) -> Container:
    engine = make_engine(settings.database_url, settings.database_timeout_seconds)
    keys = KeyStore(settings.jwt_keys_dir)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        passwords=PasswordHashing(settings.argon2_time_cost, settings.argon2_memory_cost_kib),
        keys=keys,
        access_tokens=JwtAccessTokens(
            keys,
            settings.jwt_issuer,
            settings.jwt_audience,
            settings.access_token_ttl_seconds,
        ),
    )
