"""StripeGateway (the real stripe SDK) against the sandbox: the calls reconcile relies on."""

from __future__ import annotations

from devstack.processes import ServerProcess
from payment_api.gateways.payment_gateway import StripeGateway
from tests.stripe_sandbox.helpers import complete, create_session, sdk


def test_find_refund_recognises_our_refund_by_its_id_and_get_refund_reads_it_back(
    stripe_sandbox: ServerProcess,
) -> None:
    client = sdk(stripe_sandbox)
    intent = complete(stripe_sandbox, create_session(client, amount=5000).id)["payment_intent"]
    other = complete(stripe_sandbox, create_session(client, amount=5000).id)["payment_intent"]
    gateway = StripeGateway("sk_test_x", api_base=stripe_sandbox.url, max_retries=0, timeout=5)
    made = [
        gateway.create_refund(
            payment_intent_id=intent, amount=100 + n, refund_id=f"local-{n}", idempotency_key=k
        )
        for n, k in enumerate(["k-a", "k-b", "k-c"])
    ]
    gateway.create_refund(
        payment_intent_id=other, amount=100, refund_id="local-x", idempotency_key="k-x"
    )

    found = gateway.find_refund(payment_intent_id=intent, refund_id="local-1")
    assert found == made[1]
    assert (found.amount, found.status) == (101, "succeeded")
    # Our id on another payment intent, or an id the gateway never saw: not found.
    assert gateway.find_refund(payment_intent_id=intent, refund_id="local-x") is None
    assert gateway.find_refund(payment_intent_id=intent, refund_id="never-made") is None
    assert gateway.get_refund(made[2].id) == made[2]
