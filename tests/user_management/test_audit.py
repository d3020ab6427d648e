"""The audit trail: what is recorded (domain, with fakes), and what admins read and nobody can
change (the running service and its database)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from devstack.processes import ServerProcess
from tests.fixtures.auth import Customer
from tests.user_management.fakes import FakeUnitOfWork
from user_management_service.adapters.passwords import PasswordHashing
from user_management_service.domain.audit import Actor, ActorKind, AuditAction, AuditFilter
from user_management_service.domain.errors import SelfLockoutError
from user_management_service.domain.users import Role, UserService

PASSWORD = "correct horse battery staple"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def users(uow: FakeUnitOfWork) -> UserService:
    return UserService(uow, PasswordHashing(time_cost=1, memory_cost_kib=1024))


def admin_actor() -> Actor:
    return Actor(ActorKind.USER, uuid.uuid4(), is_admin=True, address="203.0.113.7",
                 request_id="req-1")  # fmt: skip


def test_a_role_change_is_recorded_with_who_from_where_and_both_roles(
    uow: FakeUnitOfWork, users: UserService
) -> None:
    user = users.create("ada@example.com", "Ada", PASSWORD)
    actor = admin_actor()
    users.update(user.id, role=Role.ADMIN, actor=actor)
    (event,) = uow.audit.events
    assert (event.action, event.target_id, event.actor) == (
        AuditAction.ROLE_CHANGED,
        user.id,
        actor,
    )
    assert event.details == {"from": "customer", "to": "admin"}


def test_an_admin_changing_another_users_password_records_the_field_never_the_value(
    uow: FakeUnitOfWork, users: UserService
) -> None:
    user = users.create("ada@example.com", "Ada", PASSWORD)
    users.update(user.id, password="a brand new passphrase", full_name="Ada", actor=admin_actor())
    (event,) = uow.audit.events
    assert event.action is AuditAction.USER_UPDATED
    assert event.details == {"fields": "password"}  # the name did not change


def test_a_customer_changing_their_own_profile_is_not_an_audited_access_change(
    uow: FakeUnitOfWork, users: UserService
) -> None:
    user = users.create("ada@example.com", "Ada", PASSWORD)
    own = Actor(ActorKind.USER, user.id, address="198.51.100.1")
    users.update(user.id, full_name="Ada King", email="ada.king@example.com", actor=own)
    assert uow.audit.events == []
    users.deactivate(user.id, actor=own)  # leaving is an access change: recorded
    assert [e.action for e in uow.audit.events] == [AuditAction.USER_DEACTIVATED]


def test_the_operator_and_the_bootstrap_are_recorded_as_such(
    uow: FakeUnitOfWork, users: UserService
) -> None:
    users.bootstrap_admin("root@example.com", PASSWORD)
    users.create("ops@example.com", "Ops", PASSWORD)
    users.ensure_admin("ops@example.com", PASSWORD)
    kinds = [(e.action, e.actor.kind) for e in uow.audit.events]
    assert kinds == [
        (AuditAction.USER_CREATED, ActorKind.SYSTEM),
        (AuditAction.ROLE_CHANGED, ActorKind.OPERATOR),
        (AuditAction.USER_UPDATED, ActorKind.OPERATOR),
    ]


def test_a_refused_change_records_nothing(uow: FakeUnitOfWork, users: UserService) -> None:
    admin = users.create("root@example.com", "Root", PASSWORD, Role.ADMIN)
    me = Actor(ActorKind.USER, admin.id, is_admin=True)
    with pytest.raises(SelfLockoutError):
        users.update(admin.id, role=Role.CUSTOMER, actor=me)
    assert [e.action for e in uow.audit.events] == []


def test_the_listing_pages_and_filters(uow: FakeUnitOfWork, users: UserService) -> None:
    from user_management_service.domain.audit import AuditTrail

    actor = admin_actor()
    a = users.create("a@example.com", "A", PASSWORD, actor=actor)
    b = users.create("b@example.com", "B", PASSWORD, actor=actor)
    users.deactivate(a.id, actor=actor)
    trail = AuditTrail(uow)
    first = trail.list(2, None, AuditFilter())
    assert [e.target_id for e in first.items] == [a.id, b.id]
    rest = trail.list(2, first.next_cursor, AuditFilter())
    assert [(e.action, e.target_id) for e in rest.items] == [(AuditAction.USER_DEACTIVATED, a.id)]
    assert rest.next_cursor is None
    only_a = trail.list(10, None, AuditFilter(target_id=a.id))
    assert len(only_a.items) == 2


def test_admins_read_the_trail_of_an_api_role_change_with_its_request_id_and_address(
    user_service: ServerProcess, admin_token: str, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    admin = {"Authorization": f"Bearer {admin_token}"}
    request_id = f"audit-{uuid.uuid4().hex}"
    changed = httpx.patch(
        f"{user_service.url}/users/{customer.id}",
        json={"role": "admin"},
        headers={**admin, "X-Request-ID": request_id},
    )
    assert changed.status_code == 200
    page = httpx.get(
        f"{user_service.url}/audit/access-events",
        params={"target_id": customer.id, "action": "user.role_changed"},
        headers=admin,
    )
    assert page.status_code == 200
    (event,) = page.json()["data"]
    assert event["actor"]["request_id"] == request_id
    assert event["actor"]["address"] == "127.0.0.1"
    assert event["actor"]["kind"] == "user"
    assert event["details"] == {"from": "customer", "to": "admin"}


def test_customers_may_not_read_the_trail(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    answer = httpx.get(f"{user_service.url}/audit/access-events", headers=make_customer().headers)
    assert answer.status_code == 403


@pytest.mark.parametrize("statement", [
    "UPDATE ums_audit_events SET action = 'user.created'",
    "DELETE FROM ums_audit_events",
])  # fmt: skip
def test_the_database_refuses_to_change_or_delete_an_audit_event(
    user_service: ServerProcess, user_service_database_url: str, admin_token: str,
    make_customer: Callable[..., Customer], statement: str,
) -> None:  # fmt: skip
    customer = make_customer()
    httpx.delete(
        f"{user_service.url}/users/{customer.id}",
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    engine = create_engine(user_service_database_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as db:
            db.execute(text(statement))
        with engine.connect() as db:
            assert db.execute(text("SELECT count(*) FROM ums_audit_events")).scalar_one() >= 1
    finally:
        engine.dispose()
