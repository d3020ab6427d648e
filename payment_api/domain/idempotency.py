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


def reserve(
    uow: UnitOfWork,
    scope: str,
    key: str,
    digest: str,
    now: datetime,
    *,
    resource_id: str | None = None,
) -> None:
    """Insert the key (in progress); the unique (scope, key) constraint stops a racing twin.

    `resource_id` (the payment being created) is kept with the in-progress key so that a retry
    after the process died mid-request can resume that resource instead of waiting forever.
    """
    response = {"resource_id": resource_id} if resource_id else None
    uow.idempotency.add(
        IdempotencyKey(scope=scope, key=key, request_hash=digest, created_at=now, response=response)
    )


def claim_abandoned(
    uow: UnitOfWork, scope: str, key: str, digest: str, in_progress_timeout: timedelta
) -> str | None:
    """The resource id of an in-progress key older than `in_progress_timeout`, claimed for us.

    A request still in progress after that long died with its process (SIGKILL, OOM, power).
    The claim is a compare-and-set on the key's timestamp, so of several retries racing for
    it exactly one resumes and the others keep getting "in progress" (409).
    """
    row = uow.idempotency.get(scope, key)
    if row is None or row.status_code is not None or row.request_hash != digest:
        return None
    resource_id = (row.response or {}).get("resource_id")
    if not isinstance(resource_id, str) or row.created_at >= utcnow() - in_progress_timeout:
        return None
    if not uow.idempotency.touch_in_progress(row.id, row.created_at, utcnow()):
        return None
    uow.commit()
    return resource_id
