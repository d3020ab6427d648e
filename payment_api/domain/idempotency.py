"""Idempotent creates: the whole life of an Idempotency-Key, and every commit in it.

`Idempotency.run` drives one `Creation` (a checkout, a refund, any later creating call):

1. replay: a completed key answers with the stored answer; another body or a key still in
   progress is a 409; a key whose request died (in progress past `in_progress_timeout`) is
   claimed by exactly one retry, which resumes that request's resource;
2. reserve: the pending resource and the key are committed together BEFORE the outside call,
   so a racing twin meets the unique key (and replays) instead of creating a second resource;
3. call: the gateway, with the resource's own gateway key, outside any transaction;
4. a refusal is recorded (resource failed, key released for a new attempt); a failure after
   which the gateway may have done the work (a timeout) leaves both as they are, for the
   retry after the timeout or for reconcile;
5. complete: the result is written and the key completed with its answer, in one transaction.

Reconcile settles what nobody resumed with `keys_for`, `release` and `settle`, inside its own
transaction so that a key changes together with its resource.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from payment_api.domain.errors import DomainError, DuplicateError, IdempotencyConflictError
from payment_api.domain.errors import gateway_failure as dependency_error
from payment_api.domain.model import IdempotencyRecord, utcnow
from payment_api.domain.ports import GatewayError, UnitOfWork, UnitOfWorkFactory

Answer = dict[str, Any]  # what a completed key replays
P = TypeVar("P")  # what the outside call needs
O = TypeVar("O")  # noqa: E741 - what the outside call answered
R = TypeVar("R")  # what the caller gets

IN_PROGRESS = "a request with this Idempotency-Key is still in progress; retry later"
EARLIER_FAILED = "the earlier request with this Idempotency-Key failed; use a new key"
OTHER_BODY = (
    "Idempotency-Key was already used with a different request body; "
    "use a new key for a new request"
)


def request_hash(body: Any) -> str:
    """Key order and whitespace do not matter; values and types do."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def in_progress_timeout(
    gateway_timeout_seconds: float, gateway_max_retries: int, margin_seconds: float = 5
) -> timedelta:
    """The longest a live request can take: every gateway attempt, the SDK's back-off, a
    margin. A key still in progress after that belongs to a request that died."""
    return timedelta(
        seconds=gateway_timeout_seconds * (gateway_max_retries + 1)
        + 2 * gateway_max_retries
        + margin_seconds
    )


@dataclass(frozen=True)
class Done(Generic[R]):
    """A finished create: the caller's result, and the answer a key replays."""

    result: R
    answer: Answer


class Creation(ABC, Generic[P, O, R]):
    """The steps of one create. Each step that gets a unit of work runs inside a transaction
    that `Idempotency.run` opens and commits; a step never commits itself."""

    def __init__(self, scope: str) -> None:
        self.scope = scope  # whose keys: an equal key in another scope is another request

    def prepare(self) -> None:
        """Checks that need no transaction (a user lookup); after the replay, before `create`."""

    @abstractmethod
    def replay(self, uow: UnitOfWork, answer: Answer) -> R:
        """The result for an answer a completed key stored."""

    @abstractmethod
    def create(self, uow: UnitOfWork) -> tuple[str, P]:
        """Validate and write the resource, pending: its id and what the call needs."""

    @abstractmethod
    def resume(self, uow: UnitOfWork, resource_id: str) -> P | Done[R] | None:
        """The resource a dead request left: what to call, a result already settled, or None
        when nothing can be resumed (the key is released and the retry refused)."""

    @abstractmethod
    def call(self, pending: P) -> O:
        """The outside call; raises GatewayError."""

    @abstractmethod
    def failed(self, uow: UnitOfWork, pending: P, error: GatewayError) -> None:
        """Record the gateway's refusal on the resource."""

    @abstractmethod
    def complete(self, uow: UnitOfWork, pending: P, outcome: O) -> Done[R]:
        """Write the outcome. A DomainError raised here refuses the request and releases the
        key (what the step changed is rolled back)."""


