"""The real service (gunicorn, fresh database) through the GENERATED client and raw HTTP.

The users CRUD as the bootstrap admin (AuthenticatedClient); what customers and anonymous
callers may do is proven in test_auth.py and test_authorization.py."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from user_management_client import AuthenticatedClient, Client
from user_management_client.api.health import get_health, get_readiness
from user_management_client.api.users import (
    create_user,
    delete_user,
    get_user,
    list_users,
    update_user,
)
from user_management_client.models import Problem, User, UserCreate, UserPage, UserUpdate

from devstack.processes import ServerProcess

PASSWORD = "correct horse battery"


def unique_email(tag: str = "user") -> str:
    return f"{tag}.{uuid.uuid4().hex[:12]}@Example.COM"


def create(
    client: AuthenticatedClient, email: str | None = None, name: str = "Ada Lovelace"
) -> User:
    body = UserCreate(email=email or unique_email(), full_name=name, password=PASSWORD)
    response = create_user.sync_detailed(client=client, body=body)
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, User)
    return response.parsed


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status"} <= set(body)
    return body


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


def test_full_crud_flow_through_the_generated_client(admin_client: AuthenticatedClient) -> None:
    email = unique_email("ada")
    created = create_user.sync_detailed(
        client=admin_client, body=UserCreate(email=email, full_name="Ada", password=PASSWORD)
    )
    assert created.status_code == 201
    user = created.parsed
    assert isinstance(user, User)
    assert created.headers["location"] == f"/users/{user.id}"
    assert user.email == email.lower()
    assert (user.role, user.status, user.deactivated_at) == ("customer", "active", None)
    assert user.created_at.tzinfo is not None
    assert b"password" not in created.content

    fetched = get_user.sync(str(user.id), client=admin_client)
    assert isinstance(fetched, User)
    assert fetched.to_dict() == user.to_dict()

    updated = update_user.sync(
        str(user.id), client=admin_client, body=UserUpdate(full_name="Ada King")
    )
    assert isinstance(updated, User)
    assert (updated.full_name, updated.email) == ("Ada King", user.email)
    assert updated.updated_at > user.updated_at

    page = list_users.sync(client=admin_client, email=email)
    assert isinstance(page, UserPage)
    assert [u.id for u in page.data] == [user.id]

    deleted = delete_user.sync_detailed(str(user.id), client=admin_client)
    assert deleted.status_code == 204
    assert delete_user.sync_detailed(str(user.id), client=admin_client).status_code == 204
    gone = get_user.sync_detailed(str(user.id), client=admin_client)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, Problem)

    audit = list_users.sync(client=admin_client, email=email, status="deactivated")
    assert isinstance(audit, UserPage)
    [kept] = audit.data
    assert kept.status == "deactivated"
    assert kept.deactivated_at is not None
    assert kept.full_name == "Ada King"


def test_duplicate_email_in_any_case_is_409_naming_the_field(
    admin_client: AuthenticatedClient,
) -> None:
    email = unique_email("dup")
    create(admin_client, email)
    response = create_user.sync_detailed(
        client=admin_client,
        body=UserCreate(email=email.upper(), full_name="Other", password=PASSWORD),
    )
    assert response.status_code == 409
    assert isinstance(response.parsed, Problem)
    assert [e.field for e in response.parsed.errors] == ["body.email"]


def test_email_is_free_again_after_delete(admin_client: AuthenticatedClient) -> None:
    email = unique_email("reuse")
    first = create(admin_client, email)
    assert delete_user.sync_detailed(str(first.id), client=admin_client).status_code == 204
    second = create(admin_client, email)
    assert second.id != first.id
    both = list_users.sync(client=admin_client, email=email)
    assert isinstance(both, UserPage)
    assert [(u.id, u.status) for u in both.data] == [
        (first.id, "deactivated"),
        (second.id, "active"),
    ]


def test_update_to_an_email_taken_by_another_active_user_is_409(
    admin_client: AuthenticatedClient,
) -> None:
    ada, bob = create(admin_client), create(admin_client)
    response = update_user.sync_detailed(
        str(ada.id), client=admin_client, body=UserUpdate(email=bob.email.upper())
    )
    assert response.status_code == 409


def test_unknown_or_malformed_user_id_is_404_problem(
    user_service: ServerProcess, admin_token: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    for path in (f"/users/{uuid.uuid4()}", "/users/not-a-uuid", "/users/%00"):
        for method in ("GET", "PATCH", "DELETE"):
            kwargs: dict[str, Any] = {"json": {"full_name": "x"}} if method == "PATCH" else {}
            response = httpx.request(method, user_service.url + path, headers=headers, **kwargs)
            problem_of(response, 404)


def test_pagination_walks_every_user_exactly_once(admin_client: AuthenticatedClient) -> None:
    mine = {create(admin_client, unique_email("page")).id for _ in range(25)}
    seen: list[uuid.UUID] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = list_users.sync(
            client=admin_client, limit=7, **({"cursor": cursor} if cursor else {})
        )
        assert isinstance(page, UserPage)
        assert len(page.data) <= 7
        seen += [u.id for u in page.data]
        pages += 1
        if not isinstance(page.next_cursor, str):
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen))
    assert mine <= set(seen)
    assert pages >= 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "full_name": "A", "password": PASSWORD}, "body.email"),
        ({"email": "a@example.com", "full_name": "A", "password": "short"}, "body.password"),
        ({"email": "a@example.com", "full_name": "", "password": PASSWORD}, "body.full_name"),
        (
            {"email": "a@example.com", "full_name": "A\u0000B", "password": PASSWORD},
            "body.full_name",
        ),
        ({"email": "a\u0000@example.com", "full_name": "A", "password": PASSWORD}, "body.email"),
        ({"email": "a@example.com", "full_name": "A", "password": "p" * 129}, "body.password"),
        ({"email": "a@example.com", "full_name": "A", "password": "qwertyuiop"}, "body.password"),
        (
            {"email": "a@example.com", "full_name": "A", "password": PASSWORD, "role": "root"},
            "body.role",
        ),
        ({"full_name": "A", "password": PASSWORD}, "body.email"),
        ({"email": 5, "full_name": "A", "password": PASSWORD}, "body.email"),
    ],
)
def test_invalid_create_is_422_naming_the_field(
    user_service: ServerProcess, body: dict[str, Any], field: str
) -> None:
    problem = problem_of(httpx.post(user_service.url + "/users", json=body), 422)
    assert field in fields_of(problem)


def test_lone_surrogate_in_a_string_is_422_not_500(user_service: ServerProcess) -> None:
    raw = b'{"email": "a@example.com", "full_name": "\\ud800", "password": "password1"}'
    response = httpx.post(
        user_service.url + "/users", content=raw, headers={"Content-Type": "application/json"}
    )
    assert "body.full_name" in fields_of(problem_of(response, 422))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "query.limit"),
        ("limit=101", "query.limit"),
        ("limit=abc", "query.limit"),
        ("cursor=abc", "query.cursor"),
        ("cursor=" + "9" * 500, "query.cursor"),
        ("status=gone", "query.status"),
        ("email=%00", "query.email"),
    ],
)
def test_bad_listing_query_is_422(
    user_service: ServerProcess, admin_token: str, query: str, field: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    problem = problem_of(httpx.get(f"{user_service.url}/users?{query}", headers=headers), 422)
    assert field in fields_of(problem)


def test_body_problems_malformed_wrong_type_missing_too_large(user_service: ServerProcess) -> None:
    url = user_service.url + "/users"
    json_header = {"Content-Type": "application/json"}
    problem_of(httpx.post(url, content=b'{"email": ', headers=json_header), 400)
    problem_of(httpx.post(url, content=b"email=a", headers={"Content-Type": "text/plain"}), 415)
    assert fields_of(problem_of(httpx.post(url), 422)) == {"body"}
    assert fields_of(problem_of(httpx.post(url, content=b"[]", headers=json_header), 422)) == {
        "body"
    }
    problem_of(
        httpx.post(url, content=b'{"x": "' + b"a" * 200_000 + b'"}', headers=json_header), 413
    )


def test_unknown_route_and_wrong_method_are_problems(user_service: ServerProcess) -> None:
    problem_of(httpx.get(user_service.url + "/nothing-here"), 404)
    response = httpx.put(user_service.url + "/users")
    problem_of(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }
    response = httpx.post(f"{user_service.url}/users/{uuid.uuid4()}", json={})
    problem_of(response, 405)
    assert {"GET", "PATCH", "DELETE"} <= set(response.headers["allow"].replace(" ", "").split(","))


def test_request_id_is_echoed_when_sane_and_generated_otherwise(
    user_service: ServerProcess,
) -> None:
    ok = httpx.get(user_service.url + "/healthz", headers={"X-Request-ID": "abc-123"})
    assert ok.headers["x-request-id"] == "abc-123"
    odd = httpx.get(user_service.url + "/nothing", headers={"X-Request-ID": "a b<script>"})
    assert odd.headers["x-request-id"] != "a b<script>"
    assert problem_of(odd, 404)["request_id"] == odd.headers["x-request-id"]


def test_health_readiness_docs_and_contract_are_served(
    user_client: Client, user_service: ServerProcess
) -> None:
    assert get_health.sync_detailed(client=user_client).status_code == 200
    assert get_readiness.sync_detailed(client=user_client).status_code == 200
    docs = httpx.get(user_service.url + "/docs")
    assert docs.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert "http" not in docs.text.replace("http-equiv", "")  # no CDN
    assert httpx.get(user_service.url + "/docs/assets/swagger-ui-bundle.js").status_code == 200
    contract = httpx.get(user_service.url + "/openapi.json").json()
    assert contract["openapi"] == "3.1.0"
    assert contract["servers"] == [{"url": user_service.url}]
    assert "createUser" in httpx.get(user_service.url + "/openapi.json").text
