"""Process-level behaviour: data survives a restart, bad settings stop the start clearly,
a database that is down is a 503 problem (never a 500)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from devstack import services
from devstack.auth import login
from devstack.databases import fresh_database
from devstack.processes import free_port, python_argv
from user_management_service.api.context import container_of
from user_management_service.app import create_app
from user_management_service.domain.users import Role
from user_management_service.settings import Settings, SettingsError, load_settings

PASSWORD = "kept across restarts"


def test_data_survives_a_restart(
    test_database_base_url: str | None, tmp_path: Path, logs_dir: Path
) -> None:
    with fresh_database(test_database_base_url, tmp_path, "users_restart") as url:
        first = services.user_service(
            free_port(), url, workers=1, log_path=logs_dir / "user-restart-1.log"
        ).start()
        try:
            body = {"email": "keep@example.com", "full_name": "Kept", "password": PASSWORD}
            user = httpx.post(first.url + "/users", json=body).json()
            token = login(first.url, "keep@example.com", PASSWORD).access_token
        finally:
            first.stop()
        second = services.user_service(
            free_port(), url, workers=1, log_path=logs_dir / "user-restart-2.log"
        ).start()
        try:
            # the signing key survived too: the token issued before the restart still works
            headers = {"Authorization": f"Bearer {token}"}
            again = httpx.get(f"{second.url}/users/{user['id']}", headers=headers)
            assert again.status_code == 200
            assert again.json() == user
        finally:
            second.stop()


def test_bad_database_url_is_a_clear_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOOTSTRAP_ADMIN_PASSWORD": "short"}, "BOOTSTRAP_ADMIN_PASSWORD"),
        ({"BOOTSTRAP_ADMIN_PASSWORD": "password1234"}, "most common"),
        ({"BOOTSTRAP_ADMIN_EMAIL": "a@example.com"}, "set both"),
        ({"ACCESS_TOKEN_TTL_SECONDS": "0"}, "ACCESS_TOKEN_TTL_SECONDS"),
        ({"LOGIN_MAX_FAILURES_PER_ACCOUNT": "0"}, "LOGIN_MAX_FAILURES_PER_ACCOUNT"),
    ],
)
def test_bad_auth_settings_stop_the_start_clearly(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name in ("BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if "BOOTSTRAP_ADMIN_PASSWORD" in env:
        monkeypatch.setenv("BOOTSTRAP_ADMIN_EMAIL", "a@example.com")
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_postgresql_urls_mean_psycopg_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert load_settings().database_url.startswith("postgresql+psycopg://")


def test_cli_refuses_to_start_with_a_bad_setting() -> None:
    result = subprocess.run(
        python_argv("-m", "user_management_service", "migrate"),
        env={**os.environ, "DATABASE_URL": "not a url"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_database_down_is_a_503_problem(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    app = create_app(Settings(database_url=url, jwt_keys_dir=tmp_path / "keys"))
    token = container_of(app).access_tokens.issue(uuid.uuid4(), Role.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/.well-known/jwks.json").status_code == 200  # keys are files
    for response in (
        client.get("/readyz"),
        client.get("/users", headers=headers),
        client.post(
            "/users", json={"email": "a@example.com", "full_name": "A", "password": PASSWORD}
        ),
        client.post("/auth/token", data={"username": "a@example.com", "password": PASSWORD}),
    ):
        assert response.status_code == 503
        assert response.content_type == "application/problem+json"


def test_an_empty_setting_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """compose passes every setting as `${NAME:-}`: empty is the default, not an error."""
    from user_management_service.settings import Settings

    for name in ("LOGIN_MAX_FAILURES_PER_PAIR", "TRUSTED_PROXY_HOPS", "CORS_ALLOWED_ORIGINS"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.login_max_failures_per_pair, settings.trusted_proxy_hops) == (5, 0)
