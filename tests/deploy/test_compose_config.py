"""compose.yaml and .env.example, read without Docker: every setting of both services and of
the web reaches its service, .env.example lists every variable compose reads (and nothing
else), only the proxy is published, the start order, the shared keys volume, no secret in the
file."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from payment_api.settings import Settings as PaymentSettings
from tests.deploy.compose_stack import read_env_file
from user_management_service.settings import Settings as UserSettings
from web.settings import Settings as WebSettings

AnySettings = type[UserSettings] | type[PaymentSettings] | type[WebSettings]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
SECRETS = re.compile(r"DATABASE_URL|PASSWORD|STRIPE_API_KEY|SECRET")
REPLICAS = {
    "user-service": ["user-service-1", "user-service-2"],
    "payment-service": ["payment-service-1", "payment-service-2"],
    "payment-worker": ["payment-worker-1", "payment-worker-2"],
    "user-worker": ["user-worker-1", "user-worker-2"],
    "web": ["web-1", "web-2"],
}


@cache
def services() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text("utf-8"))["services"]
    return found


def environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in services()[service]["environment"].items()}


def setting_names(settings: AnySettings) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")  # the web's are WEB_*
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


def example() -> dict[str, str]:
    return read_env_file(ROOT / ".env.example")


def test_every_setting_of_each_service_reaches_every_replica() -> None:
    for role, settings in (
        ("user-service", UserSettings),
        ("payment-service", PaymentSettings),
        ("payment-worker", PaymentSettings),
        ("user-worker", UserSettings),
        ("web", WebSettings),
    ):
        first, second = REPLICAS[role]
        assert services()[first] == services()[second]  # replicas differ in nothing
        missing = setting_names(settings) - set(environment(first))
        assert not missing, f"{role}: compose.yaml does not pass {sorted(missing)}"


def test_env_example_lists_every_setting_and_every_variable_compose_reads() -> None:
    listed = set(example())
    per_service = {"DATABASE_URL"}  # USERS_DATABASE_URL / PAYMENTS_DATABASE_URL instead
    wanted = (
        setting_names(UserSettings) | setting_names(PaymentSettings) | setting_names(WebSettings)
    ) - per_service
    assert not wanted - listed, f".env.example lacks {sorted(wanted - listed)}"
    lines = COMPOSE.read_text("utf-8").splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    read = set(re.findall(r"(?<!\$)\$\{(\w+)", code))  # $${X} is the container's own
    assert not read - listed, f".env.example lacks {sorted(read - listed)}"
    extra = listed - read - wanted - {"COMPOSE_PROJECT_NAME", "PROMETHEUS_MULTIPROC_DIR"}
    assert not extra, f".env.example names what nothing reads: {sorted(extra)}"


def test_no_secret_is_written_into_compose_yaml() -> None:
    for name, service in services().items():
        for variable, value in service.get("environment", {}).items():
            if SECRETS.search(variable):
                assert re.fullmatch(r"\$\{\w+(:[?-][^}]*)?\}", str(value)), (name, variable)


def test_only_the_proxy_is_published_and_the_sandboxes_only_in_the_dev_profile() -> None:
    published = {name for name, service in services().items() if service.get("ports")}
    assert published == {"proxy", "stripe-sandbox"}
    # the APIs' listener and the web's (their paths overlap: /products, /checkout)
    assert services()["proxy"]["ports"] == [
        "${HTTP_PORT:-8080}:8080",
        "${WEB_HTTP_PORT:-8081}:8081",
    ]
    sandbox = services()["stripe-sandbox"]
    assert sandbox["profiles"] == ["dev"]
    assert all(port.startswith("127.0.0.1:") for port in sandbox["ports"])
    assert services()["mail-sink"]["profiles"] == ["dev"]
    development = {"stripe-sandbox", "mail-sink"}
    assert all("profiles" not in s for n, s in services().items() if n not in development)


def test_start_order_postgres_then_migrate_then_apis_web_and_workers_then_proxy() -> None:
    def condition(service: str, on: str) -> str:
        return str(services()[service]["depends_on"][on]["condition"])

    assert "healthcheck" in services()["postgres"]
    assert condition("migrate", "postgres") == "service_healthy"
    assert services()["migrate"]["command"] == ["migrate"]
    assert services()["migrate"]["restart"] == "no"
    for replica in REPLICAS["user-service"] + REPLICAS["payment-service"] + REPLICAS["web"]:
        assert condition(replica, "migrate") == "service_completed_successfully"
        assert condition("proxy", replica) == "service_healthy"
    for worker in REPLICAS["payment-worker"]:  # not behind the proxy: nothing calls it
        assert condition(worker, "migrate") == "service_completed_successfully"
        assert worker not in services()["proxy"]["depends_on"]
    upstreams = " ".join(
        environment("proxy")[f"{role}_UPSTREAMS"]
        for role in ("USER_SERVICE", "PAYMENT_SERVICE", "WEB")
    )
    behind = REPLICAS["user-service"] + REPLICAS["payment-service"] + REPLICAS["web"]
    assert upstreams.split() == [f"{r}:8080" for r in behind]


def test_the_web_has_its_own_database_and_reaches_the_apis_through_the_proxy() -> None:
    """Like the APIs it shares nothing but PostgreSQL: no volume, its own database (created
    on the first start, its tables by `migrate`), the APIs through the proxy's API listener."""
    for replica in REPLICAS["web"]:
        env = environment(replica)
        assert "volumes" not in services()[replica]
        assert env["WEB_DATABASE_URL"].startswith("${WEB_DATABASE_URL:?")
        assert env["WEB_USER_SERVICE_URL"] == "${WEB_USER_SERVICE_URL:-http://proxy:8080}"
        assert env["WEB_PAYMENT_SERVICE_URL"] == "${WEB_PAYMENT_SERVICE_URL:-http://proxy:8080}"
    assert "WEB_DATABASE_URL" in environment("migrate")
    assert example()["WEB_DATABASE_URL"].endswith("@postgres:5432/web")
    initdb = (ROOT / "deploy" / "postgres" / "initdb" / "10-databases.sh").read_text("utf-8")
    assert "CREATE DATABASE web;" in initdb
    # the hosted page may send shoppers back to the web's public address only if it is allowed
    assert example()["ALLOWED_REDIRECT_ORIGINS"] == example()["WEB_PUBLIC_URL"]


