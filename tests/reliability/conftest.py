"""Fixtures of the reliability suite: stacks of real processes that the tests may kill.

Every test here starts its own payment service (and sandbox) through `devstack.services`, so
it can SIGKILL, SIGTERM or starve it without disturbing the session stack other tests share.
The user service is the session one (`user_service`), since nothing here kills it except the
user-service-down test, which starts a private one.

Auth: payment endpoints need `Authorization: Bearer <jwt>` once auth lands. Tests send the
headers of `auth_headers`, which asks for the `admin_token` fixture when it exists and is
empty before that, so the suite works on both sides of the change.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devstack import services
from devstack.databases import fresh_database, is_postgres
from devstack.processes import ServerProcess, free_port, python_argv

FAST_WEBHOOK_RETRIES = {
    "SANDBOX_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
    "SANDBOX_WEBHOOK_RETRY_MAX_SECONDS": "0.5",
}
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEAD_URL = "http://127.0.0.1:9/webhooks/stripe"  # discard port: connection refused


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the long fault tests out of a plain `make test`: they run with `-m reliability`."""
    if "reliability" in (config.option.markexpr or ""):
        return
    here = Path(__file__).parent
    mine = [item for item in items if here in Path(str(item.path)).parents]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


@pytest.fixture(scope="session")
def auth_headers(request: pytest.FixtureRequest) -> dict[str, str]:
    """Bearer header of the bootstrap admin once auth exists, else no header."""
    try:
        token = request.getfixturevalue("admin_token")
    except pytest.FixtureLookupError:
        return {}
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def users_url(user_service: ServerProcess) -> str:
    return user_service.url


def postgres_url() -> str | None:
    """TEST_DATABASE_URL when it is PostgreSQL, else the local server if it answers."""
    candidate = os.environ.get("TEST_DATABASE_URL")
    url = candidate if candidate and is_postgres(candidate) else LOCAL_POSTGRES
    try:
        engine = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"), connect_args={"connect_timeout": 3}
        )
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:  # any failure means "not reachable"
        return None
    return url


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(
            "PostgreSQL unreachable (set TEST_DATABASE_URL or start the local server); "
            "this fault needs a real shared database"
        )
    return url


@dataclass
class Stack:
    """A payment service (maybe several replicas) with its own sandbox and database."""

    sandbox: ServerProcess
    replicas: list[ServerProcess]
    database_url: str
    headers: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    job_workers: list[ServerProcess] = field(default_factory=list)  # python -m payment_api worker

    @property
    def payment(self) -> ServerProcess:
        return self.replicas[0]

    @property
    def url(self) -> str:
        return self.payment.url

    def sandbox_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, self.sandbox.url + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def slow_gateway(self, path_prefix: str, seconds: float) -> None:
        """Every POST under `path_prefix` waits `seconds` at the sandbox before answering: it
        holds requests between their first and last commit, where a crash must not break."""
        self.sandbox_call(
            "POST",
            "/_sandbox/faults",
            json={
                "path_prefix": path_prefix,
                "method": "POST",
                "mode": "hang",
                "count": 100_000,
                "seconds": seconds,
            },
        )

    def webhooks_to(self, urls: list[str]) -> None:
        self.sandbox_call("PUT", "/_sandbox/webhooks/endpoints", json={"urls": urls})

    def sandbox_sessions(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.sandbox_call("GET", "/_sandbox/checkout/sessions").json()[
            "data"
        ]
        return data

    def sql(self, query: str, **params: Any) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query), params))
        finally:
            engine.dispose()

    def reconcile(self, **extra_env: str) -> dict[str, Any]:
        import json
        import subprocess

        env = {
            **os.environ,
            **self.env,
            "RECONCILE_AFTER_SECONDS": "0",
            "RECONCILE_BATCH_SIZE": "5000",
            **extra_env,
        }
        result = subprocess.run(
            python_argv("-m", "payment_api", "reconcile"),
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert result.stdout.strip(), result.stderr[-2000:]
        report: dict[str, Any] = json.loads(result.stdout)
        return report


def payment_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "ALLOWED_REDIRECT_ORIGINS": "https://shop.example",
        "GATEWAY_MAX_RETRIES": "1",
        "GATEWAY_TIMEOUT_SECONDS": "2",
        "USER_SERVICE_TIMEOUT_SECONDS": "2",
        **(extra or {}),
    }


