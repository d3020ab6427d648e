"""Sandbox configuration, read once from the environment (see README.md for the table)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Settings:
    port: int = 12111
    webhook_urls: list[str] = field(default_factory=list)
    webhook_secret: str = "whsec_sandbox_local_development_secret"  # noqa: S105
    public_url: str = ""
    db_path: str | None = None
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 300.0
    webhook_timeout_seconds: float = 5.0
    business_name: str = "Demo Shop"  # the merchant the hosted page names

    @classmethod
    def from_env(cls, port: int = 12111) -> Settings:
        urls = [u.strip() for u in os.environ.get("SANDBOX_WEBHOOK_URLS", "").split(",")]
        return cls(
            port=port,
            webhook_urls=[u for u in urls if u],
            webhook_secret=os.environ.get("SANDBOX_WEBHOOK_SECRET", cls.webhook_secret),
            public_url=os.environ.get("SANDBOX_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            db_path=os.environ.get("SANDBOX_DB") or None,
            retry_base_seconds=float(os.environ.get("SANDBOX_WEBHOOK_RETRY_BASE_SECONDS", "1")),
            retry_max_seconds=float(os.environ.get("SANDBOX_WEBHOOK_RETRY_MAX_SECONDS", "300")),
            webhook_timeout_seconds=float(os.environ.get("SANDBOX_WEBHOOK_TIMEOUT_SECONDS", "5")),
            business_name=os.environ.get("SANDBOX_BUSINESS_NAME", "").strip() or cls.business_name,
        )
