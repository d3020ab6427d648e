"""The payment state machine, checked over every (status, event) pair."""

from __future__ import annotations

import itertools

import pytest

from payment_api.domain.states import (
    OPEN,
    REFUNDABLE,
    TERMINAL,
    TRANSITIONS,
    PaymentEvent,
    PaymentStatus,
    next_status,
)

S, E = PaymentStatus, PaymentEvent

# The expected table, written independently of the implementation's dict.
EXPECTED = {
    (S.PENDING, E.SESSION_COMPLETED_PAID): S.SUCCEEDED,
    (S.PENDING, E.SESSION_COMPLETED_UNPAID): S.PROCESSING,
    (S.PENDING, E.ASYNC_PAYMENT_SUCCEEDED): S.SUCCEEDED,
    (S.PENDING, E.ASYNC_PAYMENT_FAILED): S.FAILED,
    (S.PENDING, E.SESSION_EXPIRED): S.EXPIRED,
    (S.PENDING, E.GATEWAY_REJECTED): S.FAILED,
    (S.PENDING, E.CANCELED): S.CANCELED,
    (S.PROCESSING, E.SESSION_COMPLETED_PAID): S.SUCCEEDED,
    (S.PROCESSING, E.ASYNC_PAYMENT_SUCCEEDED): S.SUCCEEDED,
    (S.PROCESSING, E.ASYNC_PAYMENT_FAILED): S.FAILED,
    (S.SUCCEEDED, E.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (S.SUCCEEDED, E.FULLY_REFUNDED): S.REFUNDED,
    (S.PARTIALLY_REFUNDED, E.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, E.FULLY_REFUNDED): S.REFUNDED,
}

ALL_PAIRS = list(itertools.product(PaymentStatus, PaymentEvent))
RANK = {  # how far along a payment is; nothing may lower it
    S.PENDING: 0,
    S.PROCESSING: 1,
    S.SUCCEEDED: 2,
    S.FAILED: 2,
    S.EXPIRED: 2,
    S.CANCELED: 2,
    S.PARTIALLY_REFUNDED: 3,
    S.REFUNDED: 4,
}


def test_the_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_pair_either_moves_as_the_table_says_or_is_ignored(
    status: PaymentStatus, event: PaymentEvent
) -> None:
    assert next_status(status, event) == EXPECTED.get((status, event))


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=lambda v: str(v))
def test_no_event_ever_moves_a_payment_backwards(
    status: PaymentStatus, event: PaymentEvent
) -> None:
    target = next_status(status, event)
    if target is not None:
        assert RANK[target] >= RANK[status]


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_states_accept_no_event(status: PaymentStatus) -> None:
    assert all(next_status(status, e) is None for e in PaymentEvent)


def test_late_expiry_after_success_is_ignored() -> None:
    assert next_status(S.SUCCEEDED, E.SESSION_EXPIRED) is None
    assert next_status(S.REFUNDED, E.SESSION_COMPLETED_PAID) is None
    assert next_status(S.SUCCEEDED, E.ASYNC_PAYMENT_FAILED) is None


def test_open_and_refundable_sets() -> None:
    assert {S.PENDING, S.PROCESSING} == OPEN
    assert {S.SUCCEEDED, S.PARTIALLY_REFUNDED} == REFUNDABLE
    assert not (OPEN & TERMINAL)
