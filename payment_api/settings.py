"""Validated settings from the environment (and `.env`); a bad value stops the start clearly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    return f"sqlite:///{ROOT / 'data' / 'payment_api.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    # An empty variable means the default: compose passes every setting as ${NAME:-}.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: str = Field(default_factory=default_database_url)
    # Longest wait on the database (connect, pool, lock, statement) before a 503 problem.
    database_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Threads per worker for the hot database-only work (GET /payments, GET /payments/{id}, the
    # Stripe webhook acknowledgement); see
    # Container.db_limiter.
    read_threads: int = Field(default=4, ge=1, le=64)
    user_service_url: str = "http://127.0.0.1:5000"
    user_service_timeout_seconds: float = Field(default=3.0, gt=0)
    public_base_url: str = "http://127.0.0.1:8000"

    # Bearer tokens: issued by the user service, verified here against its published keys.
    user_service_jwks_url: str = ""  # empty = <USER_SERVICE_URL>/.well-known/jwks.json
    jwt_issuer: str = "urn:payment-platform:user-management"
    jwt_audience: str = "urn:payment-platform:api"
    jwks_cache_seconds: int = Field(default=300, ge=1)
    jwks_refresh_interval_seconds: float = Field(default=10.0, ge=0)  # unknown-kid refetch
    allow_anonymous_checkout: bool = False  # GET /checkout/ without a token (make run: true)
    # A customer whose token does not say `email_verified: true` gets 403 on a checkout.
    checkout_requires_verified_email: bool = False

    stripe_api_key: str = "sk_test_sandbox"
    stripe_api_base: str | None = None  # the sandbox URL; unset = real Stripe
    stripe_webhook_secrets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1)
    gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    gateway_max_retries: int = Field(default=2, ge=0, le=10)

    default_success_url: str = ""  # empty = <PUBLIC_BASE_URL>/checkout/success?session_id=…
    default_cancel_url: str = ""  # empty = <PUBLIC_BASE_URL>/checkout/cancel?session_id=…
    allowed_redirect_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    checkout_expiry_minutes: int = Field(default=60, ge=30, le=24 * 60)
    idempotency_retention_hours: int = Field(default=48, ge=24)
    reconcile_after_seconds: int = Field(default=600, ge=0)
    reconcile_batch_size: int = Field(default=100, ge=1)

    # Outbound webhooks (docs/architecture.md, "Outbound events"). Merchants' URLs must be
    # HTTPS on public addresses unless these allow more (make run and the tests allow both).
    webhook_allow_http: bool = False
    webhook_allow_private_addresses: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_max_response_bytes: int = Field(default=64 * 1024, ge=0, le=1024 * 1024)
    # Back-off: retry n waits between half and all of min(cap, base * factor^(n-1)).
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_factor: float = Field(default=4.0, ge=1)
    webhook_retry_cap_seconds: float = Field(default=12 * 3600.0, gt=0)
    webhook_retry_window_hours: float = Field(default=72.0, gt=0)  # then a delivery gives up
    webhook_disable_after_hours: float = Field(default=120.0, gt=0)  # of an endpoint failing

    # The worker (python -m payment_api worker).
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)  # idle wait between polls
    worker_concurrency: int = Field(default=8, ge=1, le=64)  # deliveries in flight
    worker_batch_size: int = Field(default=32, ge=1, le=1000)
    reconcile_interval_seconds: float = Field(default=300.0, ge=0)  # 0 = never on schedule
    # GET /healthz (the loop is alive) and GET /metrics of the worker; 0 = not served.
    worker_http_port: int = Field(default=0, ge=0, le=65535)
    worker_http_host: str = "127.0.0.1"

    # Logs: one JSON object per line (json) or key=value text for humans (console).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _normalise_db(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("stripe_api_key")
    @classmethod
    def _stripe_key(cls, value: str) -> str:
        if not value.startswith(("sk_", "rk_")):
            raise ValueError("must be a Stripe secret or restricted key (sk_... or rk_...)")
        return value

    @field_validator("stripe_webhook_secrets", "allowed_redirect_origins", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("stripe_webhook_secrets")
    @classmethod
    def _whsec(cls, value: list[str]) -> list[str]:
        for secret in value:
            if not secret.startswith("whsec_"):
                raise ValueError("each webhook secret must start with whsec_")
        return value

    @field_validator("allowed_redirect_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [origin_of(v) for v in value]

    @field_validator("public_base_url", "user_service_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        origin_of(value)
        return value.rstrip("/")

    @field_validator("user_service_jwks_url")
    @classmethod
    def _jwks_url(cls, value: str) -> str:
        if value:
            origin_of(value)
        return value

    @field_validator("jwt_issuer", "jwt_audience")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def jwks_url(self) -> str:
        return self.user_service_jwks_url or f"{self.user_service_url}/.well-known/jwks.json"

    @property
    def token_url(self) -> str:
        """Where a client gets a token (OAuth2 password grant at the user service)."""
        return f"{self.user_service_url}/auth/token"

    @property
    def success_url(self) -> str:
        return (
            self.default_success_url
            or f"{self.public_base_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}"
        )

    @property
    def cancel_url(self) -> str:
        return (
            self.default_cancel_url
            or f"{self.public_base_url}/checkout/cancel?session_id={{CHECKOUT_SESSION_ID}}"
        )

    @property
    def redirect_origins(self) -> set[str]:
        """Origins a caller may send shoppers back to: the configured ones plus our own."""
        return {*self.allowed_redirect_origins, origin_of(self.public_base_url)}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class SettingsError(RuntimeError):
    pass


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SettingsError("invalid payment service settings:\n" + "\n".join(lines)) from None
