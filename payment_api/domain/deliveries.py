"""Delivering outbound events: at least once, with back-off, until the retry window closes.

Each event reaches each subscribed endpoint as one `Delivery` row, created in the transaction
that emitted the event. A worker leases the due ones (`DeliveryRepository.claim_due`), POSTs
each outside any transaction, then records the attempt and schedules the next one. A worker
that dies mid-attempt holds its lease until it expires; the delivery is then due again, so
nothing is lost and a receiver may see an event twice (it deduplicates on `webhook-id`).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from payment_api.domain.model import NewDeliveryAttempt, utcnow
from payment_api.domain.ports import (
    AttemptResult,
    DueDelivery,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookTransport,
)
from payment_api.domain.states import AttemptOutcome, DeliveryState, EndpointStatus

log = logging.getLogger("payment_api.deliveries")
ERROR_MAX = 500


@dataclass(frozen=True)
class RetrySchedule:
    """Exponential back-off with equal jitter: the n-th retry waits between half and all of
    min(cap, base * factor^(n-1)). Retries go on until `window` after the first attempt (the
    last one at or after it), and an endpoint failing for `disable_after` is disabled.

    The defaults: about 10 s, 40 s, 2.7 min, 11 min, 43 min, 2.8 h, 11 h, then every 6-12 h
    until three days have passed; disabled after five days of failures.
    """

    base: timedelta = timedelta(seconds=10)
    factor: float = 4.0
    cap: timedelta = timedelta(hours=12)
    window: timedelta = timedelta(days=3)
    disable_after: timedelta = timedelta(days=5)

    def delay(self, attempts: int, rand: float) -> timedelta:
        """The wait after the `attempts`-th failed attempt; `rand` uniform in [0, 1)."""
        full = min(
            self.cap.total_seconds(), self.base.total_seconds() * self.factor ** (attempts - 1)
        )
        return timedelta(seconds=full / 2 + full / 2 * rand)


class DeliveryService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        transport: WebhookTransport,
        schedule: RetrySchedule,
        *,
        lease: timedelta,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.uow = uow
        self.transport = transport
        self.schedule = schedule
        self.lease = lease  # longer than one attempt can take
        self.rand = rand

    def claim(self, limit: int) -> list[DueDelivery]:
        now = utcnow()
        with self.uow() as uow:
            due = uow.deliveries.claim_due(now, now + self.lease, limit)
            uow.commit()
        return due

    def release(self, due: Iterable[DueDelivery]) -> None:
        ids = [d.id for d in due]
        if ids:
            with self.uow() as uow:
                uow.deliveries.release(ids)
                uow.commit()

    def attempt(self, due: DueDelivery) -> AttemptOutcome:
        """One POST of a claimed delivery, then its record, in one transaction."""
        started = utcnow()
        result = self.transport.deliver(due.url, due.payload, due.secrets, due.event_id, started)
        outcome = (
            AttemptOutcome.DELIVERED
            if result.ok
            else AttemptOutcome.REFUSED
            if result.refused
            else AttemptOutcome.FAILED
        )
        with self.uow() as uow:
            self._record(uow, due, result, outcome, started)
            uow.commit()
        if outcome is AttemptOutcome.REFUSED:
            log.warning(
                "webhook refused by the URL policy: endpoint %s, event %s: %s",
                due.endpoint_id, due.event_id, result.error,
            )  # fmt: skip
        return outcome

    def _record(
        self,
        uow: UnitOfWork,
        due: DueDelivery,
        result: AttemptResult,
        outcome: AttemptOutcome,
        started: datetime,
    ) -> None:
        # The endpoint first, as every admin operation locks it: one lock order, no deadlock.
        endpoint = uow.endpoints.get(due.endpoint_id, for_update=True)
        delivery = uow.deliveries.get(due.id, for_update=True)
        if delivery is None or endpoint is None:
            return  # the endpoint was deleted meanwhile
        now = utcnow()
        number = delivery.attempts + 1
        error = None if result.error is None else result.error[:ERROR_MAX]
        uow.deliveries.record_attempt(
            NewDeliveryAttempt(
                delivery_id=due.id,
                endpoint_id=due.endpoint_id,
                event_id=due.event_id,
                number=number,
                attempted_at=started,
                outcome=outcome,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                error=error,
                response_excerpt=result.excerpt,
            )
        )
        delivery.attempts = number
        delivery.last_attempt_at, delivery.last_status_code = started, result.status_code
        delivery.last_error, delivery.lease_until = error, None
        if outcome is AttemptOutcome.DELIVERED:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryState.DELIVERED, now, None,
            )  # fmt: skip
            endpoint.failing_since = None
            return
        if delivery.window_started_at + self.schedule.window <= now:
            delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        else:
            delivery.next_attempt_at = now + self.schedule.delay(number, self.rand())
        if endpoint.failing_since is None:
            endpoint.failing_since = started
        elif (
            endpoint.status is EndpointStatus.ENABLED
            and endpoint.failing_since + self.schedule.disable_after <= now
        ):
            endpoint.status = EndpointStatus.DISABLED
            endpoint.disabled_reason = (
                f"every delivery failed since {endpoint.failing_since.isoformat()}; "
                f"last: {error or result.status_code}"
            )[:ERROR_MAX]
            endpoint.updated_at = now
            log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason)
