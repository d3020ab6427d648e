"""`Idempotency.run` with a create that is neither a checkout nor a refund, as the next
creating calls will be: replay, another body, a refusal, a lost answer, a refused completion.

The resource is a product (any table would do), the outside call a fake that records what it
was asked; real SQLite unit of work.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from payment_api.container import Container
from payment_api.domain.errors import ConflictError, DependencyError, IdempotencyConflictError
from payment_api.domain.idempotency import Answer, Creation, Done, Idempotency
from payment_api.domain.model import NewProduct, new_id, utcnow
from payment_api.domain.ports import GatewayError, UnitOfWork
from tests.payment.fakes import FakeGateway, unit_container

TIMEOUT = timedelta(seconds=60)


class Register(Creation[str, str, str]):
    """Creates a product, then tells the outside world about it."""

    def __init__(self, calls: list[str], failure: GatewayError | None = None) -> None:
        super().__init__("register:tester")
        self.calls, self.failure, self.refuse_completion = calls, failure, False

    def replay(self, uow: UnitOfWork, answer: Answer) -> str:
        return str(answer["product_id"])

    def create(self, uow: UnitOfWork) -> tuple[str, str]:
        product = uow.products.add(
            NewProduct(new_id(), "endpoint", None, 1, "USD", active=False, created_at=utcnow())
        )
        return product.id, product.id

    def resume(self, uow: UnitOfWork, resource_id: str) -> str | Done[str] | None:
        return resource_id if uow.products.get(resource_id) is not None else None

    def call(self, pending: str) -> str:
        self.calls.append(pending)
        if self.failure:
            raise self.failure
        return "registered"

    def failed(self, uow: UnitOfWork, pending: str, error: GatewayError) -> None:
        product = uow.products.get(pending)
        assert product is not None
        product.name = f"refused: {error.kind}"

    def complete(self, uow: UnitOfWork, pending: str, outcome: str) -> Done[str]:
        product = uow.products.get(pending)
        assert product is not None
        product.active = True
        if self.refuse_completion:
            raise ConflictError("closed meanwhile")
        return Done(pending, {"product_id": pending})


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return unit_container(tmp_path, FakeGateway())


@pytest.fixture
def idempotency(container: Container) -> Idempotency:
    return Idempotency(container.uow, retention=timedelta(hours=48), in_progress_timeout=TIMEOUT)


def product(container: Container, product_id: str) -> tuple[str, bool]:
    with container.uow() as uow:
        found = uow.products.get(product_id)
        assert found is not None
        return found.name, found.active


def key_row(container: Container, key: str) -> tuple[int | None, object] | None:
    with container.uow() as uow:
        row = uow.idempotency.get("register:tester", key)
        return None if row is None else (row.status_code, row.response)


def test_the_same_key_and_body_replay_the_first_answer_without_a_second_call(
    container: Container, idempotency: Idempotency
) -> None:
    calls: list[str] = []
    first = idempotency.run(Register(calls), key="k1", digest="a")
    assert idempotency.run(Register(calls), key="k1", digest="a") == first
    assert calls == [first]
    assert product(container, first) == ("endpoint", True)
    assert key_row(container, "k1") == (201, {"product_id": first})
    with pytest.raises(IdempotencyConflictError, match="different request body"):
        idempotency.run(Register(calls), key="k1", digest="b")
    assert idempotency.run(Register(calls), key=None, digest="a") != first  # no key: new


def test_a_refusal_is_recorded_and_frees_the_key(
    container: Container, idempotency: Idempotency
) -> None:
    calls: list[str] = []
    with pytest.raises(DependencyError) as info:
        idempotency.run(Register(calls, GatewayError("rejected", "no")), key="k2", digest="a")
    assert info.value.status == 502
    assert product(container, calls[0]) == ("refused: rejected", False)
    assert key_row(container, "k2") is None
    again = idempotency.run(Register(calls), key="k2", digest="a")  # a new attempt
    assert again != calls[0]


def test_a_lost_answer_keeps_the_key_in_progress_until_a_retry_resumes_the_resource(
    container: Container, idempotency: Idempotency
) -> None:
    calls: list[str] = []
    timeout = GatewayError("timeout", "timed out")
    with pytest.raises(DependencyError) as info:
        idempotency.run(Register(calls, timeout), key="k3", digest="a")
    assert info.value.status == 504
    assert key_row(container, "k3") == (None, {"resource_id": calls[0]})
    with pytest.raises(IdempotencyConflictError, match="still in progress"):
        idempotency.run(Register(calls), key="k3", digest="a")
    with container.uow() as uow:
        row = uow.idempotency.get("register:tester", "k3")
        assert row is not None
        row.created_at = utcnow() - TIMEOUT * 2
        uow.commit()
    resumed = idempotency.run(Register(calls), key="k3", digest="a")
    assert calls == [resumed, resumed]  # the same resource, asked again
    assert key_row(container, "k3") == (201, {"product_id": resumed})


def test_a_completion_the_domain_refuses_is_rolled_back_and_frees_the_key(
    container: Container, idempotency: Idempotency
) -> None:
    calls: list[str] = []
    steps = Register(calls)
    steps.refuse_completion = True
    with pytest.raises(ConflictError, match="closed meanwhile"):
        idempotency.run(steps, key="k4", digest="a")
    assert product(container, calls[0]) == ("endpoint", False)  # complete's change undone
    assert key_row(container, "k4") is None
