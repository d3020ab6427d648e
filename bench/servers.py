"""The processes under test: both services, the sandbox, the two bare baselines and the limits.

The services start through devstack.services (the launchers `make run` and the tests use). The
baselines get the SAME server command line as their service, only the app differs: gunicorn
(sync workers) for Flask, uvicorn (uvloop/httptools, no access log) for FastAPI, `workers` each.
The limits (bench/baselines/limit_*.py) do each path's irreducible work on those same lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack import services
from devstack.processes import ServerProcess, free_port, python_argv

BENCH_ADMIN_EMAIL = "bench-admin@example.com"
BENCH_ADMIN_PASSWORD = "bench-admin-password-4242"


# The variant measured beside the production setting: threaded workers keep connections
# alive (gunicorn's sync workers close every connection after one response).
GTHREAD = ("--worker-class", "gthread", "--threads", "4")


def gunicorn_argv(port: int, workers: int, app: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Mirrors devstack.services.user_service (same flags, only the app differs)."""
    return python_argv(
        "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--graceful-timeout", "10",
        *extra,
        app,
    )  # fmt: skip


def uvicorn_argv(port: int, workers: int, factory: str) -> list[str]:
    """Mirrors devstack.services.payment_service (same flags, only the app differs)."""
    return python_argv(
        "-m", "uvicorn",
        "--factory", factory,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(workers),
        "--no-access-log",
        "--timeout-graceful-shutdown", "10",
    )  # fmt: skip


def bare_flask(workers: int, log_path: Path, extra: tuple[str, ...] = ()) -> ServerProcess:
    port = free_port()
    argv = gunicorn_argv(port, workers, "bench.baselines.bare_flask:app", extra)
    return ServerProcess("bare-flask", argv, port, {}, log_path=log_path)


def bare_fastapi(workers: int, log_path: Path) -> ServerProcess:
    port = free_port()
    argv = uvicorn_argv(port, workers, "bench.baselines.bare_fastapi:create_app")
    return ServerProcess("bare-fastapi", argv, port, {}, log_path=log_path)


# The limits (issue 19): the irreducible work of a path, on the same server command lines.
LIMIT_INBOX = "bench_limit_webhook_events"  # the webhook limit's copy of the service's inbox


def limit_flask(workers: int, log_path: Path, users_db: str) -> ServerProcess:
    """The read limit of the user service, on the user service's database."""
    port = free_port()
    argv = gunicorn_argv(port, workers, "bench.baselines.limit_flask:app")
    return ServerProcess("limit-flask", argv, port, {"DATABASE_URL": users_db}, log_path=log_path)


def limit_fastapi(workers: int, log_path: Path, service_env: Mapping[str, str]) -> ServerProcess:
    """The read, webhook and checkout limits of the payment service, configured by its
    settings (`service_env`: database, sandbox, key, webhook secrets); no metrics directory."""
    port = free_port()
    argv = uvicorn_argv(port, workers, "bench.baselines.limit_fastapi:create_app")
    env = {k: v for k, v in service_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["BENCH_LIMIT_INBOX"] = LIMIT_INBOX
    return ServerProcess("limit-fastapi", argv, port, env, log_path=log_path)


def sandbox(log_path: Path) -> ServerProcess:
    return services.stripe_sandbox(free_port(), webhook_urls=[], log_path=log_path)


def user_service_env(work: Path) -> dict[str, str]:
    return {
        "BOOTSTRAP_ADMIN_EMAIL": BENCH_ADMIN_EMAIL,
        "BOOTSTRAP_ADMIN_PASSWORD": BENCH_ADMIN_PASSWORD,
        "JWT_KEYS_DIR": str(work / "keys"),
        # The bench logs in many times from one address: throttling is about failures only,
        # but keep the per-address limit out of the way of the login scenario.
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    }


def user_service(db_url: str, workers: int, work: Path, log_path: Path) -> ServerProcess:
    """Migrates now (the caller seeds before `start()`); bootstrap admin for the auth era."""
    env = user_service_env(work)
    return services.user_service(free_port(), db_url, workers=workers, env=env, log_path=log_path)


def user_service_gthread(db_url: str, workers: int, work: Path, log_path: Path) -> ServerProcess:
    """A second user service on the same (already migrated) database, gthread workers."""
    port = free_port()
    argv = gunicorn_argv(port, workers, "user_management_service.wsgi:app", GTHREAD)
    env = {"DATABASE_URL": db_url, **user_service_env(work)}
    return ServerProcess("user-service-gthread", argv, port, env, log_path=log_path)


def payment_service(
    db_url: str, workers: int, users_url: str, sandbox_url: str, log_path: Path
) -> ServerProcess:
    return services.payment_service(
        free_port(),
        db_url,
        user_service_url=users_url,
        sandbox_url=sandbox_url,
        workers=workers,
        log_path=log_path,
    )


# --- worker processes and their memory (/proc; no extra dependency) -------------------------


def _children(pid: int) -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            yield int(entry)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(server: ServerProcess) -> list[int]:
    """gunicorn: the master's children; uvicorn --workers N: the supervisor's spawned children
    (its multiprocessing resource tracker excluded). A single process serves itself."""
    if server.proc is None:
        return []
    kids = [p for p in _children(server.proc.pid) if "resource_tracker" not in _cmdline(p)]
    return sorted(kids) or [server.proc.pid]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (from /proc/<pid>/stat); 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Fleet:
    servers: dict[str, ServerProcess]

    def stop_all(self) -> None:
        for server in reversed(list(self.servers.values())):
            server.stop()

    def argv(self) -> dict[str, Sequence[str]]:
        return {name: [str(a) for a in s.argv[1:]] for name, s in self.servers.items()}
