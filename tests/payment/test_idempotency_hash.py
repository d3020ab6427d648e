"""Idempotency: the request hash is canonical (key order, whitespace) but sensitive to values."""

from __future__ import annotations

from payment_api.domain.idempotency import request_hash


def test_key_order_does_not_change_the_hash() -> None:
    a = {"line_items": [{"product_id": "p", "quantity": 1}], "user_id": "u"}
    b = {"user_id": "u", "line_items": [{"quantity": 1, "product_id": "p"}]}
    assert request_hash(a) == request_hash(b)


def test_any_value_change_changes_the_hash() -> None:
    base = {"custom_amount": {"amount": 100, "currency": "USD"}}
    assert request_hash(base) != request_hash({"custom_amount": {"amount": 101, "currency": "USD"}})
    assert request_hash(base) != request_hash(
        {"custom_amount": {"amount": "100", "currency": "USD"}}
    )
    assert request_hash({"a": [1, 2]}) != request_hash({"a": [2, 1]})


def test_hash_is_a_sha256_hex_digest() -> None:
    digest = request_hash({})
    assert len(digest) == 64
    assert int(digest, 16) >= 0
