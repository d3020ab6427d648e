"""Cost as the work grows (issue 19): the Stripe webhook acknowledgement with BENCH_INBOX_EVENTS
(1,000,000) stored events against the same service on an empty inbox.

Two extra payment services, each on its own fresh database, measured after the main rounds in
interleaved rounds of their own (so the ratio is taken under the same load). One inbox starts
empty; the other starts with the seeded events, processed, as a service that has run a while
keeps them. Both receive the same kind of distinct signed events.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.scenarios import completed_event
from bench.seed import BATCH, bulk_engine


def seed_inbox(url: str, count: int) -> float:
    """`count` processed checkout.session.completed events; seconds taken."""
    from payment_api.db.models import WebhookEvent

    started = time.perf_counter()
    start_at = datetime.now(UTC) - timedelta(days=30)
    engine = bulk_engine(url)
    try:
        with engine.begin() as conn:
            for first in range(0, count, BATCH):
                rows: list[dict[str, Any]] = []
                for i in range(first, min(first + BATCH, count)):
                    at = start_at + timedelta(milliseconds=i)
                    event_id = f"evt_seed_{i:08d}"
                    rows.append(
                        {
                            "id": event_id,
                            "type": "checkout.session.completed",
                            # the size and shape of the events the scenarios send
                            "payload": completed_event(
                                event_id,
                                f"bench-seed-{i}",
                                f"cs_test_seed_{i:08d}",
                                int(at.timestamp()),
                            ),
                            "state": "processed",
                            "outcome": "payment succeeded",
                            "error": None,
                            "attempts": 1,
                            "received_at": at,
                            "processed_at": at,
                            "lease_until": None,
                        }
                    )
                conn.execute(insert(WebhookEvent), rows)
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE pay_webhook_events"))
    finally:
        engine.dispose()
    return time.perf_counter() - started
