"""Unit tests of mail, password reset and email verification in the domain (in-memory fakes)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.user_management.fakes import EchoRenderer, FakeUnitOfWork, RecordingMailer
from user_management_service.adapters.passwords import PasswordHashing
from user_management_service.domain.account_tokens import Purpose
from user_management_service.domain.audit import Actor, ActorKind, AuditAction
from user_management_service.domain.errors import (
    AlreadyVerifiedError,
    InvalidAccountTokenError,
    ThrottledError,
)
from user_management_service.domain.mail import MailKind, MailState
from user_management_service.domain.mail_delivery import MailDelivery, MailPolicy
from user_management_service.domain.recovery import AccountRecovery
from user_management_service.domain.throttle import ThrottlePolicy
from user_management_service.domain.users import User, UserService, utc_now

PASSWORD = "correct horse battery staple"
OWNER = Actor(ActorKind.USER, address="198.51.100.1", request_id="req-1")
TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def hashing() -> PasswordHashing:
    return PasswordHashing(time_cost=1, memory_cost_kib=1024)


@pytest.fixture
def users(uow: FakeUnitOfWork, hashing: PasswordHashing) -> UserService:
    return UserService(uow, hashing)


@pytest.fixture
def recovery(uow: FakeUnitOfWork, hashing: PasswordHashing) -> AccountRecovery:
    policy = ThrottlePolicy(window_seconds=900, max_per_pair=5, max_per_address=50,
                            max_per_account=20, base_delay_seconds=30)  # fmt: skip
    return AccountRecovery(uow, hashing, policy)


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def delivery(uow: FakeUnitOfWork, mailer: RecordingMailer) -> MailDelivery:
    policy = MailPolicy(links_url="https://shop.example/account")
    return MailDelivery(uow, EchoRenderer(), mailer, policy, rand=lambda: 0.0)


def drain(delivery: MailDelivery) -> list[MailState]:
    return [delivery.deliver(job) for job in delivery.claim(100)]


def token_of(mailer: RecordingMailer, kind: MailKind) -> str:
    mail = [m for m in mailer.sent if m.subject == kind.value][-1]
    found = TOKEN.search(mail.text)
    assert found is not None, mail.text
    return found.group(1)


@pytest.fixture
def ada(users: UserService, delivery: MailDelivery) -> User:
    user = users.create("ada@example.com", "Ada", PASSWORD)
    drain(delivery)  # its verification mail
    return user


def test_a_reset_request_queues_the_same_job_for_a_known_and_an_unknown_email(
    uow: FakeUnitOfWork, recovery: AccountRecovery, ada: User
) -> None:
    before = set(uow.mail.jobs)
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    recovery.request_password_reset("nobody@example.com", "203.0.113.7")
    new = [uow.mail.jobs[i] for i in uow.mail.jobs if i not in before]
    assert [(j.kind, j.user_id, j.attempts) for j in new] == [
        (MailKind.PASSWORD_RESET, None, 0)
    ] * 2


def test_only_the_owner_of_an_active_account_is_mailed_a_reset_link(
    recovery: AccountRecovery, delivery: MailDelivery, mailer: RecordingMailer, ada: User
) -> None:
    recovery.request_password_reset("nobody@example.com", "203.0.113.7")
    recovery.request_password_reset(" ADA@example.com ", "203.0.113.7")
    assert drain(delivery) == [MailState.DROPPED, MailState.SENT]
    assert mailer.sent[-1].to == "ada@example.com"
    assert "link=https://shop.example/account/reset-password?token=" in mailer.sent[-1].text


def test_the_reset_token_is_stored_only_as_its_hash(
    uow: FakeUnitOfWork, recovery: AccountRecovery, delivery: MailDelivery,
    mailer: RecordingMailer, ada: User,
) -> None:  # fmt: skip
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    drain(delivery)
    token = token_of(mailer, MailKind.PASSWORD_RESET)
    assert token not in uow.account_tokens.rows
    assert all(len(key) == 64 for key in uow.account_tokens.rows)


def test_a_reset_sets_the_password_revokes_sessions_and_tells_the_owner(
    uow: FakeUnitOfWork, recovery: AccountRecovery, delivery: MailDelivery,
    mailer: RecordingMailer, hashing: PasswordHashing, ada: User,
) -> None:  # fmt: skip
    uow.refresh_tokens.add("h", ada.id, ada.id, utc_now(), utc_now() + timedelta(days=1))
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    drain(delivery)
    recovery.reset_password(
        token_of(mailer, MailKind.PASSWORD_RESET), "a brand new passphrase", OWNER
    )
    stored = uow.users.get(ada.id)
    assert stored is not None
    assert hashing.verify(stored.password_hash, "a brand new passphrase")
    assert uow.refresh_tokens.rows["h"].revoked_at is not None
    (audited,) = [e for e in uow.audit.events if e.action is AuditAction.PASSWORD_RESET]
    assert (audited.target_id, audited.actor.user_id) == (ada.id, ada.id)
    assert audited.actor.address == OWNER.address
    assert drain(delivery) == [MailState.SENT]
    assert mailer.sent[-1].subject == MailKind.PASSWORD_CHANGED.value


def test_a_reset_token_works_once_and_a_reset_ends_every_other_reset_link(
    recovery: AccountRecovery, delivery: MailDelivery, mailer: RecordingMailer, ada: User
) -> None:
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    drain(delivery)
    first = token_of(mailer, MailKind.PASSWORD_RESET)
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    drain(delivery)
    second = token_of(mailer, MailKind.PASSWORD_RESET)
    recovery.reset_password(second, "a brand new passphrase", OWNER)
    for used in (second, first):
        with pytest.raises(InvalidAccountTokenError, match="used already"):
            recovery.reset_password(used, "another new passphrase", OWNER)


def test_an_expired_or_unknown_reset_token_is_refused(
    uow: FakeUnitOfWork, recovery: AccountRecovery, delivery: MailDelivery,
    mailer: RecordingMailer, ada: User,
) -> None:  # fmt: skip
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    drain(delivery)
    (key,) = [k for k, t in uow.account_tokens.rows.items() if t.purpose is Purpose.PASSWORD_RESET]
    uow.account_tokens.rows[key] = replace(
        uow.account_tokens.rows[key], expires_at=utc_now() - timedelta(seconds=1)
    )
    with pytest.raises(InvalidAccountTokenError, match="expired"):
        recovery.reset_password(
            token_of(mailer, MailKind.PASSWORD_RESET), "a brand new passphrase", OWNER
        )
    with pytest.raises(InvalidAccountTokenError, match="not valid"):
        recovery.reset_password("made-up", "a brand new passphrase", OWNER)


def test_a_verification_token_cannot_reset_a_password(
    recovery: AccountRecovery, users: UserService, delivery: MailDelivery, mailer: RecordingMailer
) -> None:
    users.create("grace@example.com", "Grace", PASSWORD)
    drain(delivery)
    with pytest.raises(InvalidAccountTokenError):
        recovery.reset_password(
            token_of(mailer, MailKind.EMAIL_VERIFICATION), "a new passphrase!", OWNER
        )


def test_at_most_the_hourly_number_of_reset_links_goes_to_one_address(
    uow: FakeUnitOfWork, recovery: AccountRecovery, delivery: MailDelivery, ada: User
) -> None:
    for _ in range(4):
        recovery.request_password_reset("ada@example.com", "203.0.113.7")
    assert drain(delivery) == [MailState.SENT] * 3 + [MailState.DROPPED]
    assert "3 reset mails in the last hour" in set(uow.mail.notes.values())


def test_one_address_asking_for_many_resets_waits_whatever_the_emails(
    uow: FakeUnitOfWork, recovery: AccountRecovery
) -> None:
    limit, window = recovery.max_resets_per_address, 2 * recovery.throttle.window_seconds
    for n in range(limit):
        recovery.request_password_reset(f"user{n}@example.com", "203.0.113.9", now=1000.0)
    with pytest.raises(ThrottledError) as waiting:
        recovery.request_password_reset("nobody@example.com", "203.0.113.9", now=1001.0)
    assert waiting.value.retry_after == window - 1
    recovery.request_password_reset("ada@example.com", "198.51.100.4", now=1001.0)  # another
    recovery.request_password_reset("ada@example.com", "203.0.113.9", now=1000.0 + window)
    assert len(uow.mail.jobs) == limit + 2  # nothing queued for the refused request


def test_registration_mails_a_link_that_verifies_the_email_once(
    users: UserService, recovery: AccountRecovery, delivery: MailDelivery, mailer: RecordingMailer
) -> None:
    user = users.create("grace@example.com", "Grace", PASSWORD)
    assert not user.email_verified
    drain(delivery)
    token = token_of(mailer, MailKind.EMAIL_VERIFICATION)
    assert recovery.verify_email(token).email_verified
    with pytest.raises(InvalidAccountTokenError, match="used already"):
        recovery.verify_email(token)
    with pytest.raises(AlreadyVerifiedError):
        recovery.request_verification(user.id)


def test_a_new_email_is_unverified_and_the_old_address_link_stops_working(
    users: UserService, recovery: AccountRecovery, delivery: MailDelivery, mailer: RecordingMailer
) -> None:
    user = users.create("grace@example.com", "Grace", PASSWORD)
    drain(delivery)
    old_link = token_of(mailer, MailKind.EMAIL_VERIFICATION)
    recovery.verify_email(old_link)
    recovery.request_password_reset("grace@example.com", "203.0.113.7")  # unrelated mail
    changed = users.update(user.id, email="grace.hopper@example.com")
    assert not changed.email_verified
    drain(delivery)
    assert mailer.sent[-1].to == "grace.hopper@example.com"
    assert mailer.sent[-1].subject == MailKind.EMAIL_VERIFICATION.value
    recovery.request_verification(user.id)
    users.update(user.id, email="g.hopper@example.com")
    assert drain(delivery) == [MailState.DROPPED, MailState.SENT]  # the address changed since


def test_operator_made_admins_count_as_verified(users: UserService) -> None:
    admin, _ = users.ensure_admin("root@example.com", PASSWORD)
    assert admin.email_verified


def test_a_mail_server_that_is_down_delays_the_mail_and_loses_none(
    uow: FakeUnitOfWork, recovery: AccountRecovery, delivery: MailDelivery,
    mailer: RecordingMailer, ada: User,
) -> None:  # fmt: skip
    mailer.down = True
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    assert drain(delivery) == [MailState.PENDING]
    (job_id,) = [i for i, s in uow.mail.state.items() if s is MailState.PENDING]
    assert uow.mail.jobs[job_id].attempts == 1
    assert "Connection refused" in (uow.mail.notes[job_id] or "")
    assert delivery.claim(10) == []  # it waits for its retry
    uow.mail.due[job_id] = utc_now()
    mailer.down = False
    assert drain(delivery) == [MailState.SENT]


def test_a_job_failing_for_the_whole_window_is_given_up(
    uow: FakeUnitOfWork, recovery: AccountRecovery, delivery: MailDelivery,
    mailer: RecordingMailer, ada: User,
) -> None:  # fmt: skip
    mailer.down = True
    recovery.request_password_reset("ada@example.com", "203.0.113.7")
    (job,) = delivery.claim(10)
    old = replace(job, created_at=utc_now() - timedelta(hours=25))
    assert delivery.deliver(old) is MailState.FAILED


def test_retry_delays_grow_to_the_cap_with_jitter() -> None:
    policy = MailPolicy(links_url="https://x")
    assert policy.delay(1, 0.0) == timedelta(seconds=7.5)
    assert policy.delay(1, 0.999) < timedelta(seconds=15)
    assert policy.delay(3, 0.0) == timedelta(seconds=30)
    assert policy.delay(40, 0.999) <= policy.retry_cap
