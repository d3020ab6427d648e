"""Wiring: one place that builds engine, gateways and domain services from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from anyio import CapacityLimiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from payment_api.auth import TokenVerifier
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.checkout import CheckoutPolicy, CheckoutService
from payment_api.domain.idempotency import in_progress_timeout
from payment_api.domain.reconcile import Reconciler
from payment_api.domain.refunds import RefundService
from payment_api.domain.webhooks import WebhookInbox
from payment_api.gateways.jwks import JwksKeySource
from payment_api.gateways.payment_gateway import PaymentGateway, StripeGateway
from payment_api.gateways.user_directory import UserDirectory, UserServiceDirectory
from payment_api.settings import Settings
from service_kit.database import make_engine, make_session_factory


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    gateway: PaymentGateway
    users: UserDirectory
    verifier: TokenVerifier
    checkout: CheckoutService = field(init=False)
    refunds: RefundService = field(init=False)
    inbox: WebhookInbox = field(init=False)
    # Hot reads run in anyio's threads but at most READ_THREADS at once per worker: measured
    # with 32 clients, 40 threads contending for the GIL cost 10% more CPU per read and doubled
    # p99 (bench/RESULTS.md). Endpoints that wait on the gateway or the user service keep the
    # default 40, so slow dependencies never starve these reads or the other way round.
    read_limiter: CapacityLimiter = field(init=False)
    # An Idempotency-Key still "in progress" after this long died with its process; a retry
    # with the same key then resumes the checkout or refund (same gateway key), and reconcile
    # closes what nobody resumed.
    abandoned_after: timedelta = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        retention = timedelta(hours=s.idempotency_retention_hours)
        self.abandoned_after = in_progress_timeout(s.gateway_timeout_seconds, s.gateway_max_retries)
        self.checkout = CheckoutService(
            self.uow,
            self.gateway,
            self.users,
            CheckoutPolicy(
                success_url=s.success_url,
                cancel_url=s.cancel_url,
                redirect_origins=s.redirect_origins,
                expiry=timedelta(minutes=s.checkout_expiry_minutes),
                idempotency_retention=retention,
                in_progress_timeout=self.abandoned_after,
            ),
        )
        self.refunds = RefundService(
            self.uow, self.gateway, retention, in_progress_timeout=self.abandoned_after
        )
        self.inbox = WebhookInbox(self.uow, self.gateway)
        self.read_limiter = CapacityLimiter(s.read_threads)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def reconciler(self) -> Reconciler:
        s = self.settings
        return Reconciler(
            self.uow,
            self.gateway,
            stale_after=timedelta(seconds=s.reconcile_after_seconds),
            batch_size=s.reconcile_batch_size,
            idempotency_retention=timedelta(hours=s.idempotency_retention_hours),
            in_progress_timeout=self.abandoned_after,
        )


def build_container(
    settings: Settings,
    *,
    gateway: PaymentGateway | None = None,
    users: UserDirectory | None = None,
    verifier: TokenVerifier | None = None,
) -> Container:
    engine = make_engine(settings.database_url, settings.database_timeout_seconds)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        gateway=gateway
        or StripeGateway(
            settings.stripe_api_key,
            api_base=settings.stripe_api_base,
            max_retries=settings.gateway_max_retries,
            timeout=settings.gateway_timeout_seconds,
        ),
        users=users
        or UserServiceDirectory(settings.user_service_url, settings.user_service_timeout_seconds),
        verifier=verifier or token_verifier(settings),
    )


def token_verifier(settings: Settings) -> TokenVerifier:
    keys = JwksKeySource(
        settings.jwks_url,
        cache_seconds=settings.jwks_cache_seconds,
        refresh_interval=settings.jwks_refresh_interval_seconds,
        timeout=settings.user_service_timeout_seconds,
    )
    return TokenVerifier(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
