"""The one ASGI middleware around every request: its id, the body limit, the access line and
metrics, and a problem+json 500 for a bug.

One middleware, not three: each layer of ASGI wrapping costs a call, a `send` closure and a
header scan per request, and the service's own stack is measured against bare FastAPI
(bench/RESULTS.md). What each part does:

- **Request id.** A sane incoming X-Request-ID is echoed, otherwise one is made. It is bound
  for the request's logs and outgoing calls, and every answer carries it, with
  `X-Content-Type-Options: nosniff` (no browser guesses that a JSON error body is HTML).
- **Body limit.** A Content-Length above the limit is refused with 413 at once. A chunked body
  is buffered only up to the limit and refused as soon as it goes past it.
- **Access line and metrics.** One line and the request metrics per answer, labelled by
  operationId.
- **A bug** still answers problem+json and keeps the connection usable (Starlette's
  ServerErrorMiddleware re-raises, which resets keep-alive connections). A client that hangs
  up mid-body is not our bug: nobody is left to answer.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payment_api.observability import METRICS, access_log, operation_of
from service_kit.logs import REQUEST_ID
from service_kit.problems import PROBLEM_JSON, problem_body

log = logging.getLogger("payment_api")
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Stripe events and every API body are far smaller; the user service uses 64 KiB.
MAX_BODY_BYTES = 256 * 1024


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        own_headers = [
            (b"x-request-id", request_id.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), *own_headers]
            await send(message)

        try:
            await self._within_limit(scope, headers, receive, send_with_id)
        except ClientDisconnect:
            log.info("client disconnected on %s %s", scope.get("method"), scope.get("path"))
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if status:
                raise
            detail = "unexpected error; it has been logged"
            problem = problem_body(
                500, detail=detail, instance=scope.get("path", ""), request_id=request_id
            )
            await _answer(send_with_id, 500, problem)
        finally:
            elapsed = time.perf_counter() - started
            operation = operation_of(scope)
            method = str(scope.get("method", ""))
            METRICS.observe(operation, method, status or 500, elapsed)
            access_log.record(
                method=method,
                path=scope.get("path", ""),
                operation=operation,
                status=status or 500,
                seconds=elapsed,
            )
            REQUEST_ID.reset(token)

    async def _within_limit(
        self, scope: Scope, headers: dict[bytes, bytes], receive: Receive, send: Send
    ) -> None:
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, send)
                return
            await self.app(scope, receive, send)  # the server holds the body to that length
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await self._too_large(scope, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = f"The request body is larger than the limit of {self.max_body_bytes} bytes."
        problem = problem_body(
            413,
            detail=detail,
            instance=scope.get("path", ""),
            request_id=scope["state"]["request_id"],
        )
        await _answer(send, 413, problem, close=True)


async def _answer(
    send: Send, status: int, problem: dict[str, object], *, close: bool = False
) -> None:
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
