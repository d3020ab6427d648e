"""AuthService with in-memory fakes: what a login, a refresh, a logout and an authentication do
with the unit of work (commit or roll back), the throttle and the tokens."""

from __future__ import annotations

import pytest

from tests.user_management.fakes import FakeAccessTokens, FakeUnitOfWork, PlainPasswords
from user_management_service.domain.authentication import AuthService
from user_management_service.domain.errors import (
    InvalidCredentialsError,
    InvalidTokenError,
    ThrottledError,
)
from user_management_service.domain.refresh_tokens import ReusedRefreshTokenError
from user_management_service.domain.throttle import ThrottlePolicy
from user_management_service.domain.users import Role, Status, User, UserService

PASSWORD = "a long enough passphrase"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def passwords() -> PlainPasswords:
    return PlainPasswords()


@pytest.fixture
def auth(uow: FakeUnitOfWork, passwords: PlainPasswords) -> AuthService:
    policy = ThrottlePolicy(
        window_seconds=60, max_per_pair=2, max_per_address=100, max_per_account=100
    )
    return AuthService(
        uow,
        passwords,
        FakeAccessTokens(ttl_seconds=900),
        refresh_ttl_seconds=3600,
        throttle=policy,
        clock=lambda: 1000.0,
    )


@pytest.fixture
def ada(uow: FakeUnitOfWork, passwords: PlainPasswords) -> User:
    return UserService(uow, passwords).create("ada@example.com", "Ada", PASSWORD, Role.ADMIN)


def test_login_issues_both_tokens_in_one_committed_transaction(
    auth: AuthService, uow: FakeUnitOfWork, ada: User
) -> None:
    before = uow.commits
    tokens = auth.login(" ADA@example.com", PASSWORD, "203.0.113.9")
    assert (tokens.expires_in, tokens.refresh_expires_in) == (900, 3600)
    assert auth.authenticate(tokens.access_token).user_id == ada.id
    assert len(uow.refresh_tokens.rows) == 1
    assert uow.commits == before + 1


def test_failed_logins_are_counted_committed_and_then_throttled(
    auth: AuthService, uow: FakeUnitOfWork, passwords: PlainPasswords, ada: User
) -> None:
    with pytest.raises(InvalidCredentialsError):
        auth.login("ada@example.com", "wrong password", "203.0.113.9")
    with pytest.raises(InvalidCredentialsError):
        auth.login("nobody@example.com", PASSWORD, "203.0.113.9")
    assert passwords.dummy_checks == 1  # an unknown email costs a verification too
    with pytest.raises(InvalidCredentialsError):
        auth.login("ada@example.com", "wrong again", "203.0.113.9")
    commits = uow.commits
    with pytest.raises(ThrottledError):
        auth.login("ada@example.com", PASSWORD, "203.0.113.9")
    assert uow.commits == commits  # a refused attempt writes nothing


def test_refresh_rotates_and_a_reuse_commits_the_family_revocation(
    auth: AuthService, uow: FakeUnitOfWork, ada: User
) -> None:
    first = auth.login("ada@example.com", PASSWORD, "203.0.113.9")
    second = auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    commits = uow.commits
    with pytest.raises(ReusedRefreshTokenError):
        auth.refresh(first.refresh_token)
    assert uow.commits == commits + 1
    with pytest.raises(InvalidTokenError, match="revoked"):
        auth.refresh(second.refresh_token)


def test_refresh_for_a_deactivated_user_is_rolled_back(
    auth: AuthService, uow: FakeUnitOfWork, ada: User
) -> None:
    tokens = auth.login("ada@example.com", PASSWORD, "203.0.113.9")
    ada.status = Status.DEACTIVATED
    rollbacks = uow.rollbacks
    with pytest.raises(InvalidTokenError, match="no longer active"):
        auth.refresh(tokens.refresh_token)
    assert uow.rollbacks == rollbacks + 1
    with pytest.raises(InvalidTokenError, match="no longer active"):
        auth.authenticate(tokens.access_token)


def test_logout_revokes_the_family_and_an_unknown_token_is_no_error(
    auth: AuthService, ada: User
) -> None:
    tokens = auth.login("ada@example.com", PASSWORD, "203.0.113.9")
    auth.logout(tokens.refresh_token)
    auth.logout("never issued")
    with pytest.raises(InvalidTokenError, match="revoked"):
        auth.refresh(tokens.refresh_token)


def test_authentication_takes_the_current_role_not_the_tokens(
    auth: AuthService, uow: FakeUnitOfWork, ada: User
) -> None:
    token = auth.login("ada@example.com", PASSWORD, "203.0.113.9").access_token
    ada.role = Role.CUSTOMER
    principal = auth.authenticate(token)
    assert (principal.role, principal.is_admin) == (Role.CUSTOMER, False)
