"""Validated WEB_* settings from the environment (and `.env`); a bad value stops the start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

GUEST_CHECKOUT_NEEDS_A_CLIENT = (
    "WEB_ALLOW_GUEST_CHECKOUT=true needs the web's API client: set WEB_API_CLIENT_ID and "
    "WEB_API_CLIENT_SECRET to a client of the user service with the scopes checkout:write, "
    "payments:read, payments:write and auth:proxy, e.g. created by `python -m "
    'user_management_service create-api-client --name "Web storefront" --scope checkout:write '
    "--scope payments:read --scope payments:write --scope auth:proxy` (or an admin's "
    "createApiClient, the console's API clients page)"
)


def default_database_url() -> str:
    return f"sqlite:///{ROOT / 'data' / 'web.sqlite3'}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return f"{parts.scheme}://{parts.netloc.lower()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", env_file=".env", extra="ignore")

    user_service_url: str = "http://127.0.0.1:5000"
    payment_service_url: str = "http://127.0.0.1:8000"
    # The user service's address as API clients reach it (the console's curl line for a new
    # client's token request); unset: WEB_USER_SERVICE_URL.
    user_service_public_url: str = ""
    # The address shoppers reach the web on: the hosted page sends them back here.
    public_url: str = "http://127.0.0.1:8080"
    # Origins of the gateway's hosted checkout page the web may send shoppers to (and that
    # the CSP's form-action allows, since a form's redirect must be allowed too).
    hosted_checkout_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["https://checkout.stripe.com"]
    )
    database_url: str = Field(default_factory=default_database_url)
    session_idle_seconds: int = Field(default=7200, ge=60, le=30 * 86400)
    # Refresh the access token when it has less than this left.
    token_refresh_margin_seconds: int = Field(default=60, ge=0, le=3600)
    # Secure cookies and HSTS; unset: on when public_url is https.
    cookie_secure: bool | None = None
    api_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Guest checkout (no account): the web calls the payment service for guests with a
    # machine token of its own API client (web/machine.py), so both must be set. (Declared
    # before the switch: its check reads them, and its error shows only the switch's value.)
    api_client_id: str = Field(default="", max_length=200)
    api_client_secret: str = Field(default="", repr=False, max_length=500)
    allow_guest_checkout: bool = False
    merchant_name: str = Field(default="Demo Shop", min_length=1, max_length=80)
    locale: str = "en_US"
    # The dashboard reads at most this many pages of 100 payments.
    dashboard_max_pages: int = Field(default=10, ge=1, le=100)
    dashboard_days: int = Field(default=14, ge=1, le=90)
    page_size: int = Field(default=20, ge=1, le=100)

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        for prefix in ("postgresql://", "postgres://"):  # psycopg 3, as the services
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("hosted_checkout_origins", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("hosted_checkout_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [origin_of(v) for v in value]

    @field_validator("user_service_url", "payment_service_url", "public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        origin_of(value)
        return value.rstrip("/")

    @field_validator("user_service_public_url")
    @classmethod
    def _public_users(cls, value: str) -> str:
        if value:
            origin_of(value)
        return value.rstrip("/")

    @field_validator("allow_guest_checkout")
    @classmethod
    def _guests_need_a_client(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not (info.data.get("api_client_id") and info.data.get("api_client_secret")):
            raise ValueError(GUEST_CHECKOUT_NEEDS_A_CLIENT)
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError(f"unknown locale {value!r}") from exc
        return value

    @property
    def secure(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @property
    def users_public_url(self) -> str:
        return self.user_service_public_url or self.user_service_url

    @property
    def refresh_lease_seconds(self) -> float:
        """How long one request may hold a session's token refresh: longer than the call to
        the user service can take (its pool, connect, write and read timeouts)."""
        return 4 * self.api_timeout_seconds + 5

    @property
    def cookie_name(self) -> str:
        # __Host- cookies are only sent over HTTPS, for this host, path / (no Domain).
        return "__Host-web_session" if self.secure else "web_session"
