"""The outermost middleware: a client that hangs up mid-body is not a server error."""

from __future__ import annotations

import asyncio
import logging

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from payment_api.api.edge import EdgeMiddleware


async def hangs_up(scope: Scope, receive: Receive, send: Send) -> None:
    raise ClientDisconnect


async def crashes(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("bug")


def run(app: EdgeMiddleware) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/checkout-sessions", "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_disconnect_sends_nothing_and_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="payment_api"):
        assert run(EdgeMiddleware(hangs_up)) == []
    assert [r.levelno for r in caplog.records] == [logging.INFO]


def test_a_bug_still_answers_a_500_problem_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="payment_api"):
        sent = run(EdgeMiddleware(crashes))
    assert sent[0]["status"] == 500
    assert (b"content-type", b"application/problem+json") in sent[0]["headers"]
    assert any(name == b"x-request-id" for name, _ in sent[0]["headers"])
    assert caplog.records[-1].levelno == logging.ERROR
