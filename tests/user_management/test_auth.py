"""Tokens and authorization on the shared real service (gunicorn, 2 workers), through the
GENERATED client (Client for anonymous calls, AuthenticatedClient with a bearer token)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from user_management_client import AuthenticatedClient, Client
from user_management_client.api.auth import create_token, get_jwks, refresh_token, revoke_token
from user_management_client.api.users import (
    create_user,
    delete_user,
    get_current_user,
    get_user,
    list_users,
    update_user,
)
from user_management_client.models import (
    Problem,
    RefreshRequest,
    TokenRequest,
    TokenResponse,
    User,
    UserCreate,
    UserCreateRole,
    UserUpdate,
)
from user_management_client.types import UNSET

from devstack import services
from devstack.processes import ServerProcess
from tests.fixtures.auth import Customer
from user_management_service.adapters.jwt_tokens import JwtAccessTokens
from user_management_service.adapters.keys import KeyStore, SigningKey
from user_management_service.domain.users import Role, utc_now

ISSUER = "urn:payment-platform:user-management"
AUDIENCE = "urn:payment-platform:api"


def as_client(base_url: str, token: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base_url, token=token, timeout=10.0)


def tokens_signed_by(key: SigningKey, *, issuer: str = ISSUER, audience: str = AUDIENCE) -> Any:
    """JwtAccessTokens whose signing key is `key` (a store stand-in; never touches the folder)."""

    class OneKey(KeyStore):
        def published(self) -> list[SigningKey]:
            return [key]

    return JwtAccessTokens(OneKey(Path("/nonexistent")), issuer, audience, 900)


@pytest.fixture(scope="module")
def service_key(user_service_keys_dir: Path) -> SigningKey:
    return KeyStore(user_service_keys_dir).signing_key()


@pytest.fixture(scope="module")
def bad_tokens(service_key: SigningKey, admin_client: AuthenticatedClient) -> dict[str, str]:
    """Tokens of the bootstrap admin that must all be refused (401), by reason."""
    me = get_current_user.sync(client=admin_client)
    assert isinstance(me, User)
    good = tokens_signed_by(service_key)
    other_key = SigningKey(service_key.kid, Ed25519PrivateKey.generate())  # same kid, other key
    unknown_kid = SigningKey("20260101T000000Z-00000000", Ed25519PrivateKey.generate())
    long_ago = utc_now() - timedelta(hours=1)
    hs256 = jwt.encode(
        {"sub": str(me.id), "role": "admin", "iss": ISSUER, "aud": AUDIENCE, "exp": 2**40},
        "secret" * 8,
        algorithm="HS256",
        headers={"kid": service_key.kid},
    )
    return {
        "expired": good.issue(me.id, Role.ADMIN, now=long_ago),
        "signed by another key": tokens_signed_by(other_key).issue(me.id, Role.ADMIN),
        "unknown kid": tokens_signed_by(unknown_kid).issue(me.id, Role.ADMIN),
        "wrong audience": tokens_signed_by(service_key, audience="urn:other").issue(
            me.id, Role.ADMIN
        ),
        "wrong issuer": tokens_signed_by(service_key, issuer="urn:evil").issue(me.id, Role.ADMIN),
        "hs256 with the kid": hs256,
        "garbage": "not.a.jwt",
        "unknown user": good.issue(uuid.uuid4(), Role.ADMIN),
    }


def protected_calls(client: Any, user_id: str) -> dict[str, Callable[[], Any]]:
    """Every operation that requires a token, called through the generated client."""
    return {
        "listUsers": lambda: list_users.sync_detailed(client=client),
        "getCurrentUser": lambda: get_current_user.sync_detailed(client=client),
        "getUser": lambda: get_user.sync_detailed(user_id, client=client),
        "updateUser": lambda: update_user.sync_detailed(
            user_id, client=client, body=UserUpdate(full_name="X")
        ),
        "deleteUser": lambda: delete_user.sync_detailed(user_id, client=client),
    }


def assert_401(response: Any, *, error: bool) -> None:
    assert response.status_code == 401, response.content
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="user-management"')
    assert ('error="invalid_token"' in challenge) is error
    assert isinstance(response.parsed, Problem)


# --- authentication -------------------------------------------------------------------------


def test_every_protected_operation_without_a_token_is_401_with_a_bare_challenge(
    user_client: Client, customer: Customer
) -> None:
    for name, call in protected_calls(user_client, customer.id).items():
        response = call()
        assert response.status_code == 401, name
        assert_401(response, error=False)


@pytest.mark.parametrize(
    "reason",
    [
        "expired",
        "signed by another key",
        "unknown kid",
        "wrong audience",
        "wrong issuer",
        "hs256 with the kid",
        "garbage",
        "unknown user",
    ],
)
def test_every_protected_operation_refuses_a_bad_token_with_401_invalid_token(
    user_service: ServerProcess, bad_tokens: dict[str, str], customer: Customer, reason: str
) -> None:
    client = as_client(user_service.url, bad_tokens[reason])
    for call in protected_calls(client, customer.id).values():
        assert_401(call(), error=True)
    # a token that is sent must be valid, even where it is optional
    body = UserCreate(
        email=f"x-{uuid.uuid4().hex}@example.com", full_name="X", password="long enough pw"
    )
    assert_401(create_user.sync_detailed(client=client, body=body), error=True)


def test_a_non_bearer_authorization_header_is_401(user_service: ServerProcess) -> None:
    response = httpx.get(user_service.url + "/users/me", headers={"Authorization": "Basic YTpi"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_login_issues_an_eddsa_token_with_the_agreed_claims(
    user_client: Client, user_service: ServerProcess
) -> None:
    response = create_token.sync_detailed(
        client=user_client,
        body=TokenRequest(username="ADMIN@example.com ", password=services.DEV_ADMIN_PASSWORD),
    )
    assert response.status_code == 200, response.content
    assert response.headers["cache-control"] == "no-store"
    tokens = response.parsed
    assert isinstance(tokens, TokenResponse)
    assert (tokens.token_type, tokens.refresh_expires_in) == ("Bearer", 2592000)

    jwks = get_jwks.sync_detailed(client=user_client)
    assert jwks.headers["cache-control"] == "public, max-age=300"
    header = jwt.get_unverified_header(tokens.access_token)
    assert header["alg"] == "EdDSA"
    [jwk] = [k for k in jwks.parsed.to_dict()["keys"] if k["kid"] == header["kid"]]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    claims = jwt.decode(
        tokens.access_token,
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    me = get_current_user.sync(client=as_client(user_service.url, tokens.access_token))
    assert isinstance(me, User)
    assert claims["sub"] == str(me.id)
    assert claims["role"] == "admin"
    assert claims["exp"] - claims["iat"] == tokens.expires_in
    assert len(claims["jti"]) >= 16
    assert "private" not in str(jwks.parsed.to_dict())
    assert "d" not in jwk


def test_unknown_email_and_wrong_password_get_the_same_answer(
    user_service: ServerProcess, customer: Customer
) -> None:
    def attempt(email: str) -> httpx.Response:
        return httpx.post(
            user_service.url + "/auth/token", data={"username": email, "password": "wrong pw 123"}
        )

    wrong = attempt(customer.email)
    unknown = attempt(f"nobody-{uuid.uuid4().hex}@example.com")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="user-management"'
    strip = {"request_id"}
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }


def test_login_with_an_unknown_email_takes_as_long_as_with_a_wrong_password(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    """The unknown email is checked against a dummy Argon2 hash: no timing oracle. Measured
    as medians of interleaved attempts (distinct accounts, below the throttling limit)."""
    accounts = [make_customer().email for _ in range(3)]
    url = user_service.url + "/auth/token"
    wrong: list[float] = []
    unknown: list[float] = []
    with httpx.Client() as http:
        for round_ in range(4):
            for email in accounts:
                r = http.post(url, data={"username": email, "password": f"nope {round_}"})
                wrong.append(r.elapsed.total_seconds())
                r = http.post(
                    url, data={"username": f"ghost-{uuid.uuid4().hex}@x.com", "password": "nope"}
                )
                unknown.append(r.elapsed.total_seconds())
    wrong.sort()
    unknown.sort()
    median_wrong, median_unknown = wrong[len(wrong) // 2], unknown[len(unknown) // 2]
    # Without the dummy hash an unknown email answers in ~1 ms against ~30+ ms for Argon2id.
    assert median_unknown > 0.5 * median_wrong, (median_unknown, median_wrong)


def test_token_request_must_be_form_encoded_and_complete(user_service: ServerProcess) -> None:
    url = user_service.url + "/auth/token"
    as_json = httpx.post(url, json={"username": "a@example.com", "password": "x"})
    assert as_json.status_code == 415
    missing = httpx.post(url, data={"username": "a@example.com"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"body.password"}
    grant = httpx.post(
        url, data={"grant_type": "authorization_code", "username": "a", "password": "b"}
    )
    assert grant.status_code == 422
    assert {e["field"] for e in grant.json()["errors"]} == {"body.grant_type"}


def test_swagger_ui_style_login_with_empty_client_fields_works(
    user_service: ServerProcess,
) -> None:
    """Swagger UI's Authorize dialog posts grant_type, username, password and may add
    client_id/client_secret/scope; the spec's password flow points at this endpoint."""
    spec = httpx.get(user_service.url + "/openapi.json").json()
    flow = spec["components"]["securitySchemes"]["OAuth2Password"]["flows"]["password"]
    assert flow["tokenUrl"] == "/auth/token"
    response = httpx.post(
        user_service.url + flow["tokenUrl"],
        data={
            "grant_type": "password",
            "username": services.DEV_ADMIN_EMAIL,
            "password": services.DEV_ADMIN_PASSWORD,
            "client_id": "",
            "client_secret": "",
            "scope": "",
        },
    )
    assert response.status_code == 200, response.text