@contextmanager
def running_stack(
    *,
    name: str,
    database_url: str,
    users_url: str,
    headers: dict[str, str],
    logs_dir: Path,
    replicas: int = 1,
    workers: int = 2,
    env: dict[str, str] | None = None,
    webhooks: bool = True,
    job_workers: int = 1,
    worker_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    ports = [free_port() for _ in range(replicas)]
    hooks = [f"http://127.0.0.1:{p}/webhooks/stripe" for p in ports] if webhooks else []
    sandbox = services.stripe_sandbox(
        free_port(),
        webhook_urls=hooks[:1] if hooks else [DEAD_URL],
        env=FAST_WEBHOOK_RETRIES,
        log_path=logs_dir / f"{name}-sandbox.log",
    ).start()
    started: list[ServerProcess] = []
    try:
        full_env = payment_env(env)
        for index, port in enumerate(ports):
            proc = services.payment_service(
                port,
                database_url,
                user_service_url=users_url,
                sandbox_url=sandbox.url,
                workers=workers,
                env=full_env,
                log_path=logs_dir / f"{name}-payment-{index}.log",
            )
            started.append(proc)
            proc.start()
        apis = list(started)
        for index in range(job_workers):
            worker = services.payment_worker(
                free_port(),
                apis[0].env,
                # reconcile only when a test runs it: its reports count what it did
                env={"RECONCILE_INTERVAL_SECONDS": "0", **(worker_env or {})},
                log_path=logs_dir / f"{name}-worker-{index}.log",
                name=f"payment-worker-{index}",
            )
            started.append(worker)
            worker.start()
        yield Stack(
            sandbox=sandbox,
            replicas=apis,
            database_url=database_url,
            headers=headers,
            env=dict(apis[0].env),
            job_workers=started[len(apis) :],
        )
    finally:
        for proc in started:
            proc.stop()
        sandbox.stop()


@pytest.fixture
def db_url(
    test_database_base_url: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh database for one test (SQLite file, or PostgreSQL with TEST_DATABASE_URL)."""
    with fresh_database(test_database_base_url, tmp_path, f"rel_{uuid.uuid4().hex[:6]}") as url:
        yield url


def custom_body(amount: int, currency: str = "USD") -> dict[str, Any]:
    return {"custom_amount": {"amount": amount, "currency": currency}}


def is_problem(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("application/problem+json")


def retry_stats() -> dict[str, int]:
    return {"unanswered": 0, "retries": 0, "in_progress_409": 0, "status_5xx": 0}


def post_until_created(
    client: httpx.Client,
    path: str,
    body: dict[str, Any],
    key: str,
    *,
    deadline: float,
    stats: dict[str, int],
    lock: threading.Lock,
) -> httpx.Response | None:
    """POST with the same Idempotency-Key until a 201, as a client retrying through a crash
    does; None past `deadline` (monotonic). Backs off, and counts in `stats` (see
    retry_stats) the retries, unanswered requests, 409s (still in progress) and 5xx; any
    other answer fails the test."""
    attempt = 0
    while time.monotonic() < deadline:
        if attempt:
            with lock:
                stats["retries"] += 1
            time.sleep(min(0.1 * attempt, 1.0))
        attempt += 1
        try:
            response = client.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.HTTPError:
            with lock:
                stats["unanswered"] += 1
            continue
        if response.status_code == 201:
            return response
        with lock:
            if response.status_code == 409:
                stats["in_progress_409"] += 1
            elif response.status_code >= 500:
                stats["status_5xx"] += 1
            else:
                raise AssertionError(f"{key}: {response.status_code} {response.text}")
    return None
