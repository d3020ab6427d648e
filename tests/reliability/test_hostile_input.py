"""Hostile input against both services: 4xx problems, nothing stored, never a 500.

Each case is sent to a real payment service (own stack) and the session user service. A case
passes when the answer is a 4xx (problem+json whenever the application itself answered; the
HTTP server may refuse a malformed request line before the application sees it) and the row
counts of every table are unchanged, except for SQL meta-characters, which are data: they must
be stored verbatim and read back equal, with every table still there.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from devstack.processes import ServerProcess
from tests.reliability.conftest import Stack, custom_body, is_problem, running_stack

pytestmark = pytest.mark.reliability

BIG_BODY_BYTES = 2 * 1024 * 1024  # above both services' request body limits
NESTING_DEPTH = 100_000
HUGE_QUERY_BYTES = 32 * 1024  # httpx refuses URLs above 64 KiB
SQL_META = [
    "'; DROP TABLE pay_payments; --",
    '" OR "1"="1',
    "1); DELETE FROM ums_users WHERE (1=1",
    "%_%\\",
    "Robert'); DROP TABLE ums_users;--",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
]
# Refusals of the HTTP server itself (request line or headers too long), before the application.
SERVER_REFUSALS = (400, 414, 431)
TRAVERSAL_IDS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
    "..%5C..%5Cwindows%5Cwin.ini",
    "%00",
    "%252e%252e%252f",
    "a" * 5000,
]


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    test_database_base_url: str | None,
    users_url: str,
    auth_headers: dict[str, str],
    logs_dir: Path,
) -> Iterator[Stack]:
    from devstack.databases import fresh_database

    tmp = tmp_path_factory.mktemp("hostile")
    with (
        fresh_database(test_database_base_url, tmp, "rel_hostile") as url,
        running_stack(
            name="hostile",
            database_url=url,
            users_url=users_url,
            headers=auth_headers,
            logs_dir=logs_dir,
        ) as running,
    ):
        yield running


def counts(url: str, prefix: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if url.startswith("sqlite"):
                names = [
                    r[0]
                    for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
                ]
            else:
                names = [
                    r[0]
                    for r in conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                ]
            return {
                n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one())  # noqa: S608
                for n in names
                if n.startswith(prefix)
            }
    finally:
        engine.dispose()


@pytest.fixture
def unchanged(stack: Stack, user_service_database_url: str) -> Iterator[None]:
    """Every table of both services has the same row count after the test as before it."""
    before = (counts(stack.database_url, "pay_"), counts(user_service_database_url, "ums_"))
    yield
    after = (counts(stack.database_url, "pay_"), counts(user_service_database_url, "ums_"))
    assert after == before


def assert_refused(response: httpx.Response, *allowed: int) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if allowed:
        assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert is_problem(response), response.headers.get("content-type")


def targets(stack: Stack, user_service: ServerProcess) -> list[tuple[str, str, str]]:
    """(base url, method, path) of every body-taking operation of both services."""
    some_id = str(uuid.uuid4())
    return [
        (stack.url, "POST", "/checkout-sessions"),
        (stack.url, "POST", "/products"),
        (stack.url, "PATCH", f"/products/{some_id}"),
        (stack.url, "POST", f"/payments/{some_id}/refunds"),
        (stack.url, "POST", "/webhooks/stripe"),
        (user_service.url, "POST", "/users"),
        (user_service.url, "PATCH", f"/users/{some_id}"),
    ]


@pytest.mark.usefixtures("unchanged")
def test_oversized_bodies_are_413_problems(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    big = b'{"name": "' + b"x" * BIG_BODY_BYTES + b'"}'
    for base, method, path in targets(stack, user_service):
        headers = {**auth_headers, "content-type": "application/json"}
        response = httpx.request(method, base + path, content=big, headers=headers, timeout=30)
        assert_refused(response, 413)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold streamed too
            for start in range(0, len(big), 65536):
                yield big[start : start + 65536]

        try:
            streamed = httpx.request(
                method, base + path, content=chunks(), headers=headers, timeout=30
            )
        except httpx.HTTPError:
            continue  # the server closed the connection after answering mid-upload: refused
        # Werkzeug cuts a chunked body at MAX_CONTENT_LENGTH, so the user service sees broken
        # JSON (400); the payment service counts the chunks (413). Either way: refused.
        assert_refused(streamed, 413, 400)


@pytest.mark.usefixtures("unchanged")
def test_deeply_nested_json_is_refused(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    for depth in (1000, NESTING_DEPTH):
        nested = ("[" * depth + "]" * depth).encode()
        nested_obj = ('{"a":' * depth + "1" + "}" * depth).encode()
        for body in (nested, nested_obj):
            for base, method, path in targets(stack, user_service):
                response = httpx.request(
                    method,
                    base + path,
                    content=body,
                    headers={**auth_headers, "content-type": "application/json"},
                    timeout=30,
                )
                assert_refused(response)


@pytest.mark.usefixtures("unchanged")
def test_invalid_utf8_bodies_are_refused(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    bodies = [
        b'{"name": "\xff\xfe"}',
        b'{"email": "a\xc3\x28@example.com", "name": "x"}',
        b"\xef\xbb\xbf\xed\xa0\x80",
        b'{"custom_amount": {"amount": 100, "currency": "US\xc0"}}',
    ]
    for body in bodies:
        for base, method, path in targets(stack, user_service):
            response = httpx.request(
                method,
                base + path,
                content=body,
                headers={**auth_headers, "content-type": "application/json"},
                timeout=30,
            )
            assert_refused(response)


def test_huge_query_strings_are_refused_without_a_500(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    for base, path in ((stack.url, "/payments"), (user_service.url, "/users")):
        for size in (4096, HUGE_QUERY_BYTES):
            query = "cursor=" + "a" * size
            response = httpx.get(f"{base}{path}?{query}", headers=auth_headers, timeout=30)
            assert 400 <= response.status_code < 500, response.status_code
            if response.status_code not in SERVER_REFUSALS:
                assert is_problem(response)
        many = "&".join(f"p{i}=1" for i in range(5000))
        response = httpx.get(f"{base}{path}?{many}", headers=auth_headers, timeout=30)
        assert response.status_code < 500


def raw_request(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks: list[bytes] = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_header_injection_is_not_reflected(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    auth = "".join(f"{k}: {v}\r\n" for k, v in auth_headers.items()).encode()
    for base, path in ((stack.url, "/payments"), (user_service.url, "/users")):
        # A CR/LF smuggled into a header value: the request is refused or the value dropped.
        answer = raw_request(
            base,
            f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode()
            + auth
            + b"X-Request-ID: abc\rSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n",
        )
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        assert b"set-cookie: pwned" not in head
        assert not head.startswith(b"http/1.1 5")
        # A request id with separators is not echoed as such.
        response = httpx.get(
            base + path,
            headers={**auth_headers, "X-Request-ID": "abc; evil=<script>"},
            timeout=10,
        )
        assert "<script>" not in response.headers.get("x-request-id", "")
        assert response.status_code < 500


def test_sql_meta_characters_are_stored_as_data(
    stack: Stack,
    user_service: ServerProcess,
    auth_headers: dict[str, str],
    user_service_database_url: str,
) -> None:
    tables_before = (
        set(counts(stack.database_url, "pay_")),
        set(counts(user_service_database_url, "ums_")),
    )
    with httpx.Client(headers=auth_headers, timeout=30) as client:
        for n, meta in enumerate(SQL_META):
            product = client.post(
                f"{stack.url}/products",
                json={
                    "name": meta,
                    "description": meta,
                    "price": {"amount": 100 + n, "currency": "USD"},
                },
            )
            assert product.status_code == 201, product.text
            stored = client.get(f"{stack.url}/products/{product.json()['id']}").json()
            assert (stored["name"], stored["description"]) == (meta, meta)
            checkout = client.post(
                f"{stack.url}/checkout-sessions",
                json={**custom_body(100 + n), "description": meta},
            )
            assert checkout.status_code == 201, checkout.text
            payment = client.get(f"{stack.url}/payments/{checkout.json()['payment_id']}").json()
            assert payment["description"] == meta
            for field in ("status", "user_id", "created_gte", "cursor"):
                listed = client.get(f"{stack.url}/payments", params={field: meta})
                if listed.status_code == 200:  # a free-form filter: matches nothing
                    assert listed.json()["data"] == [], (field, meta)
                else:
                    assert_refused(listed, 422)
            listed = client.get(f"{stack.url}/products", params={"cursor": meta})
            assert listed.status_code in (200, 422), listed.text
            user = client.post(
                f"{user_service.url}/users",
                json={
                    "email": f"sql{n}.{uuid.uuid4().hex[:6]}@example.com",
                    "full_name": meta,
                    "password": f"Tr0ub4dor&3-{uuid.uuid4().hex}",
                },
            )
            assert user.status_code == 201, user.text
            assert user.json()["full_name"] == meta
            bad_email = client.post(
                f"{user_service.url}/users",
                json={"email": meta, "full_name": "x", "password": f"pw-{uuid.uuid4().hex}"},
            )
            assert_refused(bad_email, 422)
    tables_after = (
        set(counts(stack.database_url, "pay_")),
        set(counts(user_service_database_url, "ums_")),
    )
    assert tables_after == tables_before


@pytest.mark.usefixtures("unchanged")
def test_path_traversal_in_ids_is_a_4xx_problem(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    paths: list[tuple[str, str, dict[str, Any] | None]] = []
    for bad in TRAVERSAL_IDS:
        paths += [
            (stack.url, f"/payments/{bad}", None),
            (stack.url, f"/products/{bad}", None),
            (stack.url, f"/payments/{bad}/refunds", None),
            (stack.url, f"/webhooks/events/{bad}/replay", {}),
            (user_service.url, f"/users/{bad}", None),
        ]
    for base, path, body in paths:
        if body is None:
            response = httpx.get(base + path, headers=auth_headers, timeout=10)
        else:
            response = httpx.post(base + path, json=body, headers=auth_headers, timeout=10)
        assert 400 <= response.status_code < 500, (path[:80], response.status_code)
        if response.status_code not in SERVER_REFUSALS:
            assert is_problem(response), (path[:80], response.headers.get("content-type"))
        assert b"root:" not in response.content


def test_nul_characters_in_string_fields_are_stored_or_refused_never_500(
    stack: Stack, user_service: ServerProcess, auth_headers: dict[str, str]
) -> None:
    """SQLite keeps NUL in text, PostgreSQL refuses it: either way no 500."""
    nul = "tea\u0000; DROP TABLE pay_products"
    with httpx.Client(headers=auth_headers, timeout=30) as client:
        answers = [
            client.post(
                f"{stack.url}/products",
                json={"name": nul, "price": {"amount": 5, "currency": "USD"}},
            ),
            client.post(
                f"{stack.url}/checkout-sessions", json={**custom_body(5), "description": nul}
            ),
            client.get(f"{stack.url}/payments", params={"user_id": nul}),
            client.post(
                f"{user_service.url}/users",
                json={
                    "email": f"nul.{uuid.uuid4().hex[:6]}@example.com",
                    "full_name": nul,
                    "password": f"Tr0ub4dor&3-{uuid.uuid4().hex}",
                },
            ),
        ]
    for response in answers:
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert is_problem(response)
