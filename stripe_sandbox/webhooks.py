"""Stripe-style webhook signing and an at-least-once delivery worker with capped backoff."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from stripe_sandbox.store import Store


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value: `t=<unix>,v1=<hex hmac_sha256(secret, "t.payload")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class Delivery:
    event_id: str
    event_type: str
    url: str
    attempts: int = 0
    status: str = "pending"  # pending | delivered | failing
    last_status_code: int | None = None
    last_error: str | None = None
    payload: str = field(default="", repr=False)
    next_attempt_at: float = 0.0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        del data["payload"], data["next_attempt_at"], data["id"]
        return data


class WebhookDispatcher:
    """Queues one delivery per (event, endpoint) and posts them from a background task."""

    def __init__(
        self,
        urls: list[str],
        secret: str,
        *,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 300.0,
        timeout_seconds: float = 5.0,
        store: Store | None = None,
    ) -> None:
        self.urls = list(urls)
        self.secret = secret
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.timeout_seconds = timeout_seconds
        self.paused = False
        self.duplicate = False
        self.shuffle = False
        self.store = store
        self.deliveries: list[Delivery] = []
        if store is not None:  # undelivered webhooks survive a restart with SANDBOX_DB
            for saved in store.all("delivery"):
                self.deliveries.append(Delivery(**{**saved, "next_attempt_at": 0.0}))
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def enqueue(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event, indent=2)
        copies = 2 if self.duplicate else 1
        for url in self.urls:
            for _ in range(copies):
                self._add(Delivery(event["id"], event["type"], url, payload=payload))
        self._wake.set()

    def _add(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self._persist(delivery)

    def _persist(self, delivery: Delivery) -> None:
        if self.store is not None:
            self.store.put("delivery", delivery.id, asdict(delivery))

    def reset(self) -> None:
        self.deliveries.clear()
        self.paused = self.duplicate = self.shuffle = False

    def configure(
        self, *, paused: bool | None, duplicate: bool | None, shuffle: bool | None
    ) -> None:
        if paused is not None:
            self.paused = paused
        if duplicate is not None:
            self.duplicate = duplicate
        if shuffle is not None:
            self.shuffle = shuffle
        self._wake.set()

    def state(self) -> dict[str, Any]:
        return {
            "paused": self.paused,
            "duplicate": self.duplicate,
            "shuffle": self.shuffle,
            "urls": list(self.urls),
        }

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _due(self) -> list[Delivery]:
        if self.paused:
            return []
        now = time.monotonic()
        due = [d for d in self.deliveries if d.status != "delivered" and d.next_attempt_at <= now]
        if self.shuffle and len(due) > 1:
            original = list(due)
            random.shuffle(due)
            if due == original:
                due.reverse()
        return due

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
            while True:
                for delivery in self._due():
                    if self.paused:
                        break
                    await self._attempt(client, delivery)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.05)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        delivery.attempts += 1
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(delivery.payload, self.secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            response = await client.post(delivery.url, content=delivery.payload, headers=headers)
            delivery.last_status_code = response.status_code
            delivery.last_error = None if response.is_success else response.text[:200]
            ok = response.is_success
        except httpx.HTTPError as exc:
            delivery.last_status_code = None
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:200]
            ok = False
        if ok:
            delivery.status = "delivered"
            self._persist(delivery)
            return
        delivery.status = "failing"
        backoff = self.retry_base_seconds * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = time.monotonic() + min(backoff, self.retry_max_seconds)
        self._persist(delivery)

    def resend(self, event: dict[str, Any]) -> list[Delivery]:
        payload = json.dumps(event, indent=2)
        new = [Delivery(event["id"], event["type"], url, payload=payload) for url in self.urls]
        for delivery in new:
            self._add(delivery)
        self._wake.set()
        return new
