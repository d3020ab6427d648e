"""SIGKILL of the payment service in the middle of a refund burst loses and doubles nothing."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.services import SANDBOX_API_KEY
from tests.reliability.conftest import (
    DEAD_URL,
    Stack,
    custom_body,
    post_until_created,
    retry_stats,
    running_stack,
)

pytestmark = pytest.mark.reliability

PAYMENTS = 60
AMOUNT = 1000
REFUND_AMOUNTS = (400, 300)  # two partial refunds per payment, each with its own key
CLIENTS = 16
KILL_AFTER = 40  # answered refunds before the SIGKILL
RETRY_DEADLINE_SECONDS = 150
GATEWAY_DELAY_SECONDS = 0.2  # sandbox 'hang' before it makes the refund
ANSWER_HOLD_SECONDS = 0.3  # the proxy holds the sandbox's answer: made there, not yet recorded


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the SIGKILLed caller reset is expected here, not worth a traceback."""


class AnswerHoldingProxy:
    """Between the payment service and the sandbox; holds answers to POST /v1/refunds.

    A SIGKILL during the hold leaves refunds the sandbox HAS made while the dead process never
    recorded them: the window where a takeover without the same gateway key would refund twice.
    The proxy outlives the payment service, so every refund it forwarded is made at the sandbox.
    """

    def __init__(self, hold: float) -> None:
        self.upstream = ""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                skip = {"host", "content-length", "connection", "accept-encoding"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                answer = httpx.request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body
                )
                if self.command == "POST" and self.path.startswith("/v1/refunds"):
                    time.sleep(hold)
                try:
                    self.send_response(answer.status_code)
                    for name, value in answer.headers.items():
                        if name.lower() not in skip | {"transfer-encoding", "content-encoding"}:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except OSError:  # the caller died meanwhile: its answer is lost
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = forward  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy() -> Iterator[AnswerHoldingProxy]:
    started = AnswerHoldingProxy(ANSWER_HOLD_SECONDS)
    yield started
    started.close()


def succeeded_payments(stack: Stack, headers: dict[str, str]) -> list[str]:
    """PAYMENTS checkouts paid at the sandbox and recorded as succeeded through its webhooks."""
    ids: list[str] = []
    with httpx.Client(base_url=stack.url, timeout=30, headers=headers) as client:
        for _ in range(PAYMENTS):
            response = client.post("/checkout-sessions", json=custom_body(AMOUNT))
            assert response.status_code == 201, response.text
            body = response.json()
            ids.append(body["payment_id"])
            stack.sandbox_call(
                "POST",
                f"/_sandbox/checkout/sessions/{body['session_id']}/complete",
                json={"outcome": "paid"},
            )
    deadline = time.monotonic() + 60
    query = "SELECT count(*) FROM pay_payments WHERE status = 'succeeded'"
    while stack.sql(query)[0][0] < PAYMENTS:
        assert time.monotonic() < deadline, "the checkout.session.completed webhooks never landed"
        time.sleep(0.2)
    # From here on no webhooks: every refund is recorded by its own request or its takeover.
    stack.webhooks_to([DEAD_URL])
    return ids


