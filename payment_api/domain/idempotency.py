"""Idempotency keys: a SHA-256 of the canonical request body decides "same request"."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from payment_api.db.models import IdempotencyKey, utcnow
from payment_api.db.unit_of_work import UnitOfWork
from payment_api.domain.errors import IdempotencyConflictError


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
        raise IdempotencyConflictError(
            "Idempotency-Key was already used with a different request body; "
            "use a new key for a new request"
        )
    if row.status_code is None or row.response is None:
        raise IdempotencyConflictError(
            "a request with this Idempotency-Key is still in progress; retry later"
        )
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

    `resource_id` (the payment or refund being created) is kept with the in-progress key so that
    a retry after the process died mid-request can resume that resource instead of waiting
    forever.
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


@dataclass(frozen=True)
class Earlier:
    """What an earlier request with the same key left: an answer to replay or a resource to finish.

    Both None: the key is new (or expired), the caller goes ahead and reserves it.
    """

    replay: dict[str, Any] | None = None
    resume: str | None = None


def earlier_request(
    uow: UnitOfWork,
    scope: str,
    key: str,
    digest: str,
    *,
    retention: timedelta,
    in_progress_timeout: timedelta,
) -> Earlier:
    """The shared first step of every idempotent create (checkout, refund).

    An abandoned in-progress key is claimed (`resume`: the resource id the dead request had
    committed; the caller finishes it with the SAME gateway idempotency key, so the gateway
    replays whatever the dead request had already done there). Otherwise the stored answer
    (`replay`), or ConflictError while another request is still in progress or for another body.
    """
    resource_id = claim_abandoned(uow, scope, key, digest, in_progress_timeout)
    if resource_id is not None:
        return Earlier(resume=resource_id)
    return Earlier(replay=find_replay(uow, scope, key, digest, retention))


def in_progress_timeout(
    gateway_timeout_seconds: float, gateway_max_retries: int, margin_seconds: float = 5
) -> timedelta:
    """How long a live request can take at most: every gateway attempt, the back-off, a margin.

    A key still in progress after that belongs to a request that died with its process.
    """
    return timedelta(
        seconds=gateway_timeout_seconds * (gateway_max_retries + 1)
        + 2 * gateway_max_retries  # the SDK's retry back-off
        + margin_seconds
    )
