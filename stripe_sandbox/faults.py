"""Injected faults: the next N matching API requests answer 500, hang, or lose the connection."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MODES = ("error_500", "hang", "drop")


@dataclass
class Fault:
    path_prefix: str
    method: str | None
    mode: str
    count: int
    seconds: float

    def matches(self, method: str, path: str) -> bool:
        return (
            self.count > 0
            and path.startswith(self.path_prefix)
            and (self.method is None or self.method == method)
        )


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()

    def public(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.faults if f.count > 0]

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                return fault
        return None


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        body += bytes(message.get("body", b""))
        if not message.get("more_body", False):
            return body


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read already, once; then whatever the connection says (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class FaultMiddleware:
    """Outermost ASGI layer, so `drop` can close uvicorn's transport itself."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        fault = self.injector.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.mode == "hang":
            # A slow gateway, not a dead one: the request is taken in full at once and done
            # after the delay even when the client stopped waiting (its answer is then lost),
            # as Stripe finishes a call whose client timed out.
            body = await _read_body(receive)
            await asyncio.sleep(fault.seconds)
            await self.app(scope, _replay(body, receive), send)
        elif fault.mode == "drop":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                transport.abort()
                await asyncio.sleep(0)
                return
            raise ConnectionAbortedError("sandbox fault: drop")
        else:
            body = json.dumps(
                {
                    "error": {
                        "type": "api_error",
                        "code": None,
                        "message": "An unknown error occurred (sandbox fault injection).",
                        "param": None,
                    }
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"request-id", f"req_{uuid.uuid4().hex[:14]}".encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
