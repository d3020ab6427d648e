"""Stripe's idempotency: same key + same request replays the stored answer; else 400."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from stripe_sandbox.errors import StripeError
from stripe_sandbox.store import Store


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    raw = json.dumps([method, path, params], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


class IdempotencyStore:
    """Keys are scoped per API key, like Stripe's (per account)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def lookup(self, api_key: str, key: str, fp: str) -> tuple[int, dict[str, Any]] | None:
        saved = self.store.get("idempotency", f"{api_key}:{key}")
        if saved is None:
            return None
        if saved["fingerprint"] != fp:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type_="idempotency_error",
            )
        return int(saved["status"]), saved["body"]

    def save(self, api_key: str, key: str, fp: str, status: int, body: dict[str, Any]) -> None:
        if status >= 500:
            return
        self.store.put(
            "idempotency",
            f"{api_key}:{key}",
            {"fingerprint": fp, "status": status, "body": body},
        )
