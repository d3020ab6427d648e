"""CORS on the token endpoints only, for CORS_ALLOWED_ORIGINS only (the payment service's
Swagger UI logs in at /auth/token from its own origin). Flask test client, real SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from pydantic import ValidationError

from user_management_service.settings import Settings

PAYMENTS = "http://127.0.0.1:8000"
PAYMENTS_LOCALHOST = "http://localhost:8000"
ELSEWHERE = "https://evil.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-requested-with",
}


def make_client(tmp_path: Path, origins: list[str]) -> Any:
    from user_management_service.__main__ import alembic_config
    from user_management_service.app import create_app

    url = f"sqlite:///{tmp_path / 'cors.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    settings = Settings(
        database_url=url,
        jwt_keys_dir=tmp_path / "keys",
        cors_allowed_origins=origins,
        argon2_memory_cost_kib=1024,
        argon2_time_cost=1,
    )
    return create_app(settings).test_client()


@pytest.fixture
def client(tmp_path: Path) -> Any:
    return make_client(tmp_path, [PAYMENTS, PAYMENTS_LOCALHOST])


def cors_headers(response: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-")}


@pytest.mark.parametrize("origin", [PAYMENTS, PAYMENTS_LOCALHOST])
@pytest.mark.parametrize("path", ["/auth/token", "/auth/refresh"])
def test_preflight_from_an_allowed_origin_allows_the_swagger_ui_login(
    client: Any, origin: str, path: str
) -> None:
    response = client.options(path, headers={"Origin": origin, **PREFLIGHT})
    assert response.status_code in (200, 204)
    headers = cors_headers(response)
    assert headers["access-control-allow-origin"] == origin
    assert "POST" in headers["access-control-allow-methods"]
    allowed = headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed
    assert "x-requested-with" in allowed
    assert headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in headers
    assert "Origin" in response.headers.get("Vary", "")


def test_preflight_from_any_other_origin_gets_no_cors_headers(client: Any) -> None:
    response = client.options("/auth/token", headers={"Origin": ELSEWHERE, **PREFLIGHT})
    assert cors_headers(response) == {}


@pytest.mark.parametrize("path", ["/users", "/users/me", "/auth/logout", "/healthz"])
def test_other_endpoints_get_no_cors_headers_even_from_an_allowed_origin(
    client: Any, path: str
) -> None:
    response = client.options(path, headers={"Origin": PAYMENTS, **PREFLIGHT})
    assert cors_headers(response) == {}
    assert cors_headers(client.get(path, headers={"Origin": PAYMENTS})) == {}


def test_a_login_answer_is_readable_by_the_allowed_origin_only(client: Any) -> None:
    form = {"username": "nobody@example.com", "password": "wrong password"}
    allowed = client.post("/auth/token", data=form, headers={"Origin": PAYMENTS})
    assert allowed.status_code == 401
    assert cors_headers(allowed)["access-control-allow-origin"] == PAYMENTS
    assert "x-request-id" in cors_headers(allowed)["access-control-expose-headers"].lower()
    other = client.post("/auth/token", data=form, headers={"Origin": ELSEWHERE})
    assert other.status_code == 401
    assert cors_headers(other) == {}


def test_the_jwks_is_readable_by_the_allowed_origin(client: Any) -> None:
    response = client.get("/.well-known/jwks.json", headers={"Origin": PAYMENTS})
    assert response.status_code == 200
    assert cors_headers(response)["access-control-allow-origin"] == PAYMENTS


def test_no_origins_configured_means_no_cors_headers_anywhere(tmp_path: Path) -> None:
    client = make_client(tmp_path, [])
    response = client.options("/auth/token", headers={"Origin": PAYMENTS, **PREFLIGHT})
    assert cors_headers(response) == {}
    assert cors_headers(client.get("/.well-known/jwks.json", headers={"Origin": PAYMENTS})) == {}


def test_the_setting_is_a_comma_separated_list_of_origins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", f" {PAYMENTS}/ ,{PAYMENTS_LOCALHOST},, ")
    assert Settings().cors_allowed_origins == [PAYMENTS, PAYMENTS_LOCALHOST]
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "")
    assert Settings().cors_allowed_origins == []


@pytest.mark.parametrize(
    "value", ["*", "127.0.0.1:8000", "http://127.0.0.1:8000/docs", "ftp://x", "http://a b"]
)
def test_anything_but_an_origin_stops_the_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", value)
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()
