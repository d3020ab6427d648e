"""Unit tests of the domain layer with in-memory fakes (no framework, no database)."""

from __future__ import annotations

import uuid

import pytest

from tests.user_management.fakes import FakeUnitOfWork
from user_management_service.adapters.passwords import PasswordHashing
from user_management_service.domain.errors import (
    EmailTakenError,
    InvalidCursorError,
    UserDeactivatedError,
    UserNotFoundError,
)
from user_management_service.domain.pagination import decode_cursor
from user_management_service.domain.users import Status, UserService, normalise_email


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def service(uow: FakeUnitOfWork) -> UserService:
    return UserService(uow, PasswordHashing(time_cost=1, memory_cost_kib=1024))


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


def test_create_stores_an_argon2id_hash_never_the_password(service: UserService) -> None:
    user = service.create("Ada@Example.com", "Ada", "correct horse")
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert service.passwords.verify(user.password_hash, "correct horse")
    assert not service.passwords.verify(user.password_hash, "wrong horse")
    assert user.created_at.tzinfo is not None


def test_duplicate_email_in_another_case_is_a_conflict(service: UserService) -> None:
    service.create("ada@example.com", "Ada", "password1")
    with pytest.raises(EmailTakenError):
        service.create("ADA@example.com", "Other Ada", "password2")


def test_deactivated_user_frees_its_email_and_is_gone_for_reads(
    service: UserService, uow: FakeUnitOfWork
) -> None:
    old = service.create("ada@example.com", "Ada", "password1")
    service.deactivate(old.id)
    service.deactivate(old.id)  # idempotent
    new = service.create("ada@example.com", "Ada again", "password2")
    assert new.id != old.id
    with pytest.raises(UserDeactivatedError):
        service.get(old.id)
    stored = uow.users.get(old.id)
    assert stored is not None
    assert stored.status is Status.DEACTIVATED
    assert stored.deactivated_at is not None


def test_unknown_user_is_not_found(service: UserService) -> None:
    with pytest.raises(UserNotFoundError):
        service.get(uuid.uuid4())
    with pytest.raises(UserNotFoundError):
        service.deactivate(uuid.uuid4())


def test_update_changes_only_the_given_fields_and_checks_email(service: UserService) -> None:
    ada = service.create("ada@example.com", "Ada", "password1")
    service.create("bob@example.com", "Bob", "password1")
    old_hash = ada.password_hash
    updated = service.update(ada.id, full_name="Ada King")
    assert (updated.full_name, updated.email, updated.password_hash) == (
        "Ada King",
        "ada@example.com",
        old_hash,
    )
    with pytest.raises(EmailTakenError):
        service.update(ada.id, email="BOB@example.com")
    assert service.update(ada.id, email="ADA@example.com").email == "ada@example.com"
    assert service.update(ada.id, password="new password").password_hash != old_hash


def test_listing_pages_by_cursor_until_the_last_page(service: UserService) -> None:
    created = [service.create(f"u{i}@example.com", f"U{i}", "password1").id for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        page = service.list(3, cursor)
        seen += [u.id for u in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == created
    assert pages == 3


def test_listing_filters_by_normalised_email_and_status(service: UserService) -> None:
    ada = service.create("ada@example.com", "Ada", "password1")
    service.create("bob@example.com", "Bob", "password1")
    service.deactivate(ada.id)
    assert [u.id for u in service.list(10, email=" ADA@example.com").items] == [ada.id]
    assert [u.id for u in service.list(10, status=Status.DEACTIVATED).items] == [ada.id]
    assert len(service.list(10, status=Status.ACTIVE).items) == 1


@pytest.mark.parametrize("cursor", ["abc", "-1", "1" * 19, "\uff11\uff12", ""])
def test_cursors_we_did_not_issue_are_rejected(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
