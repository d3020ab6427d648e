"""Auth rules without processes: password policy, throttle windows, refresh token families,
access token verification."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.user_management.fakes import MemoryRefreshTokens, MemoryThrottle
from user_management_service.adapters.jwt_tokens import JwtAccessTokens
from user_management_service.adapters.keys import KeyStore
from user_management_service.domain.errors import InvalidTokenError, ThrottledError
from user_management_service.domain.passwords import password_problem
from user_management_service.domain.refresh_tokens import RefreshTokens, ReusedRefreshTokenError
from user_management_service.domain.throttle import LoginThrottle, ThrottlePolicy
from user_management_service.domain.users import Role, utc_now


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short", False),
        ("123456789", False),
        ("1234567890", False),  # long enough but among the most common
        ("Password123", False),  # case does not help
        ("correct horse battery staple", True),
        ("x" * 128, True),
        ("x" * 129, False),
    ],
)
def test_password_policy(password: str, accepted: bool) -> None:
    assert (password_problem(password) is None) is accepted


def policy(**limits: int) -> ThrottlePolicy:
    values = {"max_per_pair": 3, "max_per_address": 50, "max_per_account": 20, **limits}
    return ThrottlePolicy(window_seconds=900, base_delay_seconds=30, **values)


def test_past_the_pair_limit_the_address_waits_a_delay_that_doubles_up_to_the_window() -> None:
    throttle = LoginThrottle(MemoryThrottle(), policy())
    for t in (0.0, 1.0):
        throttle.failed("a@x", "1.1.1.1", t)
    throttle.before_verifying("a@x", "1.1.1.1", 2.0)  # two failures: fine
    throttle.failed("a@x", "1.1.1.1", 2.0)
    waits = []
    now = 2.0
    for _ in range(7):
        with pytest.raises(ThrottledError) as blocked:
            throttle.before_verifying("a@x", "1.1.1.1", now + 0.5)
        waits.append(blocked.value.retry_after)
        now += blocked.value.retry_after  # waits it out, then fails again
        throttle.before_verifying("a@x", "1.1.1.1", now)
        throttle.failed("a@x", "1.1.1.1", now)
    assert waits == [30, 60, 120, 240, 480, 900, 900]  # base doubling, capped at the window
    throttle.before_verifying("b@x", "1.1.1.1", now + 1)  # another account there: fine
    throttle.before_verifying("a@x", "9.9.9.9", now + 1)  # this account elsewhere: fine


def test_a_counter_forgets_two_windows_after_its_last_failure_and_success_clears_the_pair() -> None:
    throttle = LoginThrottle(MemoryThrottle(), policy())
    for t in (0.0, 1700.0, 3400.0):  # each within two windows of the one before
        throttle.failed("a@x", "1.1.1.1", t)
    with pytest.raises(ThrottledError):
        throttle.before_verifying("a@x", "1.1.1.1", 3401.0)
    throttle.failed("a@x", "1.1.1.1", 5201.0)  # two windows after the last: forgotten
    throttle.before_verifying("a@x", "1.1.1.1", 5202.0)
    throttle.succeeded("a@x", "1.1.1.1")
    assert throttle.repository.get(throttle.keys("a@x", "1.1.1.1")["pair"]) is None


def test_one_address_failing_for_many_accounts_waits_for_every_account() -> None:
    throttle = LoginThrottle(MemoryThrottle(), policy(max_per_address=3))
    for i in range(3):
        throttle.failed(f"u{i}@x", "2.2.2.2", 500.0 + i)
    with pytest.raises(ThrottledError):
        throttle.before_verifying("new@x", "2.2.2.2", 510.0)
    throttle.before_verifying("new@x", "3.3.3.3", 510.0)


def test_an_account_under_attack_refuses_wrong_passwords_but_not_the_owner_elsewhere() -> None:
    throttle = LoginThrottle(MemoryThrottle(), policy(max_per_account=5, max_per_pair=100))
    for i in range(5):  # five addresses, one failure each: under every pair limit
        throttle.failed("ada@x", f"10.0.0.{i}", 100.0 + i)
    with pytest.raises(ThrottledError):  # a wrong password from anywhere now waits
        throttle.after_verifying("ada@x", "10.9.9.9", False, 110.0)
    with pytest.raises(ThrottledError):  # the right one from an address that was failing too
        throttle.after_verifying("ada@x", "10.0.0.1", True, 110.0)
    throttle.after_verifying("ada@x", "192.0.2.7", True, 110.0)  # the owner, elsewhere: in


def test_an_unlock_clears_the_accounts_counters_from_every_address_only() -> None:
    repository = MemoryThrottle()
    throttle = LoginThrottle(repository, policy())
    for address in ("1.1.1.1", "2.2.2.2"):
        throttle.failed("ada@x", address, 10.0)
    throttle.failed("bob@x", "1.1.1.1", 10.0)
    assert throttle.unlock("ada@x") == 3  # two pairs and the account
    assert sorted(k.split(":")[0] for k in repository.rows) == ["account", "address", "address",
                                                                 "pair"]  # fmt: skip


def test_refresh_rotation_reuse_and_expiry() -> None:
    repo = MemoryRefreshTokens()
    tokens = RefreshTokens(repo, ttl_seconds=60)
    user = uuid.uuid4()
    first = tokens.issue(user)
    assert first not in repo.rows  # only its hash is kept
    owner, second = tokens.rotate(first)
    assert owner == user
    with pytest.raises(ReusedRefreshTokenError):
        tokens.rotate(first)
    with pytest.raises(InvalidTokenError, match="revoked"):
        tokens.rotate(second)  # same family: revoked by the reuse

    expired = RefreshTokens(repo, ttl_seconds=-1).issue(user)
    with pytest.raises(InvalidTokenError, match="expired"):
        tokens.rotate(expired)


def test_issuing_now_and_then_forgets_long_expired_refresh_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from user_management_service.domain import refresh_tokens as module

    repo = MemoryRefreshTokens()
    RefreshTokens(repo, ttl_seconds=-3 * 24 * 3600).issue(uuid.uuid4())  # expired 3 days ago
    RefreshTokens(repo, ttl_seconds=-3600).issue(uuid.uuid4())  # expired an hour ago: kept
    monkeypatch.setattr(module.secrets, "randbelow", lambda _n: 0)
    RefreshTokens(repo, ttl_seconds=60).issue(uuid.uuid4())
    assert len(repo.rows) == 2


def test_access_token_verification_reasons(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.ensure()
    tokens = JwtAccessTokens(keys, "iss", "aud", 900)
    user = uuid.uuid4()
    principal = tokens.verify(tokens.issue(user, Role.ADMIN))
    assert (principal.user_id, principal.role, principal.is_admin) == (user, Role.ADMIN, True)
    old = tokens.issue(user, Role.CUSTOMER, now=utc_now() - timedelta(hours=1))
    with pytest.raises(InvalidTokenError, match="expired"):
        tokens.verify(old)
    with pytest.raises(InvalidTokenError, match="audience"):
        tokens.verify(JwtAccessTokens(keys, "iss", "other", 900).issue(user, Role.CUSTOMER))
    with pytest.raises(InvalidTokenError, match="issuer"):
        tokens.verify(JwtAccessTokens(keys, "other", "aud", 900).issue(user, Role.CUSTOMER))
    elsewhere = KeyStore(tmp_path / "elsewhere")
    elsewhere.ensure()
    foreign = JwtAccessTokens(elsewhere, "iss", "aud", 900).issue(user, Role.CUSTOMER)
    with pytest.raises(InvalidTokenError, match="unknown key"):
        tokens.verify(foreign)


@pytest.mark.parametrize("hops", [0, 1])
def test_throttling_per_address_trusts_x_forwarded_for_only_behind_a_configured_proxy(
    tmp_path: Path, test_database_base_url: str | None, hops: int
) -> None:
    from devstack.databases import fresh_database

    with fresh_database(test_database_base_url, tmp_path, "users_proxy") as url:
        check_proxy_throttling(url, tmp_path, hops)


def check_proxy_throttling(url: str, tmp_path: Path, hops: int) -> None:
    from alembic import command

    from user_management_service.__main__ import alembic_config
    from user_management_service.api.context import container_of
    from user_management_service.app import create_app
    from user_management_service.settings import Settings

    command.upgrade(alembic_config(url), "head")
    settings = Settings(
        database_url=url,
        jwt_keys_dir=tmp_path / "keys",
        trusted_proxy_hops=hops,
        login_max_failures_per_address=1,
        argon2_memory_cost_kib=1024,
        argon2_time_cost=1,
    )
    app = create_app(settings)
    client = app.test_client()

    def login_from(address: str) -> int:
        form = {"username": f"{uuid.uuid4().hex}@example.com", "password": "wrong password"}
        response = client.post("/auth/token", data=form, headers={"X-Forwarded-For": address})
        return response.status_code

    assert login_from("203.0.113.1") == 401
    assert login_from("203.0.113.1") == 429
    # behind a trusted proxy another client is another address; without one, the header is
    # ignored (anyone could forge it) and every request shares the peer's address
    assert login_from("203.0.113.2") == (401 if hops else 429)
    if hops:  # whatever a client puts in the header, the counter key stays short
        assert login_from("x" * 5000) == 401
    # an email that grows when lower-cased still makes a short counter key
    form = {"username": "\u0130" * 254, "password": "wrong password"}
    assert client.post("/auth/token", data=form).status_code in {401, 429}
    container_of(app).close()  # PostgreSQL drops the database afterwards


def test_a_cached_access_token_still_expires_and_dies_with_its_pruned_key(tmp_path: Path) -> None:
    """The verified-token cache skips the signature check, never the token's lifetime or the
    key's presence in the folder."""
    keys = KeyStore(tmp_path)
    keys.ensure()
    wall = [utc_now().timestamp()]
    tokens = JwtAccessTokens(keys, "iss", "aud", 900, clock=lambda: wall[0])
    user = uuid.uuid4()
    token = tokens.issue(user, Role.CUSTOMER)
    first = tokens.verify(token)
    assert tokens.verify(token) is first  # the remembered principal, not a new verification

    wall[0] += 901  # past `exp` on the cache's clock: the entry is gone, verified afresh
    second = tokens.verify(token)
    assert second == first
    assert second is not first
    # A rotation, then the old key pruned: the remembered token fails at once.
    old_key = keys.signing_key()
    keys.rotate(retire_after=timedelta(days=1))
    assert tokens.verify(token) == second  # the folder changed: checked again, still valid
    (tmp_path / f"{old_key.kid}.pem").unlink()
    with pytest.raises(InvalidTokenError, match="unknown key"):
        tokens.verify(token)


def test_access_token_cache_is_bounded(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.ensure()
    tokens = JwtAccessTokens(keys, "iss", "aud", 900, cache_size=2)
    issued = [tokens.issue(uuid.uuid4(), Role.CUSTOMER) for _ in range(3)]
    principals = [tokens.verify(t) for t in issued]
    assert tokens.verify(issued[2]) is principals[2]  # most recent: remembered
    assert tokens.verify(issued[0]) is not principals[0]  # least recent: evicted, re-verified
    assert tokens.verify(issued[0]) == principals[0]