def sandbox_refunds(stack: Stack) -> list[dict[str, Any]]:
    """Every refund the sandbox made, from its refund.created events."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"type": "refund.created", "limit": 100}
    while True:
        page = httpx.get(
            stack.sandbox.url + "/v1/events", params=params, auth=(SANDBOX_API_KEY, ""), timeout=30
        )
        page.raise_for_status()
        body = page.json()
        found.extend(event["data"]["object"] for event in body["data"])
        if not body["has_more"]:
            return found
        params["starting_after"] = body["data"][-1]["id"]


def test_sigkill_mid_refund_burst_then_retries_with_the_same_keys_make_one_refund_per_key(
    db_url: str,
    users_url: str,
    auth_headers: dict[str, str],
    logs_dir: Path,
    proxy: AnswerHoldingProxy,
) -> None:
    with running_stack(
        name="refund-crash",
        database_url=db_url,
        users_url=users_url,
        headers=auth_headers,
        logs_dir=logs_dir,
        env={"STRIPE_API_BASE": proxy.url},
    ) as stack:
        proxy.upstream = stack.sandbox.url
        payment_ids = succeeded_payments(stack, auth_headers)
        # A slow gateway keeps refunds between their first commit (refund pending + key in
        # progress) and their last (gateway refund recorded) at the SIGKILL.
        stack.slow_gateway("/v1/refunds", GATEWAY_DELAY_SECONDS)
        stamp = time.time_ns()
        jobs = [
            (f"refund-crash-{p:03d}-{n}-{stamp}", payment_id, amount)
            for n, amount in enumerate(REFUND_AMOUNTS)
            for p, payment_id in enumerate(payment_ids)
        ]
        answers: dict[str, dict[str, Any]] = {}  # key -> refund
        lock = threading.Lock()
        answered = threading.Event()
        stats = retry_stats()
        deadline = time.monotonic() + RETRY_DEADLINE_SECONDS

        def refund(key: str, payment_id: str, amount: int) -> None:
            with httpx.Client(base_url=stack.url, timeout=10, headers=auth_headers) as client:
                response = post_until_created(
                    client, f"/payments/{payment_id}/refunds", {"amount": amount}, key,
                    deadline=deadline, stats=stats, lock=lock,
                )  # fmt: skip
            if response is None:
                return
            with lock:
                answers[key] = response.json()
                if len(answers) >= KILL_AFTER:
                    answered.set()

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(refund, *job) for job in jobs]
            assert answered.wait(120), "the burst never reached the kill point"
            killed_at = time.monotonic()
            stack.payment.kill()
            answered_before_kill = len(answers)
            # What the dead process left between its two commits: keys in progress.
            stuck = stack.sql("SELECT count(*) FROM pay_idempotency_keys WHERE status_code IS NULL")
            stuck_at_kill = int(stuck[0][0])
            # Refunds the sandbox made (their hung requests finish without a caller) that the
            # dead process never recorded: the resumed requests must replay, not redo, these.
            time.sleep(GATEWAY_DELAY_SECONDS + ANSWER_HOLD_SECONDS + 1)
            recorded = stack.sql(
                "SELECT count(*) FROM pay_refunds WHERE gateway_refund_id IS NOT NULL"
            )
            unrecorded_at_kill = len(sandbox_refunds(stack)) - int(recorded[0][0])
            stack.payment.start()
            restart_seconds = time.monotonic() - killed_at
            for future in futures:
                future.result()
        burst_seconds = time.monotonic() - started
        stack.sandbox_call("DELETE", "/_sandbox/faults")

        assert stuck_at_kill > 0, "the SIGKILL hit no refund mid-way"
        assert unrecorded_at_kill > 0, "no refund made at the gateway was left unrecorded"
        # (409s while in progress show only when the restart is quicker than the timeout.)
        keys = [job[0] for job in jobs]
        missing = [k for k in keys if k not in answers]
        assert not missing, f"{len(missing)} keys never answered 201, e.g. {missing[:3]}"
        refund_ids = {answer["id"] for answer in answers.values()}
        assert len(refund_ids) == len(jobs)
        assert all(answer["status"] == "succeeded" for answer in answers.values())

        open_keys = stack.sql("SELECT count(*) FROM pay_idempotency_keys WHERE status_code IS NULL")
        assert open_keys[0][0] == 0
        local = stack.sql("SELECT id, gateway_refund_id, status, counted FROM pay_refunds")
        assert len(local) == len(jobs), f"{len(local)} local refunds for {len(jobs)} keys"
        assert {row[0] for row in local} == refund_ids
        assert all(row[2] == "succeeded" and row[3] for row in local), "a refund not settled"

        made = sandbox_refunds(stack)
        assert len(made) == len(jobs), f"{len(made)} sandbox refunds for {len(jobs)} keys"
        assert {r["metadata"]["refund_id"] for r in made} == refund_ids
        assert {r["id"] for r in made} == {row[1] for row in local}

        # Refunded amounts agree: per payment locally, per charge at the sandbox.
        expected = sum(REFUND_AMOUNTS)
        payments = stack.sql("SELECT status, refunded_amount FROM pay_payments")
        assert Counter(tuple(row) for row in payments) == Counter(
            {("partially_refunded", expected): PAYMENTS}
        )
        per_charge = Counter[str]()
        for r in made:
            per_charge[r["charge"]] += int(r["amount"])
        assert sorted(per_charge.values()) == [expected] * PAYMENTS
        for charge_id in per_charge:
            charge = httpx.get(
                f"{stack.sandbox.url}/v1/charges/{charge_id}",
                auth=(SANDBOX_API_KEY, ""),
                timeout=30,
            ).json()
            assert charge["amount_refunded"] == expected, charge_id

        print(
            f"\nRELIABILITY refund crash: {len(jobs)} refunds on {PAYMENTS} payments, {CLIENTS} "
            f"clients, gateway delay {GATEWAY_DELAY_SECONDS:g}s + answer held "
            f"{ANSWER_HOLD_SECONDS:g}s, SIGKILL after "
            f"{answered_before_kill} answers with {stuck_at_kill} keys in progress, "
            f"{unrecorded_at_kill} of them refunded at the gateway but unrecorded; restart "
            f"{restart_seconds:.1f}s; unanswered requests {stats['unanswered']}, retries "
            f"{stats['retries']}, 409 in progress {stats['in_progress_409']}, 5xx "
            f"{stats['status_5xx']}; burst {burst_seconds:.1f}s; local refunds {len(local)} = "
            f"keys {len(jobs)} = sandbox refunds {len(made)}; refunded {expected} on each of "
            f"{PAYMENTS} payments and charges"
        )
