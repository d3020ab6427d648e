"""Unit tests of the web's machine-token holder (web/machine.py) with a fake token endpoint
and a fake clock: cached per process, renewed shortly before `expires_in`, fetched again once
after a 401, the user service down is the 503 page's exception."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import httpx
import pytest

from web.api import ServiceUnavailable
from web.machine import (
    GUEST_SCOPES,
    MachineCredential,
    MachineCredentialRefused,
    MachineToken,
    client_credentials_fetch,
)
from web.settings import Settings


@dataclass
class FakeTokenEndpoint:
    lifetime: float = 900  # the user service's 15 minutes
    issued: list[str] = field(default_factory=list)

    def __call__(self) -> MachineToken:
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        return MachineToken(token, self.lifetime)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_token_is_fetched_once_and_reused_until_shortly_before_it_expires() -> None:
    endpoint, clock = FakeTokenEndpoint(), Clock()
    holder = MachineCredential(endpoint, margin_seconds=60, clock=clock)
    assert holder.token() == "token-1"
    clock.now += 900 - 61  # 61 s left: still good
    assert holder.token() == "token-1"
    assert endpoint.issued == ["token-1"]
    clock.now += 1  # 60 s left: renewed before it expires
    assert holder.token() == "token-2"
    assert holder.token() == "token-2"
    assert endpoint.issued == ["token-1", "token-2"]


def test_a_short_lived_token_is_renewed_half_way_rather_than_never_cached() -> None:
    endpoint, clock = FakeTokenEndpoint(lifetime=30), Clock()
    holder = MachineCredential(endpoint, margin_seconds=60, clock=clock)
    assert holder.token() == "token-1"
    clock.now += 14
    assert holder.token() == "token-1"
    clock.now += 1
    assert holder.token() == "token-2"


def test_a_401_fetches_a_new_token_once_and_a_second_stale_renewal_reuses_it() -> None:
    endpoint, clock = FakeTokenEndpoint(), Clock()
    holder = MachineCredential(endpoint, clock=clock)
    stale = holder.token()
    assert holder.renew(stale) == "token-2"
    # another request that had the same stale token: it gets the fresh one, no third fetch
    assert holder.renew(stale) == "token-2"
    assert holder.token() == "token-2"
    assert endpoint.issued == ["token-1", "token-2"]


def test_concurrent_requests_share_one_fetch() -> None:
    endpoint = FakeTokenEndpoint()
    holder = MachineCredential(endpoint)
    start = threading.Barrier(8)
    seen: list[str] = []

    def use() -> None:
        start.wait()
        seen.append(holder.token())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["token-1"] * 8
    assert endpoint.issued == ["token-1"]


def test_a_failed_fetch_caches_nothing_and_the_next_request_tries_again() -> None:
    calls: list[int] = []

    def flaky() -> MachineToken:
        calls.append(1)
        if len(calls) == 1:
            raise ServiceUnavailable("users", "ConnectError")
        return MachineToken("token-ok", 900)

    holder = MachineCredential(flaky)
    with pytest.raises(ServiceUnavailable):
        holder.token()
    assert holder.token() == "token-ok"


SETTINGS = Settings(
    user_service_url="http://users.test",
    allow_guest_checkout=True,
    api_client_id="cli_web",
    api_client_secret="cs_secret",
)


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.HTTPTransport:
    """The generated client's transport, answering with `handler` (the web's pool type)."""
    return cast(httpx.HTTPTransport, httpx.MockTransport(handler))


def test_the_token_request_is_the_client_credentials_grant_with_the_guest_scopes() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "access_token": "machine-1",
                "token_type": "Bearer",
                "expires_in": 900,
                "scope": " ".join(GUEST_SCOPES),
            },
        )

    fetched = client_credentials_fetch(SETTINGS, mock(answer))()
    assert fetched == MachineToken("machine-1", 900.0)
    (request,) = seen
    assert request.url == "http://users.test/auth/token"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "cli_web",
        "client_secret": "cs_secret",
        "scope": "checkout:write payments:read payments:write auth:proxy",
    }


def test_a_user_service_that_is_down_is_service_unavailable() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ServiceUnavailable) as down:
        client_credentials_fetch(SETTINGS, mock(refused))()
    assert down.value.service == "users"
    assert not isinstance(down.value, MachineCredentialRefused)


def test_a_refused_client_is_reported_as_refused_not_as_a_token() -> None:
    def unauthorized(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401,
            json={"type": "about:blank", "title": "Unauthorized", "status": 401,
                  "detail": "invalid client"},
        )  # fmt: skip

    with pytest.raises(MachineCredentialRefused, match="invalid client"):
        client_credentials_fetch(SETTINGS, mock(unauthorized))()
