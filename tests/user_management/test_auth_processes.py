"""Auth behaviour that needs its own server processes: login throttling shared by several
gunicorn workers (counters in the database), signing key rotation while the service runs,
the create-admin command and the bootstrap admin created once by racing workers."""

from __future__ import annotations

import collections
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from devstack import services
from devstack.auth import login, register
from devstack.databases import fresh_database
from devstack.processes import ServerProcess, free_port, python_argv
from user_management_service.adapters.keys import KeyStore
from user_management_service.domain.users import utc_now

PASSWORD = "a long enough passphrase"
PAIR_LIMIT = 3
ADDRESS_LIMIT = 8
ACCOUNT_LIMIT = 6
WINDOW = 10
BASE_DELAY = 2
ADMIN = ("throttle-admin@example.com", "an admin passphrase 4242")


@pytest.fixture(scope="module")
def throttled_service(
    test_database_base_url: str | None, tmp_path_factory: pytest.TempPathFactory, logs_dir: Path
) -> Iterator[tuple[ServerProcess, str]]:
    """4 workers, low limits: a per-worker counter would let far more attempts through. One
    trusted proxy hop: the test says which client address each attempt comes from."""
    tmp = tmp_path_factory.mktemp("throttle")
    with fresh_database(test_database_base_url, tmp, "users_throttle") as url:
        server = services.user_service(
            free_port(),
            url,
            workers=4,
            keys_dir=tmp / "keys",
            log_path=logs_dir / "user-throttle.log",
            env={
                "LOGIN_MAX_FAILURES_PER_PAIR": str(PAIR_LIMIT),
                "LOGIN_MAX_FAILURES_PER_ADDRESS": str(ADDRESS_LIMIT),
                "LOGIN_MAX_FAILURES_PER_ACCOUNT": str(ACCOUNT_LIMIT),
                "LOGIN_THROTTLE_WINDOW_SECONDS": str(WINDOW),
                "LOGIN_THROTTLE_BASE_DELAY_SECONDS": str(BASE_DELAY),
                "TRUSTED_PROXY_HOPS": "1",
                "BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
                "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
            },
        ).start()
        try:
            yield server, url
        finally:
            server.stop()


def attempt(base_url: str, email: str, password: str, address: str) -> httpx.Response:
    # a new connection each time: gunicorn hands them to whichever worker accepts first
    return httpx.post(
        base_url + "/auth/token",
        data={"username": email, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=10,
    )


def new_account(base_url: str, name: str) -> str:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    register(base_url, email, PASSWORD)
    return email


def test_an_address_failing_for_an_account_waits_across_workers_the_owner_elsewhere_does_not(
    throttled_service: tuple[ServerProcess, str],
) -> None:
    url = throttled_service[0].url
    victim = new_account(url, "victim")
    attacker = "198.51.100.7"

    statuses = [attempt(url, victim, f"wrong {i}", attacker).status_code for i in range(3)]
    assert statuses == [401] * PAIR_LIMIT
    blocked = attempt(url, victim, PASSWORD, attacker)  # even the right password, from there
    assert blocked.status_code == 429, blocked.text
    assert blocked.headers["content-type"] == "application/problem+json"
    assert 1 <= int(blocked.headers["retry-after"]) <= BASE_DELAY
    assert attempt(url, victim, PASSWORD, "192.0.2.10").status_code == 200  # the owner

    # Other accounts from that address sign in until the address limit is reached.
    other = new_account(url, "other")
    assert attempt(url, other, PASSWORD, attacker).status_code == 200
    for i in range(ADDRESS_LIMIT - PAIR_LIMIT):
        ghost = f"ghost-{i}-{uuid.uuid4().hex[:6]}@example.com"
        assert attempt(url, ghost, "wrong", attacker).status_code == 401
    by_address = attempt(url, other, PASSWORD, attacker)
    assert by_address.status_code == 429
    assert attempt(url, other, PASSWORD, "192.0.2.11").status_code == 200

    # Retry-After tells the truth: once it has passed, the right password works there again.
    time.sleep(int(by_address.headers["retry-after"]) + 0.5)
    assert attempt(url, other, PASSWORD, attacker).status_code == 200
    # The wait doubles with each failure past the limit (2 s, then 4 s for the victim's pair).
    assert attempt(url, victim, "wrong again", attacker).status_code == 401
    again = attempt(url, victim, PASSWORD, attacker)
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) == 2 * BASE_DELAY


