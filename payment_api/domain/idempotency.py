"""Idempotency keys: a SHA-256 of the canonical request body decides "same request"."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from payment_api.db.models import IdempotencyKey, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.errors import ConflictError


def request_hash(body: Any) -> str:
    """Key order and whitespace do not matter; values and types do."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_replay(
    uow: UnitOfWork, scope: str, key: str, digest: str, retention: timedelta
) -> dict[str, Any] | None:
    """The stored answer for this key, None for a new key; ConflictError if not reusable."""
    row = uow.idempotency.get(scope, key)
    if row is None:
        return None
    if row.created_at < utcnow() - retention:
        uow.idempotency.remove(scope, key)
        uow.commit()
        return None
    if row.request_hash != digest:
        raise ConflictError(
            "Idempotency-Key was already used with a different request body; "
            "use a new key for a new request"
        )
    if row.status_code is None or row.response is None:
        raise ConflictError("a request with this Idempotency-Key is still in progress; retry later")
    return row.response


def reserve(uow: UnitOfWork, scope: str, key: str, digest: str, now: datetime) -> None:
    """Insert the key (in progress); the unique (scope, key) constraint stops a racing twin."""
    uow.idempotency.add(IdempotencyKey(scope=scope, key=key, request_hash=digest, created_at=now))
