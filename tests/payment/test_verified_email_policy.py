"""CHECKOUT_REQUIRES_VERIFIED_EMAIL: the token's `email_verified` claim, read by the verifier,
decides whether a customer may pay (api/deps.verified_payer)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from payment_api.api.deps import verified_payer
from payment_api.auth import Principal
from payment_api.domain.errors import ForbiddenError
from tests.payment.test_token_verification import verifier
from tests.payment.tokens import FakeJwks, SigningKey


def container(required: bool) -> Any:
    return SimpleNamespace(settings=SimpleNamespace(checkout_requires_verified_email=required))


def principal(role: str, verified: bool) -> Principal:
    return Principal(subject="u1", role=role, bearer_token="t", email_verified=verified)  # type: ignore[arg-type]


@pytest.mark.parametrize(("claim", "verified"), [(True, True), (False, False), (None, False),
                                                 ("true", False)])  # fmt: skip
def test_only_a_true_email_verified_claim_counts_as_verified(claim: Any, verified: bool) -> None:
    key = SigningKey()
    token = key.token(email_verified=claim)
    assert asyncio.run(verifier(FakeJwks(key)).verify(token)).email_verified is verified


def test_with_the_policy_an_unverified_customer_may_not_pay() -> None:
    with pytest.raises(ForbiddenError, match="verify your email"):
        verified_payer(container(True), principal("customer", False))


def test_with_the_policy_verified_customers_and_admins_pay() -> None:
    for caller in (principal("customer", True), principal("admin", False)):
        assert verified_payer(container(True), caller) is caller


def test_without_the_policy_an_unverified_customer_pays() -> None:
    caller = principal("customer", False)
    assert verified_payer(container(False), caller) is caller
