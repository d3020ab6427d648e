"""The webhook endpoint fuzzed with hypothesis: only validly signed, fresh events are stored.

Seeds are real events of the sandbox (a paid, an expired and a refunded checkout); hypothesis
mutates them or makes bodies up, and signs each body one of several ways (valid, wrong secret,
stale timestamp, tampered after signing, missing, malformed, unknown scheme, several v1 with
one good). Every answer must be 200 or a 4xx problem, a 200 only for a valid fresh signature,
and afterwards the inbox holds exactly the events that were answered 200.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.services import SANDBOX_API_KEY
from tests.payment.helpers import sign
from tests.reliability.conftest import Stack, custom_body, is_problem, running_stack

pytestmark = pytest.mark.reliability

FUZZ_EXAMPLES = 1000
TOLERANCE_SECONDS = 300  # STRIPE_WEBHOOK_TOLERANCE_SECONDS default
VALID_MODES = ("valid", "several_v1")
SIGN_MODES = (
    *VALID_MODES,
    "wrong_secret",
    "stale",
    "tampered",
    "missing",
    "garbage",
    "v0_only",
    "empty_v1",
)


@pytest.fixture(scope="module")
def fuzz_stack(
    tmp_path_factory: pytest.TempPathFactory,
    test_database_base_url: str | None,
    users_url: str,
    auth_headers: dict[str, str],
    logs_dir: Path,
) -> Iterator[Stack]:
    from devstack.databases import fresh_database

    tmp = tmp_path_factory.mktemp("fuzz")
    with (
        fresh_database(test_database_base_url, tmp, "rel_fuzz") as url,
        running_stack(
            name="fuzz",
            database_url=url,
            users_url=users_url,
            headers=auth_headers,
            logs_dir=logs_dir,
            webhooks=False,  # only what the fuzzer sends reaches the endpoint
        ) as stack,
    ):
        yield stack


@pytest.fixture(scope="module")
def seeds(fuzz_stack: Stack, auth_headers: dict[str, str]) -> list[bytes]:
    """Real sandbox events as raw bytes (completed, expired; of several checkouts)."""
    with httpx.Client(base_url=fuzz_stack.url, headers=auth_headers, timeout=30) as api:
        for n, outcome in enumerate(("paid", "async_pending", "expire")):
            session = api.post("/checkout-sessions", json=custom_body(700 + n)).json()
            path = f"/_sandbox/checkout/sessions/{session['session_id']}"
            if outcome == "expire":
                fuzz_stack.sandbox_call("POST", path + "/expire")
            else:
                fuzz_stack.sandbox_call("POST", path + "/complete", json={"outcome": outcome})
    events = httpx.get(
        fuzz_stack.sandbox.url + "/v1/events",
        params={"limit": 100},
        auth=(SANDBOX_API_KEY, ""),
        timeout=10,
    ).json()["data"]
    assert events
    return [json.dumps(e).encode() for e in events]


def mutate(data: Any, payload: bytes) -> bytes:
    kind = data.draw(st.sampled_from(["none", "flip", "truncate", "insert", "json_edit"]))
    if kind == "none" or not payload:
        return payload
    index = data.draw(st.integers(0, len(payload) - 1))
    if kind == "flip":
        return payload[:index] + bytes([payload[index] ^ 0xFF]) + payload[index + 1 :]
    if kind == "truncate":
        return payload[:index]
    if kind == "insert":
        extra: bytes = data.draw(st.binary(min_size=1, max_size=20))
        return payload[:index] + extra + payload[index:]
    event = json.loads(payload)
    field = data.draw(st.sampled_from(["id", "type", "data", "created", "object"]))
    event[field] = data.draw(
        st.one_of(
            st.none(), st.integers(), st.text(max_size=30), st.lists(st.integers(), max_size=3)
        )
    )
    return json.dumps(event).encode()


def test_only_validly_signed_fresh_events_are_stored(fuzz_stack: Stack, seeds: list[bytes]) -> None:
    stored_before = {row[0] for row in fuzz_stack.sql("SELECT id FROM pay_webhook_events")}
    accepted: set[str] = set()
    tally: dict[str, int] = {}
    client = httpx.Client(timeout=30)
    url = fuzz_stack.url + "/webhooks/stripe"

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run (CI)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        source = data.draw(st.sampled_from(["seed", "seed", "random_json", "random_bytes"]))
        if source == "seed":
            payload = mutate(data, data.draw(st.sampled_from(seeds)))
        elif source == "random_json":
            value = data.draw(
                st.recursive(
                    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: (
                        st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
                    ),
                    max_leaves=12,
                )
            )
            if data.draw(st.booleans()):
                value = {"id": data.draw(st.text(max_size=40)), "type": "x.y", "data": value}
            payload = json.dumps(value).encode()
        else:
            payload = data.draw(st.binary(max_size=2000))
        mode = data.draw(st.sampled_from(SIGN_MODES))
        now = int(time.time())
        headers: dict[str, str] = {"content-type": "application/json"}
        body = payload
        if mode == "valid":
            headers["Stripe-Signature"] = sign(payload)
        elif mode == "several_v1":
            good = sign(payload).split(",")[1]
            headers["Stripe-Signature"] = f"t={now},v1={'0' * 64},{good}"
        elif mode == "wrong_secret":
            headers["Stripe-Signature"] = sign(payload, "whsec_not_the_secret")
        elif mode == "stale":
            headers["Stripe-Signature"] = sign(payload, at=now - TOLERANCE_SECONDS - 60)
        elif mode == "tampered":
            headers["Stripe-Signature"] = sign(payload)
            body = payload + b" "
            if data.draw(st.booleans()) and payload:
                body = payload[:-1] + bytes([payload[-1] ^ 1])
        elif mode == "garbage":
            printable = st.characters(min_codepoint=32, max_codepoint=126)
            # HTTP clients refuse surrounding whitespace in a header value: strip it.
            garbage: str = data.draw(st.text(alphabet=printable, max_size=200)).strip()
            if garbage:
                headers["Stripe-Signature"] = garbage
        elif mode == "v0_only":
            headers["Stripe-Signature"] = sign(payload).replace("v1=", "v0=")
        elif mode == "empty_v1":
            headers["Stripe-Signature"] = f"t={now},v1="
        response = client.post(url, content=body, headers=headers)
        tally[f"{mode}:{response.status_code}"] = tally.get(f"{mode}:{response.status_code}", 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            assert mode in VALID_MODES, (mode, body[:200])
            accepted.add(response.json()["event_id"])
        else:
            assert 400 <= response.status_code < 500
            assert is_problem(response)
            if mode not in VALID_MODES:
                assert response.status_code == 400

    started = time.monotonic()
    try:
        fuzz()
    finally:
        client.close()
    took = time.monotonic() - started
    stored = {row[0] for row in fuzz_stack.sql("SELECT id FROM pay_webhook_events")}
    assert stored - stored_before == accepted - stored_before
    assert stored_before <= stored
    print(
        f"\nRELIABILITY webhook fuzz: {FUZZ_EXAMPLES} examples in {took:.1f}s, "
        f"{len(accepted)} distinct events stored (all validly signed, fresh); "
        f"answers {dict(sorted(tally.items()))}"
    )