def test_a_hundred_failures_from_one_address_do_not_keep_the_owner_out_from_another(
    throttled_service: tuple[ServerProcess, str],
) -> None:
    url = throttled_service[0].url
    victim = new_account(url, "target")
    answers = collections.Counter(
        attempt(url, victim, f"guess {i}", "203.0.113.66").status_code for i in range(100)
    )
    # Refused before guessing; a guess gets through only when a wait (2 s, 4 s, ...) has run
    # out, so the hundred attempts of a few seconds buy the attacker one or two more.
    assert PAIR_LIMIT <= answers[401] <= PAIR_LIMIT + 2, answers
    assert answers[401] + answers[429] == 100
    assert attempt(url, victim, PASSWORD, "192.0.2.20").status_code == 200


def test_an_account_attacked_from_many_addresses_refuses_guesses_but_not_its_owner(
    throttled_service: tuple[ServerProcess, str],
) -> None:
    url = throttled_service[0].url
    victim = new_account(url, "spread")
    for i in range(ACCOUNT_LIMIT):  # one guess from each of many addresses: no pair fills up
        assert attempt(url, victim, "guess", f"203.0.113.{100 + i}").status_code == 401
    guess = attempt(url, victim, "another guess", "203.0.113.200")
    assert guess.status_code == 429  # past the account's limit every wrong password waits
    assert attempt(url, victim, PASSWORD, "203.0.113.101").status_code == 429  # a failing one
    assert attempt(url, victim, PASSWORD, "192.0.2.30").status_code == 200  # the owner


