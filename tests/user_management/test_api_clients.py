"""API clients and the client-credentials grant: the domain's rules (with fakes) and what the
running service answers to admins, customers and machines."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from devstack.processes import ServerProcess
from tests.fixtures.auth import Customer
from tests.user_management.fakes import FakeAccessTokens, FakeUnitOfWork
from user_management_service.adapters.jwt_tokens import JwtAccessTokens
from user_management_service.adapters.keys import KeyStore
from user_management_service.domain.access_tokens import ClientPrincipal
from user_management_service.domain.api_clients import ApiClientService, ClientStatus
from user_management_service.domain.audit import Actor, ActorKind, AuditAction
from user_management_service.domain.errors import (
    InvalidClientError,
    InvalidScopeError,
    InvalidTokenError,
)

ADMIN = Actor(ActorKind.USER, uuid.uuid4(), is_admin=True, address="203.0.113.7")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def tokens() -> FakeAccessTokens:
    return FakeAccessTokens()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clients(uow: FakeUnitOfWork, tokens: FakeAccessTokens, clock: Clock) -> ApiClientService:
    return ApiClientService(uow, tokens, clock)


def test_the_secret_is_stored_only_as_its_hash_and_gets_a_token_with_the_clients_scopes(
    uow: FakeUnitOfWork, tokens: FakeAccessTokens, clients: ApiClientService
) -> None:
    created = clients.create("Backend", ["payments:read", "users:read"], None, ADMIN)
    client_id = created.client.id
    assert client_id.startswith("cli_")
    assert created.secret.startswith("cs_")
    assert created.secret not in repr(uow.api_clients.rows)
    token = clients.issue_token(client_id, created.secret, None)
    assert token.scope == "payments:read users:read"
    caller = tokens.verify(token.access_token)
    assert caller == ClientPrincipal(client_id, frozenset({"payments:read", "users:read"}),
                                     caller.token_id)  # fmt: skip
    assert clients.get(client_id).last_used_at is not None


def test_a_client_may_ask_for_some_of_its_scopes_but_not_for_others(
    clients: ApiClientService,
) -> None:
    created = clients.create("Backend", ["payments:read", "users:read"], None, ADMIN)
    narrow = clients.issue_token(created.client.id, created.secret, "users:read")
    assert narrow.scope == "users:read"
    with pytest.raises(InvalidScopeError, match="products:write"):
        clients.issue_token(created.client.id, created.secret, "users:read products:write")


@pytest.mark.parametrize("case", ["unknown", "wrong secret", "revoked", "expired"])
def test_unknown_wrong_revoked_and_expired_clients_get_the_same_refusal(
    clients: ApiClientService, clock: Clock, case: str
) -> None:
    expiry = clock.now + timedelta(days=1)
    created = clients.create("Backend", ["payments:read"], expiry, ADMIN)
    client_id, secret = created.client.id, created.secret
    if case == "unknown":
        client_id = "cli_" + "0" * 24
    elif case == "wrong secret":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    elif case == "revoked":
        clients.revoke(client_id, ADMIN)
    else:
        clock.now = expiry
    with pytest.raises(InvalidClientError) as refused:
        clients.issue_token(client_id, secret, None)
    assert str(refused.value) == "The client id or the client secret is wrong."


def test_creation_refuses_unknown_scopes_and_a_past_expiry(
    clients: ApiClientService, clock: Clock
) -> None:
    with pytest.raises(InvalidScopeError) as unknown:
        clients.create("Backend", ["payments:delete"], None, ADMIN)
    assert unknown.value.field == "body.scopes"
    with pytest.raises(InvalidScopeError) as past:
        clients.create("Backend", ["payments:read"], clock.now, ADMIN)
    assert past.value.field == "body.expires_at"


def test_creation_and_the_first_revocation_are_audited_never_the_secret(
    uow: FakeUnitOfWork, clients: ApiClientService
) -> None:
    created = clients.create("Backend", ["audit:read"], None, ADMIN)
    clients.revoke(created.client.id, ADMIN)
    clients.revoke(created.client.id, ADMIN)  # again: nothing changes, nothing recorded
    assert [(e.action, e.actor, e.target_id) for e in uow.audit.events] == [
        (AuditAction.API_CLIENT_CREATED, ADMIN, None),
        (AuditAction.API_CLIENT_REVOKED, ADMIN, None),
    ]
    assert uow.audit.events[0].details == {
        "client_id": created.client.id, "name": "Backend", "scopes": "audit:read",
    }  # fmt: skip
    assert clients.get(created.client.id).status(datetime.now(UTC)) is ClientStatus.REVOKED


# The running service


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_client(user_service: ServerProcess, admin_token: str) -> Callable[..., dict[str, str]]:
    def make(*scopes: str, expires_at: str | None = None) -> dict[str, str]:
        body: dict[str, object] = {"name": "Test backend", "scopes": list(scopes)}
        if expires_at is not None:
            body["expires_at"] = expires_at
        answer = httpx.post(
            f"{user_service.url}/api-clients", json=body, headers=bearer(admin_token)
        )
        assert answer.status_code == 201, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        created: dict[str, str] = answer.json()
        assert answer.headers["Location"] == f"/api-clients/{created['id']}"
        return created

    return make


def client_token(url: str, client: dict[str, str], scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return httpx.post(f"{url}/auth/token", data=form,
                      auth=(client["id"], client["client_secret"]))  # fmt: skip


def machine_headers(url: str, client: dict[str, str]) -> dict[str, str]:
    return bearer(client_token(url, client).json()["access_token"])


def test_a_client_gets_a_token_by_http_basic_or_by_the_body_without_a_refresh_token(
    user_service: ServerProcess, make_client: Callable[..., dict[str, str]]
) -> None:
    client = make_client("users:read", "payments:read")
    basic = client_token(user_service.url, client)
    assert basic.status_code == 200, basic.text
    assert basic.headers["Cache-Control"] == "no-store"
    answer = basic.json()
    assert set(answer) == {"access_token", "token_type", "expires_in", "scope"}
    assert answer["scope"] == "users:read payments:read"
    in_body = httpx.post(f"{user_service.url}/auth/token", data={
        "grant_type": "client_credentials", "client_id": client["id"],
        "client_secret": client["client_secret"], "scope": "users:read",
    })  # fmt: skip
    assert in_body.status_code == 200
    assert in_body.json()["scope"] == "users:read"


def test_a_wrong_secret_is_401_with_a_basic_challenge_and_both_ways_at_once_are_refused(
    user_service: ServerProcess, make_client: Callable[..., dict[str, str]]
) -> None:
    client = make_client("users:read")
    wrong = httpx.post(f"{user_service.url}/auth/token", data={"grant_type": "client_credentials"},
                       auth=(client["id"], "cs_wrong"))  # fmt: skip
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Basic ")
    assert wrong.headers["Content-Type"] == "application/problem+json"
    both = httpx.post(
        f"{user_service.url}/auth/token",
        data={"grant_type": "client_credentials", "client_id": client["id"],
              "client_secret": client["client_secret"]},
        auth=(client["id"], client["client_secret"]),
    )  # fmt: skip
    assert both.status_code == 401
    none = httpx.post(f"{user_service.url}/auth/token", data={"grant_type": "client_credentials"})
    assert none.status_code == 401


def test_a_scope_the_client_does_not_hold_is_422_on_the_scope_field(
    user_service: ServerProcess, make_client: Callable[..., dict[str, str]]
) -> None:
    answer = client_token(user_service.url, make_client("users:read"), "users:read audit:read")
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["body.scope"]


def test_a_machine_reads_users_with_users_read_and_nothing_its_scopes_do_not_cover(
    user_service: ServerProcess,
    make_client: Callable[..., dict[str, str]],
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer()
    reader = bearer(
        client_token(user_service.url, make_client("users:read")).json()["access_token"]
    )
    assert httpx.get(f"{user_service.url}/users/{customer.id}", headers=reader).status_code == 200
    assert httpx.get(f"{user_service.url}/users", headers=reader).status_code == 200
    audit = httpx.get(f"{user_service.url}/audit/access-events", headers=reader)
    assert audit.status_code == 403
    assert audit.headers["WWW-Authenticate"] == (
        'Bearer realm="user-management", error="insufficient_scope", scope="audit:read"'
    )
    assert "audit:read" in audit.json()["detail"]
    auditor = bearer(
        client_token(user_service.url, make_client("audit:read")).json()["access_token"]
    )
    assert httpx.get(f"{user_service.url}/users/{customer.id}", headers=auditor).status_code == 403
    assert httpx.get(f"{user_service.url}/audit/access-events", headers=auditor).status_code == 200


def test_a_machine_token_cannot_act_as_a_person(
    user_service: ServerProcess, make_client: Callable[..., dict[str, str]]
) -> None:
    machine = machine_headers(user_service.url, make_client(*ALL_USER_SCOPES))
    assert httpx.get(f"{user_service.url}/users/me", headers=machine).status_code == 403
    create = httpx.post(
        f"{user_service.url}/api-clients",
        json={"name": "Escalation", "scopes": ["users:read"]},
        headers=machine,
    )
    assert create.status_code == 403
    assert httpx.get(f"{user_service.url}/api-clients", headers=machine).status_code == 403


ALL_USER_SCOPES = ("users:read", "audit:read")


def test_a_revoked_clients_token_and_token_requests_stop_working_at_once(
    user_service: ServerProcess, admin_token: str, make_client: Callable[..., dict[str, str]]
) -> None:
    client = make_client("users:read")
    token = client_token(user_service.url, client).json()["access_token"]
    assert httpx.get(f"{user_service.url}/users", headers=bearer(token)).status_code == 200
    revoked = httpx.post(
        f"{user_service.url}/api-clients/{client['id']}/revoke", headers=bearer(admin_token)
    )
    assert revoked.status_code == 204
    again = httpx.post(
        f"{user_service.url}/api-clients/{client['id']}/revoke", headers=bearer(admin_token)
    )
    assert again.status_code == 204
    refused = httpx.get(f"{user_service.url}/users", headers=bearer(token))
    assert refused.status_code == 401
    assert client_token(user_service.url, client).status_code == 401
    shown = httpx.get(
        f"{user_service.url}/api-clients/{client['id']}", headers=bearer(admin_token)
    ).json()
    assert shown["status"] == "revoked"
    assert shown["revoked_at"] is not None
    assert "client_secret" not in shown


def test_admins_list_clients_without_secrets_and_customers_may_not(
    user_service: ServerProcess,
    admin_token: str,
    make_client: Callable[..., dict[str, str]],
    make_customer: Callable[..., Customer],
) -> None:
    made = make_client("payments:read", expires_at="2099-01-01T00:00:00+00:00")
    listed: list[dict[str, str]] = []
    cursor: str | None = None
    while True:
        page = httpx.get(
            f"{user_service.url}/api-clients",
            params={"limit": 2, **({"cursor": cursor} if cursor else {})},
            headers=bearer(admin_token),
        ).json()
        listed += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    (found,) = [c for c in listed if c["id"] == made["id"]]
    assert found["expires_at"] == "2099-01-01T00:00:00Z"
    assert found["status"] == "active"
    assert all("client_secret" not in c for c in listed)
    customer = make_customer().headers
    assert httpx.get(f"{user_service.url}/api-clients", headers=customer).status_code == 403
    unknown = httpx.get(f"{user_service.url}/api-clients/cli_nope", headers=bearer(admin_token))
    assert unknown.status_code == 404


def test_creation_names_the_field_of_a_bad_scope_or_a_naive_expiry(
    user_service: ServerProcess, admin_token: str
) -> None:
    url = f"{user_service.url}/api-clients"
    bad_scope = httpx.post(url, json={"name": "X", "scopes": ["root"]}, headers=bearer(admin_token))
    assert bad_scope.status_code == 422
    assert [e["field"] for e in bad_scope.json()["errors"]] == ["body.scopes.0"]
    twice = {"name": "X", "scopes": ["users:read", "users:read"]}
    repeated = httpx.post(url, json=twice, headers=bearer(admin_token))
    assert repeated.status_code == 422
    assert [e["field"] for e in repeated.json()["errors"]] == ["body.scopes"]
    naive = httpx.post(
        url,
        json={"name": "X", "scopes": ["users:read"], "expires_at": "2099-01-01T00:00:00"},
        headers=bearer(admin_token),
    )
    assert naive.status_code == 422
    assert [e["field"] for e in naive.json()["errors"]] == ["body.expires_at"]
    past = httpx.post(
        url,
        json={"name": "X", "scopes": ["users:read"], "expires_at": "2001-01-01T00:00:00Z"},
        headers=bearer(admin_token),
    )
    assert past.status_code == 422
    assert [e["field"] for e in past.json()["errors"]] == ["body.expires_at"]


def test_the_client_id_and_secret_may_be_form_url_encoded_inside_basic(
    user_service: ServerProcess, make_client: Callable[..., dict[str, str]]
) -> None:
    """RFC 6749 §2.3.1: the id and secret are form-url-encoded before Basic encodes them."""
    client = make_client("users:read")
    raw = f"{client['id']}:{client['client_secret'].replace('_', '%5F')}".encode()
    answer = httpx.post(
        f"{user_service.url}/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("claims", [
    {"role": "admin"},  # a client's token that also claims a role
    {"sub": "cli_" + "1" * 24},  # a sub that is not the client's
    {"scope": None},  # no scope at all
])  # fmt: skip
def test_a_client_token_must_name_its_client_as_subject_carry_a_scope_and_no_role(
    tmp_path: Path, claims: dict[str, object]
) -> None:
    keys = KeyStore(tmp_path)
    keys.ensure()
    tokens = JwtAccessTokens(keys, "iss", "aud", 900)
    good = tokens.policy.client_claims("cli_" + "0" * 24, ["users:read"], datetime.now(UTC))
    forged = {k: v for k, v in {**good, **claims}.items() if v is not None}
    key = keys.signing_key()
    token = jwt.encode(forged, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})
    with pytest.raises(InvalidTokenError, match="malformed"):
        tokens.verify(token)
    assert isinstance(tokens.verify(tokens.issue_for_client("cli_" + "0" * 24, ["a"])),
                      ClientPrincipal)  # fmt: skip


def test_a_frontend_with_auth_proxy_has_failed_logins_counted_for_its_end_users_address(
    user_service: ServerProcess,
    make_client: Callable[..., dict[str, str]],
    make_customer: Callable[..., Customer],
) -> None:
    """A web frontend signs everyone in from its own address; with auth:proxy it says whose
    attempt it is, so one shopper's guesses slow that shopper, not every shopper."""
    url = f"{user_service.url}/auth/token"
    customer = make_customer()
    proxy = machine_headers(user_service.url, make_client("auth:proxy"))

    def attempt(password: str, address: str) -> int:
        form = {"username": customer.email, "password": password}
        headers = {**proxy, "X-End-User-Address": address}
        return httpx.post(url, data=form, headers=headers).status_code

    assert [attempt("wrong guess", "198.51.100.1") for _ in range(5)] == [401] * 5
    assert attempt(customer.password, "198.51.100.1") == 429  # that address waits
    assert attempt(customer.password, "198.51.100.2") == 200  # another shopper does not
    direct = httpx.post(url, data={"username": customer.email, "password": customer.password})
    assert direct.status_code == 200  # nor the frontend's own address
    bad = httpx.post(url, data={"username": customer.email, "password": customer.password},
                     headers={**proxy, "X-End-User-Address": "not-an-ip"})  # fmt: skip
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["header.X-End-User-Address"]


def test_the_end_user_address_is_ignored_without_a_token_holding_auth_proxy(
    user_service: ServerProcess,
    make_client: Callable[..., dict[str, str]],
    make_customer: Callable[..., Customer],
) -> None:
    url = f"{user_service.url}/auth/token"
    customer = make_customer()
    other = machine_headers(user_service.url, make_client("users:read"))
    for headers in ({}, other, {}, other, {}):  # all counted for this caller's own address
        form = {"username": customer.email, "password": "wrong guess"}
        answer = httpx.post(url, data=form,
                            headers={**headers, "X-End-User-Address": "198.51.100.9"})  # fmt: skip
        assert answer.status_code == 401
    right = {"username": customer.email, "password": customer.password}
    assert httpx.post(url, data=right).status_code == 429
    reset = httpx.post(f"{user_service.url}/auth/password-reset", json={"email": customer.email},
                       headers={**other, "X-End-User-Address": "198.51.100.9"})  # fmt: skip
    assert reset.status_code == 202
