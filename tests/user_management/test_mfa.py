"""A second factor (TOTP and recovery codes): enrolment, sign-in, replay and wrong codes,
disabling, an admin's reset, and ADMIN_MFA_REQUIRED (domain with fakes; the running service)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pyotp
import pytest

from devstack.processes import ServerProcess, python_argv
from tests.fixtures.auth import Customer
from tests.user_management.fakes import FakeAccessTokens, FakeUnitOfWork, OpenBox, PlainPasswords
from user_management_service.adapters.secret_box import SecretBox
from user_management_service.adapters.totp import PyotpTotp
from user_management_service.domain.audit import Actor, ActorKind
from user_management_service.domain.authentication import AuthService
from user_management_service.domain.errors import MfaRequiredError, MfaStateError, WrongCodeError
from user_management_service.domain.mfa import MfaService
from user_management_service.domain.throttle import ThrottlePolicy
from user_management_service.domain.users import Role, User

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def mfa_service(uow: FakeUnitOfWork, clock: Clock, *, required: bool = False) -> MfaService:
    return MfaService(uow, OpenBox(), PyotpTotp("Test"), admins_must_enrol=required, clock=clock)


def add_user(uow: FakeUnitOfWork, role: Role = Role.CUSTOMER) -> User:
    user = User(uuid.uuid4(), f"{uuid.uuid4().hex[:8]}@example.com", "Ada",
                PlainPasswords().hash(PASSWORD), role)  # fmt: skip
    uow.users.add(user)
    return user


def enrolled(uow: FakeUnitOfWork, clock: Clock, user: User) -> tuple[MfaService, str, list[str]]:
    mfa = mfa_service(uow, clock)
    secret = mfa.start(user).secret
    codes = mfa.confirm(user.id, code_at(secret, clock.now), Actor(ActorKind.USER, user.id))
    return mfa, secret, codes


def test_the_secret_is_stored_sealed_and_the_factor_waits_for_a_code_from_the_app(
    uow: FakeUnitOfWork, clock: Clock
) -> None:
    user = add_user(uow)
    mfa = mfa_service(uow, clock)
    enrolment = mfa.start(user)
    assert enrolment.otpauth_uri.startswith("otpauth://totp/Test:")
    assert uow.mfa.secrets[user.id].sealed_secret == f"sealed:{enrolment.secret}"
    assert not uow.users.get(user.id).mfa_enabled  # type: ignore[union-attr]
    with pytest.raises(WrongCodeError):
        mfa.confirm(user.id, "000000", Actor(ActorKind.USER, user.id))
    codes = mfa.confirm(user.id, code_at(enrolment.secret, NOW), Actor(ActorKind.USER, user.id))
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert uow.users.get(user.id).mfa_enabled  # type: ignore[union-attr]
    with pytest.raises(MfaStateError):
        mfa.start(uow.users.get(user.id))  # type: ignore[arg-type]


def test_a_code_is_accepted_once_and_not_after_a_later_one(
    uow: FakeUnitOfWork, clock: Clock
) -> None:
    user = add_user(uow)
    mfa, secret, _ = enrolled(uow, clock, user)
    clock.now = NOW + timedelta(seconds=60)
    fresh = uow.users.get(user.id)
    assert fresh is not None
    current = code_at(secret, clock.now)
    assert mfa.check(uow, fresh, current)
    assert not mfa.check(uow, fresh, current)  # replayed
    # The previous step's code is inside the window, but older than the one used: refused.
    assert not mfa.check(uow, fresh, code_at(secret, clock.now - timedelta(seconds=30)))
    clock.now += timedelta(minutes=5)
    assert not mfa.check(uow, fresh, current)  # long expired


def test_a_recovery_code_works_once_typed_in_any_case_with_or_without_its_dash(
    uow: FakeUnitOfWork, clock: Clock
) -> None:
    user = add_user(uow)
    mfa, _, codes = enrolled(uow, clock, user)
    fresh = uow.users.get(user.id)
    assert fresh is not None
    assert mfa.check(uow, fresh, " " + codes[0].upper().replace("-", "") + " ")
    assert not mfa.check(uow, fresh, codes[0])
    assert mfa.check(uow, fresh, codes[1])


def auth_service(uow: FakeUnitOfWork, mfa: MfaService, tokens: FakeAccessTokens) -> AuthService:
    policy = ThrottlePolicy(window_seconds=900, max_per_pair=5, max_per_address=50,
                            max_per_account=20, base_delay_seconds=30)  # fmt: skip
    return AuthService(uow, PlainPasswords(), tokens, refresh_ttl_seconds=3600,
                       throttle=policy, mfa=mfa)  # fmt: skip


def test_with_admin_mfa_required_an_admin_without_a_factor_signs_in_as_a_customer(
    uow: FakeUnitOfWork, clock: Clock
) -> None:
    admin = add_user(uow, Role.ADMIN)
    tokens = FakeAccessTokens()
    auth = auth_service(uow, mfa_service(uow, clock, required=True), tokens)
    issued = auth.login(admin.email, PASSWORD, "203.0.113.7")
    assert tokens.verify(issued.access_token).role is Role.CUSTOMER  # type: ignore[union-attr]
    assert auth.authenticate(issued.access_token).role is Role.CUSTOMER  # type: ignore[union-attr]
    _, secret, _ = enrolled(uow, clock, admin)
    later = clock.now + timedelta(seconds=30)  # the enrolment spent the current step
    issued = auth.login(admin.email, PASSWORD, "203.0.113.7", code_at(secret, later))
    assert tokens.verify(issued.access_token).role is Role.ADMIN  # type: ignore[union-attr]


def test_a_wrong_second_factor_at_sign_in_counts_as_a_failed_login(
    uow: FakeUnitOfWork, clock: Clock
) -> None:
    user = add_user(uow)
    mfa, _, _ = enrolled(uow, clock, user)
    auth = auth_service(uow, mfa, FakeAccessTokens())
    with pytest.raises(MfaRequiredError, match="send `otp`"):
        auth.login(user.email, PASSWORD, "203.0.113.7")
    assert uow.throttle.rows == {}  # the right password alone is no failure
    with pytest.raises(MfaRequiredError, match="wrong"):
        auth.login(user.email, PASSWORD, "203.0.113.7", "123456")
    assert any(counter.failures == 1 for counter in uow.throttle.rows.values())


def test_a_secret_sealed_with_a_retired_key_cannot_be_opened_and_rotation_keeps_old_ones() -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox(lambda: [old]).seal("JBSWY3DP")
    assert SecretBox(lambda: [new, old]).open(sealed) == "JBSWY3DP"
    with pytest.raises(ValueError, match="MFA_SECRET_KEYS"):
        SecretBox(lambda: [new]).open(sealed)


# The running service


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_form(customer: Customer, otp: str | None = None) -> dict[str, str]:
    form = {"username": customer.email, "password": customer.password}
    return form if otp is None else {**form, "otp": otp}


def enrol(url: str, customer: Customer) -> tuple[str, list[str]]:
    started = httpx.post(f"{url}/users/me/mfa/totp", headers=customer.headers,
                         json={"current_password": customer.password})  # fmt: skip
    assert started.status_code == 201, started.text
    assert started.headers["Cache-Control"] == "no-store"
    secret = started.json()["secret"]
    confirmed = httpx.post(f"{url}/users/me/mfa/totp/confirm", headers=customer.headers,
                           json={"code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def next_code(secret: str) -> str:
    """The next time step's code: the current one was spent by the enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_enrolling_needs_the_current_password_and_a_code_from_the_app(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    url = user_service.url
    wrong = httpx.post(f"{url}/users/me/mfa/totp", headers=customer.headers,
                       json={"current_password": "not my password"})  # fmt: skip
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["body.current_password"]
    nothing = httpx.post(f"{url}/users/me/mfa/totp/confirm", headers=customer.headers,
                         json={"code": "123456"})  # fmt: skip
    assert nothing.status_code == 409
    started = httpx.post(f"{url}/users/me/mfa/totp", headers=customer.headers,
                         json={"current_password": customer.password}).json()  # fmt: skip
    bad = httpx.post(f"{url}/users/me/mfa/totp/confirm", headers=customer.headers,
                     json={"code": "000000" if pyotp.TOTP(started["secret"]).now() != "000000"
                           else "111111"})  # fmt: skip
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["body.code"]
    me = httpx.get(f"{url}/users/me", headers=customer.headers).json()
    assert me["mfa_enabled"] is False