class Idempotency:
    def __init__(
        self, uow: UnitOfWorkFactory, *, retention: timedelta, in_progress_timeout: timedelta
    ) -> None:
        self.uow = uow
        self.retention = retention
        self.in_progress_timeout = in_progress_timeout

    def run(self, creation: Creation[P, O, R], *, key: str | None, digest: str) -> R:
        scope = creation.scope
        if key:
            with self.uow() as uow:
                resource_id = self._claim_abandoned(uow, scope, key, digest)
                if resource_id is None:
                    answer = self._stored_answer(uow, scope, key, digest)
                    if answer is not None:
                        return creation.replay(uow, answer)
            if resource_id is not None:
                return self._resume(creation, key, resource_id)

        creation.prepare()
        with self.uow() as uow:
            resource_id, pending = creation.create(uow)
            if key:
                try:
                    uow.idempotency.reserve(scope, key, digest, utcnow(), resource_id)
                except DuplicateError:  # a twin with the same key reserved it first
                    uow.rollback()
                    answer = self._stored_answer(uow, scope, key, digest)
                    if answer is None:
                        raise IdempotencyConflictError(IN_PROGRESS) from None
                    return creation.replay(uow, answer)
            uow.commit()
        return self._call(creation, key, pending, resumed=False)

    def _resume(self, creation: Creation[P, O, R], key: str, resource_id: str) -> R:
        with self.uow() as uow:
            found = creation.resume(uow, resource_id)
            if found is None:
                uow.idempotency.remove(creation.scope, key)
                uow.commit()
                raise IdempotencyConflictError(EARLIER_FAILED)
            if isinstance(found, Done):
                uow.idempotency.complete(creation.scope, key, 201, found.answer)
                uow.commit()
                return found.result
        return self._call(creation, key, found, resumed=True)

    def _call(
        self, creation: Creation[P, O, R], key: str | None, pending: P, *, resumed: bool
    ) -> R:
        try:
            outcome = creation.call(pending)
        except GatewayError as exc:
            if resumed and exc.kind == "conflict":
                # The gateway is still busy with the same gateway key for another attempt.
                raise IdempotencyConflictError(IN_PROGRESS) from exc
            if exc.kind == "timeout" and key:
                # The gateway may have done it and only its answer was lost: keep the resource
                # pending and the key in progress, so that no retry makes a second one.
                raise dependency_error(exc) from exc
            with self.uow() as uow:
                creation.failed(uow, pending, exc)
                if key:
                    uow.idempotency.remove(creation.scope, key)
                uow.commit()
            raise dependency_error(exc) from exc

        with self.uow() as uow:
            try:
                done = creation.complete(uow, pending, outcome)
            except DomainError:
                uow.rollback()
                if key:
                    uow.idempotency.remove(creation.scope, key)
                uow.commit()
                raise
            if key:
                uow.idempotency.complete(creation.scope, key, 201, done.answer)
            uow.commit()
            return done.result

    @staticmethod
    def keys_for(uow: UnitOfWork, scope_prefix: str, resource_id: str) -> list[IdempotencyRecord]:
        """Keys still in progress, in scopes starting with `scope_prefix`, whose request was
        creating `resource_id`."""
        return uow.idempotency.in_progress_for(scope_prefix, resource_id)

    @staticmethod
    def release(uow: UnitOfWork, keys: list[IdempotencyRecord]) -> None:
        """Free the keys of a resource that failed: a retry with one is a new request."""
        for row in keys:
            uow.idempotency.remove(row.scope, row.key)

    @staticmethod
    def settle(uow: UnitOfWork, keys: list[IdempotencyRecord], answer: Answer) -> None:
        """Complete the keys of a resource that succeeded: a retry replays `answer`."""
        for row in keys:
            uow.idempotency.complete(row.scope, row.key, 201, answer)

    def purge_expired(self) -> int:
        with self.uow() as uow:
            purged = uow.idempotency.purge_older_than(utcnow() - self.retention)
            uow.commit()
        return purged

    def _stored_answer(self, uow: UnitOfWork, scope: str, key: str, digest: str) -> Answer | None:
        """The answer of a completed key; None for a new key (an expired one is removed);
        IdempotencyConflictError for another body or a request still in progress."""
        row = uow.idempotency.get(scope, key)
        if row is None:
            return None
        if row.created_at < utcnow() - self.retention:
            uow.idempotency.remove(scope, key)
            uow.commit()
            return None
        if row.request_hash != digest:
            raise IdempotencyConflictError(OTHER_BODY)
        if row.status_code is None or row.response is None:
            raise IdempotencyConflictError(IN_PROGRESS)
        return row.response

    def _claim_abandoned(self, uow: UnitOfWork, scope: str, key: str, digest: str) -> str | None:
        """The resource id of a key in progress for longer than a live request takes, claimed
        by a compare-and-set on its timestamp: of several racing retries exactly one resumes,
        the others keep getting "in progress"."""
        row = uow.idempotency.get(scope, key)
        if row is None or row.status_code is not None or row.request_hash != digest:
            return None
        resource_id = (row.response or {}).get("resource_id")
        if (
            not isinstance(resource_id, str)
            or row.created_at >= utcnow() - self.in_progress_timeout
        ):
            return None
        if not uow.idempotency.touch_in_progress(row.id, row.created_at, utcnow()):
            return None
        uow.commit()
        return resource_id
