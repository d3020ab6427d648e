"""Wiring: the one place that builds the adapters and hands them to the domain's services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from anyio import CapacityLimiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from payment_api.auth import TokenVerifier
from payment_api.db.unit_of_work import SqlUnitOfWork
from payment_api.domain.checkout import CheckoutPolicy, CheckoutService
from payment_api.domain.deliveries import DeliveryService, RetrySchedule
from payment_api.domain.endpoints import EndpointService
from payment_api.domain.idempotency import Idempotency, in_progress_timeout
from payment_api.domain.ports import (
    PaymentGateway,
    UserDirectory,
    WebhookEvents,
    WebhookTransport,
)
from payment_api.domain.products import ProductService
from payment_api.domain.reconcile import Reconciler
from payment_api.domain.refunds import RefundService
from payment_api.domain.webhooks import WebhookInbox
from payment_api.gateways.jwks import JwksKeySource
from payment_api.gateways.payment_gateway import StripeGateway
from payment_api.gateways.stripe_translation import StripeWebhooks
from payment_api.gateways.user_directory import UserServiceDirectory
from payment_api.gateways.webhook_sender import SignedWebhookTransport, UrlPolicy, WebhookSender
from payment_api.settings import Settings
from payment_api.views import ReadModel
from service_kit.database import make_engine, make_session_factory


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    gateway: PaymentGateway
    users: UserDirectory
    verifier: TokenVerifier
    webhook_events: WebhookEvents
    transport: WebhookTransport
    reads: ReadModel = field(init=False)
    idempotency: Idempotency = field(init=False)
    products: ProductService = field(init=False)
    checkout: CheckoutService = field(init=False)
    refunds: RefundService = field(init=False)
    inbox: WebhookInbox = field(init=False)
    endpoints: EndpointService = field(init=False)
    deliveries: DeliveryService = field(init=False)
    # Short database-only work (api.deps.run_db: the hot reads, the webhook acknowledgement)
    # gets its own small pool per worker, READ_THREADS: more threads only contend for the GIL
    # and, on SQLite, for its one writer (bench/RESULTS.md); slow dependencies never starve it.
    db_limiter: CapacityLimiter = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.reads = ReadModel(self.engine)
        self.idempotency = Idempotency(
            self.uow,
            retention=timedelta(hours=s.idempotency_retention_hours),
            in_progress_timeout=in_progress_timeout(
                s.gateway_timeout_seconds, s.gateway_max_retries
            ),
        )
        self.products = ProductService(self.uow)
        self.checkout = CheckoutService(
            self.uow,
            self.gateway,
            self.users,
            CheckoutPolicy(
                success_url=s.success_url,
                cancel_url=s.cancel_url,
                redirect_origins=s.redirect_origins,
                expiry=timedelta(minutes=s.checkout_expiry_minutes),
            ),
            self.idempotency,
        )
        self.refunds = RefundService(self.uow, self.gateway, self.idempotency)
        self.inbox = WebhookInbox(self.uow, self.webhook_events, self.gateway)
        self.db_limiter = CapacityLimiter(s.read_threads)
        self.endpoints = EndpointService(self.uow, self.transport)
        self.deliveries = DeliveryService(
            self.uow,
            self.transport,
            retry_schedule(s),
            # A lease outlives the longest attempt: the timeout, reading the answer, a margin.
            lease=timedelta(seconds=3 * s.webhook_timeout_seconds + 5),
        )

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory)

    def reconciler(self) -> Reconciler:
        s = self.settings
        return Reconciler(
            self.uow,
            self.gateway,
            self.inbox,
            self.idempotency,
            stale_after=timedelta(seconds=s.reconcile_after_seconds),
            batch_size=s.reconcile_batch_size,
        )


def build_container(
    settings: Settings,
    *,
    gateway: PaymentGateway | None = None,
    users: UserDirectory | None = None,
    verifier: TokenVerifier | None = None,
    transport: WebhookTransport | None = None,
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
        webhook_events=StripeWebhooks(
            settings.stripe_webhook_secrets, settings.stripe_webhook_tolerance_seconds
        ),
        transport=transport or webhook_transport(settings),
    )


def webhook_transport(settings: Settings) -> SignedWebhookTransport:
    policy = UrlPolicy(
        allow_http=settings.webhook_allow_http,
        allow_private=settings.webhook_allow_private_addresses,
    )
    return SignedWebhookTransport(
        WebhookSender(
            policy,
            timeout_seconds=settings.webhook_timeout_seconds,
            max_response_bytes=settings.webhook_max_response_bytes,
        )
    )


def retry_schedule(settings: Settings) -> RetrySchedule:
    return RetrySchedule(
        base=timedelta(seconds=settings.webhook_retry_base_seconds),
        factor=settings.webhook_retry_factor,
        cap=timedelta(seconds=settings.webhook_retry_cap_seconds),
        window=timedelta(hours=settings.webhook_retry_window_hours),
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
    )


def token_verifier(settings: Settings) -> TokenVerifier:
    keys = JwksKeySource(
        settings.jwks_url,
        cache_seconds=settings.jwks_cache_seconds,
        refresh_interval=settings.jwks_refresh_interval_seconds,
        timeout=settings.user_service_timeout_seconds,
    )
    return TokenVerifier(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
