"""Wiring: the one place that builds the engine, adapters and domain services from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from service_kit.database import make_engine, make_session_factory
from user_management_service.adapters.jwt_tokens import JwtAccessTokens
from user_management_service.adapters.keys import KeyStore
from user_management_service.adapters.mail_templates import MailTemplates
from user_management_service.adapters.passwords import PasswordHashing
from user_management_service.adapters.secret_box import SecretBox
from user_management_service.adapters.smtp_mailer import SmtpMailer
from user_management_service.adapters.totp import PyotpTotp
from user_management_service.db.unit_of_work import SqlUnitOfWork
from user_management_service.domain.api_clients import ApiClientService
from user_management_service.domain.audit import AuditTrail
from user_management_service.domain.authentication import AuthService
from user_management_service.domain.mail_delivery import MailDelivery, MailPolicy
from user_management_service.domain.mfa import MfaService
from user_management_service.domain.recovery import AccountRecovery
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
    recovery: AccountRecovery = field(init=False)
    audit: AuditTrail = field(init=False)
    api_clients: ApiClientService = field(init=False)
    mfa: MfaService = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        throttle = ThrottlePolicy(
            window_seconds=s.login_throttle_window_seconds,
            max_per_pair=s.login_max_failures_per_pair,
            max_per_address=s.login_max_failures_per_address,
            max_per_account=s.login_max_failures_per_account,
            base_delay_seconds=s.login_throttle_base_delay_seconds,
        )
        # Thread-local: gunicorn answers each request on one thread, end_session() ends it.
        self.sessions = scoped_session(self.session_factory)
        self.users = UserService(self.uow, self.passwords)
        self.mfa = MfaService(
            self.uow,
            SecretBox.from_settings(s.mfa_secret_keys, s.jwt_keys_dir),
            PyotpTotp(s.mfa_issuer),
            admins_must_enrol=s.admin_mfa_required,
        )
        self.auth = AuthService(
            self.uow,
            self.passwords,
            self.access_tokens,
            refresh_ttl_seconds=s.refresh_token_ttl_seconds,
            throttle=throttle,
            mfa=self.mfa,
        )
        self.recovery = AccountRecovery(
            self.uow,
            self.passwords,
            throttle,
            max_resets_per_address=s.password_reset_max_per_address,
        )
        self.audit = AuditTrail(self.uow)
        self.api_clients = ApiClientService(self.uow, self.access_tokens)

    def mail_delivery(self) -> MailDelivery:
        """The worker's side of mail: SMTP and templates, only built where mail is sent."""
        s = self.settings
        mailer = SmtpMailer(
            s.smtp_host, s.smtp_port, s.mail_from, security=s.smtp_security,
            username=s.smtp_username, password=s.smtp_password, timeout=s.smtp_timeout_seconds,
        )  # fmt: skip
        policy = MailPolicy(
            links_url=s.account_links_url,
            reset_ttl=timedelta(seconds=s.password_reset_ttl_seconds),
            verification_ttl=timedelta(seconds=s.email_verification_ttl_seconds),
            max_resets_per_hour=s.password_reset_max_per_hour,
            retry_base=timedelta(seconds=s.mail_retry_base_seconds),
            retry_cap=timedelta(seconds=s.mail_retry_cap_seconds),
            give_up_after=timedelta(hours=s.mail_give_up_after_hours),
            lease=timedelta(seconds=4 * s.smtp_timeout_seconds + 30),
        )
        return MailDelivery(self.uow, MailTemplates(s.mail_product_name), mailer, policy)

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
