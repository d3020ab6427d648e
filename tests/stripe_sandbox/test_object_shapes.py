"""Every object the sandbox returns has exactly the keys of Stripe's own example object."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.processes import ROOT, ServerProcess
from tests.stripe_sandbox.helpers import complete, create_session, sdk

# Stripe's example objects live beside the project (../shared, read-only); STRIPE_FIXTURES
# points elsewhere. Never copied into the project.
FIXTURES = Path(
    os.environ.get("STRIPE_FIXTURES") or ROOT.parent / "shared" / "stripe" / "fixtures3.json"
)
# Nested values whose contents legitimately differ from the example (the example event wraps
# a plan; the example PI's last_payment_error is a stub with only `type`).
FREE_FORM = {"metadata", "payment_method_options", "fraud_details"}
NOT_COMPARED = {"event.data.object", "payment_intent.last_payment_error"}


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    if not FIXTURES.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Stripe's example objects not found at {FIXTURES} (set STRIPE_FIXTURES)")
        pytest.skip(f"Stripe's example objects not found at {FIXTURES}")
    resources: dict[str, Any] = json.loads(Path(FIXTURES).read_text())["resources"]
    return resources


def assert_same_keys(ours: dict[str, Any], example: dict[str, Any], path: str) -> None:
    assert set(ours) == set(example), (
        f"{path}: extra {set(ours) - set(example)}, missing {set(example) - set(ours)}"
    )
    for key, value in ours.items():
        sub = f"{path}.{key}"
        if sub in NOT_COMPARED:
            continue
        comparable = isinstance(value, dict) and isinstance(example[key], dict) and example[key]
        if comparable and (value or key not in FREE_FORM):
            assert_same_keys(value, example[key], sub)


def test_every_returned_object_has_stripes_keys(
    stripe_sandbox: ServerProcess, examples: dict[str, Any]
) -> None:
    client = sdk(stripe_sandbox)
    auth = ("sk_test_x", "")
    base = stripe_sandbox.url
    session = create_session(client, customer_email="shape@example.com")
    done = complete(stripe_sandbox, session.id)
    refund = client.v1.refunds.create(
        params={"payment_intent": done["payment_intent"], "amount": 1}
    )
    client.v1.refunds.update(refund.id, params={"metadata": {"k": "v"}})
    pi = httpx.get(f"{base}/v1/payment_intents/{done['payment_intent']}", auth=auth).json()
    objects: list[tuple[str, dict[str, Any]]] = [
        ("checkout.session", session.to_dict()),
        ("checkout.session", done),
        ("payment_intent", pi),
        ("charge", httpx.get(f"{base}/v1/charges/{pi['latest_charge']}", auth=auth).json()),
        ("refund", httpx.get(f"{base}/v1/refunds/{refund.id}", auth=auth).json()),
    ]
    events = httpx.get(f"{base}/v1/events", params={"limit": 100}, auth=auth).json()
    sessions = httpx.get(f"{base}/v1/checkout/sessions", auth=auth).json()
    for listing in (events, sessions):
        assert set(listing) == {"object", "data", "has_more", "url"}
    seen_types = set()
    for event in events["data"]:
        objects.append(("event", event))
        inner = event["data"]["object"]
        objects.append((inner["object"], inner))
        seen_types.add(event["type"])
    assert {"checkout.session.completed", "refund.created", "charge.refunded"} <= seen_types
    for kind, obj in objects:
        assert obj["object"] == kind
        assert_same_keys(obj, examples[kind], kind)


def test_failed_payment_objects_keep_stripes_keys(
    stripe_sandbox: ServerProcess, examples: dict[str, Any]
) -> None:
    auth = ("sk_test_x", "")
    failed = complete(stripe_sandbox, create_session(sdk(stripe_sandbox)).id, "async_failed")
    pi = httpx.get(
        f"{stripe_sandbox.url}/v1/payment_intents/{failed['payment_intent']}", auth=auth
    ).json()
    assert_same_keys(pi, examples["payment_intent"], "payment_intent")
    assert_same_keys(failed, examples["checkout.session"], "checkout.session")