def test_the_user_service_replicas_share_the_signing_keys_volume() -> None:
    for replica in REPLICAS["user-service"]:
        keys_dir = environment(replica)["JWT_KEYS_DIR"]
        assert f"jwt-keys:{keys_dir}" in services()[replica]["volumes"]
        assert environment(replica)["TRUSTED_PROXY_HOPS"] == "${TRUSTED_PROXY_HOPS:-1}"
    assert example()["TRUSTED_PROXY_HOPS"] == "1"
    for replica in REPLICAS["payment-service"]:
        assert "volumes" not in services()[replica]  # nothing but PostgreSQL is shared


def test_every_app_container_is_read_only_and_unprivileged() -> None:
    for name, service in services().items():
        if name == "postgres":
            continue
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "/tmp" in service["tmpfs"], name  # noqa: S108 (the container's, a tmpfs)


def test_compose_accepts_the_file_with_the_example_settings() -> None:
    """`config -q` of the Compose on this machine (v1 here, v2 elsewhere), when installed."""
    if shutil.which("docker-compose"):
        argv = ["docker-compose"]
    elif (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        argv = ["docker", "compose"]
    else:
        pytest.skip("no Compose installed (make container-test installs it)")
    for profile in ([], ["--profile", "dev"]):
        files = ["--env-file", str(ROOT / ".env.example"), "-f", str(COMPOSE)]
        done = subprocess.run(
            [*argv, *files, *profile, "config", "-q"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
