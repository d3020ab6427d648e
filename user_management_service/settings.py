"""Validated settings from the environment (and `.env`); a bad value stops the start clearly."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def default_database_url() -> str:
    return f"sqlite:///{ROOT / 'data' / 'user_management.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    # An empty variable means the default: compose passes every setting as ${NAME:-}.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: str = Field(default_factory=default_database_url)
    # Bounds every wait on the database (connect, pool, lock, statement; SQLite's busy lock):
    # past it the answer is a 503 problem instead of a hung request.
    database_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_content_length: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    argon2_time_cost: int = Field(default=2, ge=1, le=10)
    argon2_memory_cost_kib: int = Field(default=19 * 1024, ge=1024, le=1024 * 1024)

    # Tokens (issue 6): EdDSA access tokens, opaque refresh tokens stored hashed.
    jwt_issuer: str = Field(default="urn:payment-platform:user-management", min_length=1)
    jwt_audience: str = Field(default="urn:payment-platform:api", min_length=1)
    jwt_keys_dir: Path = Field(default_factory=lambda: ROOT / "data" / "keys")
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=24 * 3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60, le=365 * 24 * 3600)

    # Second factor (domain/mfa.py). Required for admins: without one they act as customers.
    admin_mfa_required: bool = False
    # Fernet keys sealing the TOTP secrets, comma separated (the first seals, all open).
    # Empty: a key file made beside the signing keys (development; set it in production).
    mfa_secret_keys: str = Field(default="", repr=False)
    mfa_issuer: str = Field(default="Payment platform", min_length=1, max_length=100)

    # First admin, created on start when no active user has this email (idempotent).
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: str | None = Field(default=None, repr=False)

    # Login throttling (domain/throttle.py; counters in the database: they hold across
    # workers and replicas). Past a limit the address waits LOGIN_THROTTLE_BASE_DELAY_SECONDS,
    # doubled with every further failure, up to the window; a counter forgets its failures two
    # windows after the last one.
    login_max_failures_per_pair: int = Field(default=5, ge=1, le=10_000)
    login_max_failures_per_address: int = Field(default=50, ge=1, le=1_000_000)
    login_max_failures_per_account: int = Field(default=20, ge=1, le=1_000_000)
    login_throttle_window_seconds: int = Field(default=900, ge=1, le=24 * 3600)
    login_throttle_base_delay_seconds: int = Field(default=30, ge=1, le=24 * 3600)
    # Reverse proxies in front of the service whose X-Forwarded-For to trust (0: none, the
    # client address is the peer's). Throttling per address needs the real client address.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    # Browser origins (scheme://host[:port]) allowed to call the token endpoints across
    # origins: another service's Swagger UI logging in here. Empty: no CORS headers at all.
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Mail (domain/mail.py): queued in the database with the change that causes it, sent by the
    # worker (`python -m user_management_service worker`). The defaults reach `make run`'s
    # local SMTP sink, which keeps every message under data/mail/.
    smtp_host: str = Field(default="127.0.0.1", min_length=1)
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    mail_from: str = Field(default="Payment Platform <no-reply@example.com>", min_length=3)
    mail_product_name: str = Field(default="Payment Platform", min_length=1, max_length=100)
    # The page a mailed link opens (the web frontend's account pages): `<url>/reset-password`.
    account_links_url: str = Field(default="http://127.0.0.1:8080/account", pattern=r"^https?://")
    password_reset_ttl_seconds: int = Field(default=1800, ge=60, le=24 * 3600)
    email_verification_ttl_seconds: int = Field(default=48 * 3600, ge=600, le=30 * 24 * 3600)
    password_reset_max_per_hour: int = Field(default=3, ge=1, le=100)
    # Reset requests from one client address (any emails) per two login-throttle windows.
    password_reset_max_per_address: int = Field(default=10, ge=1, le=1_000_000)
    # A mail server that fails: retry n waits between half and all of min(cap, base * 2^(n-1)),
    # for MAIL_GIVE_UP_AFTER_HOURS, then the mail is given up (logged, counted, kept as failed).
    mail_retry_base_seconds: float = Field(default=15.0, gt=0, le=3600)
    mail_retry_cap_seconds: float = Field(default=1800.0, gt=0, le=24 * 3600)
    mail_give_up_after_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    # The worker: how often it looks for due mail, how many it takes at once, and where it
    # answers /healthz and /metrics (unset: nowhere).
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    worker_batch_size: int = Field(default=20, ge=1, le=1000)
    worker_http_host: str = "127.0.0.1"
    worker_http_port: int | None = Field(default=None, ge=1, le=65535)

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

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        origins = []
        for item in items:
            origin = str(item).strip().rstrip("/")
            if not origin:
                continue
            if not ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], e.g. "
                    "http://127.0.0.1:8000, without a path (and no '*': name each origin)"
                )
            origins.append(origin)
        return origins

    @field_validator("account_links_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "bootstrap_admin_email", "bootstrap_admin_password", "smtp_username", "smtp_password"
    )
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @field_validator("bootstrap_admin_password")
    @classmethod
    def _strong_password(cls, value: str | None) -> str | None:
        from user_management_service.domain.passwords import password_problem

        problem = password_problem(value) if value else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _admin_pair(self) -> Settings:
        if bool(self.bootstrap_admin_email) != bool(self.bootstrap_admin_password):
            raise ValueError(
                "set both BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, or neither"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = normalise_database_url(value.strip())
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return value


class SettingsError(RuntimeError):
    pass


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SettingsError("invalid user service settings:\n" + "\n".join(lines)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