def test_an_admin_unlock_lets_a_waiting_address_sign_in_at_once_by_api_and_by_cli(
    throttled_service: tuple[ServerProcess, str],
) -> None:
    server, database_url = throttled_service
    url = server.url
    victim = new_account(url, "locked")
    address = "198.51.100.99"
    for i in range(PAIR_LIMIT):
        attempt(url, victim, f"typo {i}", address)
    assert attempt(url, victim, PASSWORD, address).status_code == 429
    admin = login(url, *ADMIN).access_token
    bearer = {"Authorization": f"Bearer {admin}"}
    me = httpx.get(f"{url}/users?email={victim}", headers=bearer, timeout=10).json()["data"][0]
    assert (
        httpx.post(f"{url}/users/{me['id']}/unlock", headers=bearer, timeout=10).status_code == 204
    )
    assert attempt(url, victim, PASSWORD, address).status_code == 200

    for i in range(PAIR_LIMIT):
        attempt(url, victim, f"typo again {i}", address)
    assert attempt(url, victim, PASSWORD, address).status_code == 429
    done = subprocess.run(
        python_argv("-m", "user_management_service", "unlock", "--email", victim.upper()),
        env={**os.environ, **server.env, "DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "counter(s) cleared" in done.stdout
    assert attempt(url, victim, PASSWORD, address).status_code == 200
    as_customer = login(url, victim, PASSWORD).access_token
    forbidden = httpx.post(
        f"{url}/users/{me['id']}/unlock",
        headers={"Authorization": f"Bearer {as_customer}"},
        timeout=10,
    )
    assert forbidden.status_code == 403


@pytest.fixture(scope="module")
def rotating_service(
    test_database_base_url: str | None, tmp_path_factory: pytest.TempPathFactory, logs_dir: Path
) -> Iterator[tuple[ServerProcess, str, Path]]:
    """3 workers starting together on an empty key folder and an empty database."""
    tmp = tmp_path_factory.mktemp("rotation")
    keys = tmp / "keys"
    with fresh_database(test_database_base_url, tmp, "users_rotation") as url:
        server = services.user_service(
            free_port(), url, workers=3, keys_dir=keys, log_path=logs_dir / "user-rotation.log"
        ).start()
        try:
            yield server, url, keys
        finally:
            server.stop()


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_argv("-m", "user_management_service", *args),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def jwks_kids(base_url: str) -> list[str]:
    return [k["kid"] for k in httpx.get(base_url + "/.well-known/jwks.json").json()["keys"]]


def verify_with_jwks(base_url: str, token: str) -> dict[str, object]:
    kid = jwt.get_unverified_header(token)["kid"]
    [jwk] = [
        k for k in httpx.get(base_url + "/.well-known/jwks.json").json()["keys"] if k["kid"] == kid
    ]
    claims: dict[str, object] = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience="urn:payment-platform:api",
        issuer="urn:payment-platform:user-management",
    )
    return claims


def test_racing_workers_make_one_key_and_one_bootstrap_admin(
    rotating_service: tuple[ServerProcess, str, Path],
) -> None:
    server, _, keys = rotating_service
    assert len(list(keys.glob("*.pem"))) == 1
    assert all(len(jwks_kids(server.url)) == 1 for _ in range(6))  # whichever worker answers
    admin = login(server.url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    listed = httpx.get(
        server.url + "/users", params={"email": services.DEV_ADMIN_EMAIL}, headers=admin.headers
    ).json()
    assert [u["role"] for u in listed["data"]] == ["admin"]


def test_rotated_key_signs_new_tokens_and_the_old_key_still_verifies(
    rotating_service: tuple[ServerProcess, str, Path],
) -> None:
    server, url, keys = rotating_service
    before = login(server.url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
    old_kid = jwt.get_unverified_header(before.access_token)["kid"]

    result = cli("rotate-key", env={"DATABASE_URL": url, "JWT_KEYS_DIR": str(keys)})
    assert result.returncode == 0, result.stderr
    assert "new signing key" in result.stdout

    for _ in range(6):  # every worker notices the new key without a restart
        kids = jwks_kids(server.url)
        assert len(kids) == 2
        assert old_kid in kids
        after = login(server.url, services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD)
        new_kid = jwt.get_unverified_header(after.access_token)["kid"]
        assert new_kid != old_kid
        assert kids[0] == new_kid  # the signing key comes first
        for token in (before.access_token, after.access_token):
            assert (
                httpx.get(
                    server.url + "/users/me", headers={"Authorization": f"Bearer {token}"}
                ).status_code
                == 200
            )
    claims = verify_with_jwks(server.url, before.access_token)
    assert claims["role"] == "admin"
    verify_with_jwks(server.url, after.access_token)


def test_rotation_prunes_keys_retired_longer_than_a_token_lives(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.ensure()
    [first] = store.published()
    ttl = timedelta(seconds=900)
    second = store.rotate(ttl)
    assert [k.kid for k in store.published()] == [first.kid, second.kid]  # first still verifies
    third = store.rotate(ttl, now=utc_now() + timedelta(hours=1))
    # first retired (by second) over an hour ago: pruned; second only just retired: kept
    assert [k.kid for k in store.published()] == [second.kid, third.kid]
    assert store.signing_key().kid == third.kid


def test_create_admin_command_creates_promotes_and_refuses_weak_passwords(
    rotating_service: tuple[ServerProcess, str, Path],
) -> None:
    server, url, keys = rotating_service
    env = {"DATABASE_URL": url, "JWT_KEYS_DIR": str(keys)}
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"

    created = cli("create-admin", "--email", email, "--password", PASSWORD, env=env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"created admin {email}")
    token = login(server.url, email, PASSWORD).access_token
    assert jwt.decode(token, options={"verify_signature": False})["role"] == "admin"
    assert (
        httpx.get(server.url + "/users", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )

    # again, password from ADMIN_PASSWORD: the same user, new password
    again = cli(
        "create-admin",
        "--email",
        email.upper(),
        env={**env, "ADMIN_PASSWORD": "another fine passphrase"},
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"updated admin {email}")
    assert login(server.url, email, "another fine passphrase").access_token
    with pytest.raises(httpx.HTTPStatusError):
        login(server.url, email, PASSWORD)

    # an existing customer is promoted
    customer = f"promote-{uuid.uuid4().hex[:8]}@example.com"
    register(server.url, customer, PASSWORD)
    assert cli("create-admin", "--email", customer, "--password", PASSWORD, env=env).returncode == 0
    me = httpx.get(server.url + "/users/me", headers=login(server.url, customer, PASSWORD).headers)
    assert me.json()["role"] == "admin"

    for weak in ("short", "password1234"):
        refused = cli("create-admin", "--email", email, "--password", weak, env=env)
        assert refused.returncode == 2
        assert "refused" in refused.stderr
