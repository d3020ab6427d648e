"""Auth behaviour that needs its own server processes: login throttling shared by several
gunicorn workers (counters in the database), signing key rotation while the service runs,
the create-admin command and the bootstrap admin created once by racing workers."""

from __future__ import annotations

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
ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 8
WINDOW = 10


@pytest.fixture(scope="module")
def throttled_service(
    test_database_base_url: str | None, tmp_path_factory: pytest.TempPathFactory, logs_dir: Path
) -> Iterator[ServerProcess]:
    """4 workers, low limits: a per-worker counter would let far more attempts through."""
    tmp = tmp_path_factory.mktemp("throttle")
    with fresh_database(test_database_base_url, tmp, "users_throttle") as url:
        server = services.user_service(
            free_port(),
            url,
            workers=4,
            keys_dir=tmp / "keys",
            log_path=logs_dir / "user-throttle.log",
            env={
                "LOGIN_MAX_FAILURES_PER_ACCOUNT": str(ACCOUNT_LIMIT),
                "LOGIN_MAX_FAILURES_PER_ADDRESS": str(ADDRESS_LIMIT),
                "LOGIN_THROTTLE_WINDOW_SECONDS": str(WINDOW),
            },
        ).start()
        try:
            yield server
        finally:
            server.stop()


def attempt(base_url: str, email: str, password: str) -> httpx.Response:
    # a new connection each time: gunicorn hands them to whichever worker accepts first
    return httpx.post(
        base_url + "/auth/token", data={"username": email, "password": password}, timeout=10
    )


def test_throttling_per_account_and_per_address_holds_across_workers(
    throttled_service: ServerProcess,
) -> None:
    url = throttled_service.url
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    register(url, victim, PASSWORD)

    statuses = [attempt(url, victim, f"wrong {i}").status_code for i in range(ACCOUNT_LIMIT)]
    assert statuses == [401] * ACCOUNT_LIMIT
    blocked = attempt(url, victim, PASSWORD)  # even the right password now
    assert blocked.status_code == 429, blocked.text
    assert blocked.headers["content-type"] == "application/problem+json"
    retry_after = int(blocked.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW
    assert blocked.json()["status"] == 429

    # Other accounts from the same address still log in until the address limit is reached.
    other = f"other-{uuid.uuid4().hex[:8]}@example.com"
    register(url, other, PASSWORD)
    assert attempt(url, other, PASSWORD).status_code == 200
    for i in range(ADDRESS_LIMIT - ACCOUNT_LIMIT):
        ghost = f"ghost-{i}-{uuid.uuid4().hex[:6]}@example.com"
        assert attempt(url, ghost, "wrong").status_code == 401
    by_address = attempt(url, other, PASSWORD)
    assert by_address.status_code == 429
    assert 1 <= int(by_address.headers["retry-after"]) <= WINDOW

    # Retry-After tells the truth: once it has passed, the right password works again.
    time.sleep(max(retry_after, int(by_address.headers["retry-after"])) + 0.5)
    assert attempt(url, victim, PASSWORD).status_code == 200
    assert attempt(url, other, PASSWORD).status_code == 200


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