def test_signing_in_with_a_factor_needs_a_fresh_code_and_a_replayed_one_is_refused(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    url = user_service.url
    secret, _ = enrol(url, customer)
    assert httpx.get(f"{url}/users/me", headers=customer.headers).json()["mfa_enabled"] is True
    without = httpx.post(f"{url}/auth/token", data=token_form(customer))
    assert without.status_code == 401
    assert without.json()["type"] == "/problems/mfa-required"
    code = next_code(secret)
    signed_in = httpx.post(f"{url}/auth/token", data=token_form(customer, code))
    assert signed_in.status_code == 200, signed_in.text
    claims = jwt.decode(signed_in.json()["access_token"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd", "otp"]
    replayed = httpx.post(f"{url}/auth/token", data=token_form(customer, code))
    assert replayed.status_code == 401
    assert replayed.json()["type"] == "/problems/mfa-required"
    guess = {**token_form(customer, code), "password": "not the password"}
    wrong_password = httpx.post(f"{url}/auth/token", data=guess)
    assert wrong_password.json()["type"] == "/problems/unauthenticated"


def test_a_recovery_code_signs_in_once_and_disables_the_factor_once(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    url = user_service.url
    _, codes = enrol(url, customer)
    assert httpx.post(f"{url}/auth/token", data=token_form(customer, codes[0])).status_code == 200
    assert httpx.post(f"{url}/auth/token", data=token_form(customer, codes[0])).status_code == 401
    wrong = httpx.post(f"{url}/users/me/mfa/totp/disable", headers=customer.headers,
                       json={"code": codes[0]})  # fmt: skip
    assert wrong.status_code == 422
    off = httpx.post(f"{url}/users/me/mfa/totp/disable", headers=customer.headers,
                     json={"code": codes[1]})  # fmt: skip
    assert off.status_code == 204
    assert httpx.post(f"{url}/auth/token", data=token_form(customer)).status_code == 200
    again = httpx.post(f"{url}/users/me/mfa/totp/disable", headers=customer.headers,
                       json={"code": codes[2]})  # fmt: skip
    assert again.status_code == 409


def test_an_admin_resets_a_users_lost_factor_and_the_trail_records_it(
    user_service: ServerProcess, admin_token: str, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    url = user_service.url
    enrol(url, customer)
    denied = httpx.post(f"{url}/users/{customer.id}/mfa/reset", headers=customer.headers)
    assert denied.status_code == 403
    reset = httpx.post(f"{url}/users/{customer.id}/mfa/reset", headers=bearer(admin_token))
    assert reset.status_code == 204
    assert httpx.post(f"{url}/auth/token", data=token_form(customer)).status_code == 200
    assert httpx.post(f"{url}/users/{customer.id}/mfa/reset",
                      headers=bearer(admin_token)).status_code == 409  # fmt: skip
    trail = httpx.get(f"{url}/audit/access-events", headers=bearer(admin_token),
                      params={"target_id": customer.id}).json()["data"]  # fmt: skip
    assert [e["action"] for e in trail] == ["user.mfa_enabled", "user.mfa_reset"]


def operator(user_service: ServerProcess, database_url: str, *args: str) -> str:
    done = subprocess.run(
        python_argv("-m", "user_management_service", *args),
        env={**os.environ, **user_service.env, "DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_operator_resets_a_lost_factor_and_creates_an_api_client_from_the_cli(
    user_service: ServerProcess,
    user_service_database_url: str,
    make_customer: Callable[..., Customer],
) -> None:
    """The break-glass path when no admin can sign in (ADMIN_MFA_REQUIRED, phone lost), and a
    machine credential for a deployment without an admin token; both audited as the operator."""
    customer = make_customer()
    url = user_service.url
    enrol(url, customer)
    said = operator(user_service, user_service_database_url, "reset-mfa", "--email", customer.email)
    assert "removed the second factor" in said
    assert httpx.post(f"{url}/auth/token", data=token_form(customer)).status_code == 200
    printed = operator(user_service, user_service_database_url, "create-api-client",
                       "--name", "Deploy job", "--scope", "users:read")  # fmt: skip
    values = dict(line.split("=", 1) for line in printed.splitlines())
    token = httpx.post(f"{url}/auth/token", data={"grant_type": "client_credentials"},
                       auth=(values["client_id"], values["client_secret"]))  # fmt: skip
    assert token.status_code == 200
    assert token.json()["scope"] == "users:read"