# --- refresh and logout ---------------------------------------------------------------------


def refresh(client: Client, token: str) -> Any:
    return refresh_token.sync_detailed(client=client, body=RefreshRequest(refresh_token=token))


def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    user_client: Client, make_customer: Callable[..., Customer]
) -> None:
    first = make_customer().refresh_token
    rotated = refresh(user_client, first)
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    second = rotated.parsed.refresh_token
    assert second != first
    third = refresh(user_client, second).parsed.refresh_token  # the chain goes on

    reused = refresh(user_client, first)  # a thief replays the first token
    assert_401(reused, error=True)
    assert "revoked" in reused.parsed.detail
    # the legitimate holder of the newest token is logged out too
    assert refresh(user_client, third).status_code == 401


def test_logout_revokes_the_family_and_is_idempotent(
    user_client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    newer = refresh(user_client, customer.refresh_token).parsed.refresh_token
    body = RefreshRequest(refresh_token=customer.refresh_token)  # an old token of the family
    assert revoke_token.sync_detailed(client=user_client, body=body).status_code == 204
    assert refresh(user_client, newer).status_code == 401
    assert revoke_token.sync_detailed(client=user_client, body=body).status_code == 204
    unknown = RefreshRequest(refresh_token="never-issued")
    assert revoke_token.sync_detailed(client=user_client, body=unknown).status_code == 204


def test_unknown_refresh_token_is_401(user_client: Client) -> None:
    assert_401(refresh(user_client, "x" * 43), error=True)


def test_refresh_tokens_are_stored_hashed(
    user_service_database_url: str, make_customer: Callable[..., Customer]
) -> None:
    from sqlalchemy import create_engine, text

    customer = make_customer()
    engine = create_engine(user_service_database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT token_hash FROM ums_refresh_tokens")).scalars().all()
    finally:
        engine.dispose()
    assert customer.refresh_token not in stored
    import hashlib

    assert hashlib.sha256(customer.refresh_token.encode()).hexdigest() in stored


def test_new_password_and_deactivation_end_the_sessions(
    user_service: ServerProcess, user_client: Client, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    me = as_client(user_service.url, customer.token)
    changed = update_user.sync_detailed(
        customer.id,
        client=me,
        body=UserUpdate(password="a brand new passphrase", current_password=customer.password),
    )
    assert changed.status_code == 200
    assert refresh(user_client, customer.refresh_token).status_code == 401

    other = make_customer()
    assert (
        delete_user.sync_detailed(
            other.id, client=as_client(user_service.url, other.token)
        ).status_code
        == 204
    )
    assert_401(
        get_current_user.sync_detailed(client=as_client(user_service.url, other.token)), error=True
    )
    assert refresh(user_client, other.refresh_token).status_code == 401
    login = create_token.sync_detailed(
        client=user_client, body=TokenRequest(username=other.email, password=other.password)
    )
    assert login.status_code == 401


def test_changing_ones_own_password_needs_the_current_one_and_a_wrong_one_is_throttled(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    me = as_client(user_service.url, customer.token)
    new = "another long passphrase"
    for sent, message in ((UNSET, "Send your current password"), ("not it at all", "not your")):
        refused = update_user.sync_detailed(
            customer.id, client=me, body=UserUpdate(password=new, current_password=sent)
        )
        assert refused.status_code == 422
        problem = json.loads(refused.content)
        assert [e["field"] for e in problem["errors"]] == ["body.current_password"]
        assert message in problem["detail"]
    # A stolen access token is no way to guess the password: wrong ones count as failed logins.
    statuses = [
        update_user.sync_detailed(
            customer.id, client=me, body=UserUpdate(password=new, current_password=f"guess {i}")
        ).status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429, statuses
    with httpx.Client(base_url=user_service.url) as http:  # nothing changed meanwhile
        token = http.post(
            "/auth/token", data={"username": customer.email, "password": customer.password}
        )
    assert token.status_code == 429  # this address waits for this account now


def test_an_admin_resets_another_users_password_without_knowing_it(
    user_service: ServerProcess, admin_client: AuthenticatedClient,
    make_customer: Callable[..., Customer],
) -> None:  # fmt: skip
    customer = make_customer()
    reset = update_user.sync_detailed(
        customer.id, client=admin_client, body=UserUpdate(password="set by the admin 42")
    )
    assert reset.status_code == 200
    with httpx.Client(base_url=user_service.url) as http:
        login = http.post(
            "/auth/token", data={"username": customer.email, "password": "set by the admin 42"}
        )
    assert login.status_code == 200


# --- authorization --------------------------------------------------------------------------


def test_a_customer_reads_updates_and_sees_only_themself(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer()
    me = as_client(user_service.url, customer.token)
    current = get_current_user.sync(client=me)
    assert isinstance(current, User)
    assert (str(current.id), current.email, current.role) == (
        customer.id,
        customer.email,
        "customer",
    )
    assert get_user.sync_detailed(customer.id, client=me).status_code == 200
    renamed = update_user.sync(customer.id, client=me, body=UserUpdate(full_name="Me Myself"))
    assert isinstance(renamed, User)
    assert renamed.full_name == "Me Myself"


def test_a_customer_acting_on_another_user_gets_404_like_an_unknown_id(
    user_service: ServerProcess, make_customer: Callable[..., Customer]
) -> None:
    alice, bob = make_customer(), make_customer()
    as_alice = as_client(user_service.url, alice.token)
    for target in (bob.id, str(uuid.uuid4())):
        for name, call in protected_calls(as_alice, target).items():
            if name in {"listUsers", "getCurrentUser"}:
                continue
            response = call()
            assert response.status_code == 404, (name, response.content)
            assert isinstance(response.parsed, Problem)
    # and bob is untouched
    still = get_current_user.sync(client=as_client(user_service.url, bob.token))
    assert isinstance(still, User)
    assert still.status == "active"
    assert still.full_name != "X"


def test_only_an_admin_lists_users(
    user_service: ServerProcess, customer: Customer, admin_client: AuthenticatedClient
) -> None:
    refused = list_users.sync_detailed(client=as_client(user_service.url, customer.token))
    assert refused.status_code == 403
    assert isinstance(refused.parsed, Problem)
    assert list_users.sync_detailed(client=admin_client).status_code == 200


def test_role_escalation_through_patch_is_refused(
    user_service: ServerProcess, make_customer: Callable[..., Customer], user_client: Client
) -> None:
    customer = make_customer()
    me = as_client(user_service.url, customer.token)
    for role in ("admin", "customer"):
        response = update_user.sync_detailed(customer.id, client=me, body=UserUpdate(role=role))
        assert response.status_code == 403, response.content
    raw = httpx.patch(
        f"{user_service.url}/users/{customer.id}",
        json={"role": "admin", "full_name": "Sneaky"},
        headers=customer.headers,
    )
    assert raw.status_code == 403
    after = get_current_user.sync(client=me)
    assert isinstance(after, User)
    assert (after.role, after.full_name) == ("customer", "Test Customer")
    # a token minted later carries role customer still
    login = create_token.sync(
        client=user_client, body=TokenRequest(username=customer.email, password=customer.password)
    )
    assert isinstance(login, TokenResponse)
    assert jwt.decode(login.access_token, options={"verify_signature": False})["role"] == "customer"


def test_registration_is_open_but_only_an_admin_creates_admins(
    user_client: Client,
    user_service: ServerProcess,
    customer: Customer,
    admin_client: AuthenticatedClient,
) -> None:
    def body(role: UserCreateRole | None = None) -> UserCreate:
        email = f"new-{uuid.uuid4().hex[:10]}@example.com"
        new = UserCreate(email=email, full_name="New", password="a fine passphrase")
        if role is not None:
            new.role = role
        return new

    anonymous = create_user.sync(client=user_client, body=body())
    assert isinstance(anonymous, User)
    assert anonymous.role == "customer"
    assert create_user.sync_detailed(client=user_client, body=body("admin")).status_code == 403
    as_customer = as_client(user_service.url, customer.token)
    assert create_user.sync_detailed(client=as_customer, body=body("admin")).status_code == 403
    made = create_user.sync(client=admin_client, body=body("admin"))
    assert isinstance(made, User)
    assert made.role == "admin"


def test_an_admin_promotes_a_customer_and_the_role_applies_at_once(
    user_service: ServerProcess,
    make_customer: Callable[..., Customer],
    admin_client: AuthenticatedClient,
) -> None:
    customer = make_customer()
    me = as_client(user_service.url, customer.token)
    assert list_users.sync_detailed(client=me).status_code == 403
    promoted = update_user.sync(customer.id, client=admin_client, body=UserUpdate(role="admin"))
    assert isinstance(promoted, User)
    assert promoted.role == "admin"
    # the user service reads the current role: the customer-era token now lists users
    assert list_users.sync_detailed(client=me).status_code == 200
    demoted = update_user.sync(customer.id, client=admin_client, body=UserUpdate(role="customer"))
    assert isinstance(demoted, User)
    assert demoted.role == "customer"
    assert list_users.sync_detailed(client=me).status_code == 403


def test_an_admin_cannot_deactivate_or_demote_themself_but_another_admin_can(
    user_service: ServerProcess,
    make_customer: Callable[..., Customer],
    admin_client: AuthenticatedClient,
) -> None:
    second = make_customer()
    assert (
        update_user.sync_detailed(
            second.id, client=admin_client, body=UserUpdate(role="admin")
        ).status_code
        == 200
    )
    me = as_client(user_service.url, second.token)
    demote_self = update_user.sync_detailed(second.id, client=me, body=UserUpdate(role="customer"))
    assert demote_self.status_code == 409
    assert delete_user.sync_detailed(second.id, client=me).status_code == 409
    renamed = update_user.sync(second.id, client=me, body=UserUpdate(full_name="Still admin"))
    assert isinstance(renamed, User)
    assert renamed.role == "admin"
    # another admin may do both
    assert (
        update_user.sync_detailed(
            second.id, client=admin_client, body=UserUpdate(role="customer")
        ).status_code
        == 200
    )
    assert delete_user.sync_detailed(second.id, client=admin_client).status_code == 204


def test_weak_passwords_are_422_naming_the_password(
    user_service: ServerProcess, customer: Customer
) -> None:
    for password in ("short", "password123", "Qwertyuiop", "1234567890"):
        response = httpx.patch(
            f"{user_service.url}/users/{customer.id}",
            json={"password": password},
            headers=customer.headers,
        )
        assert response.status_code == 422, password
        assert [e["field"] for e in response.json()["errors"]] == ["body.password"]


def test_an_email_that_grows_when_lower_cased_is_422_not_a_database_error(
    user_service: ServerProcess,
) -> None:
    email = "\u0130" * 200 + "@example.com"  # 212 characters, 412 once lower-cased
    body = {"email": email, "full_name": "Long", "password": "a fine passphrase"}
    response = httpx.post(user_service.url + "/users", json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.email"]
