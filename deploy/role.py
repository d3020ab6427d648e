"""The image's entry point: `python -m deploy.role ROLE [ARGS]` runs one role of the platform.

`docker run IMAGE user-service`, `... payment-service`, `... worker`, `... web`, `... sandbox`,
`... migrate`, `... reconcile`. Every HTTP role listens on $HOST:$PORT (0.0.0.0:8080 unless
set), so one HEALTHCHECK (`python -m deploy.role healthcheck`) and one containerPort fit every
role. A role is a list of steps: all but the last run as children, the last replaces this
process (execv), so `docker stop`'s SIGTERM reaches the server itself and it drains gracefully.

A new role is one line in ROLES.
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

Env = dict[str, str]


@dataclass(frozen=True)
class Step:
    """One command (argv after the interpreter, e.g. `-m gunicorn ...`) and its environment."""

    argv: list[str]
    env: Env


@dataclass(frozen=True)
class Role:
    summary: str
    steps: Callable[[Env, list[str]], list[Step]]
    # Probed on $PORT by the HEALTHCHECK; None: no HTTP server (healthy while it runs).
    health_path: str | None
    # A word of the running server's command line that names the role: the HEALTHCHECK runs
    # beside it (docker exec) and finds which role the container runs from /proc.
    marker: str


class RoleError(Exception):
    """A role cannot start as configured; the message says which setting to fix."""


def listen(env: Env) -> tuple[str, str]:
    return env.get("HOST", "0.0.0.0"), env.get("PORT", "8080")


def server_env(env: Env, name: str, workers: str) -> Env:
    """Defaults of a server: its worker count, and a fresh folder its workers share so that
    /metrics sums all of them (under /tmp: the root filesystem may be read-only)."""
    out = {**env}
    out.setdefault("WEB_CONCURRENCY", workers)
    if "PROMETHEUS_MULTIPROC_DIR" not in out:
        out["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"{name}-metrics-")
    return out


def user_service(env: Env, _args: list[str]) -> list[Step]:
    """gunicorn with sync workers (Argon2 hashing is CPU-bound); no migration here: the
    `migrate` role runs before any replica starts."""
    host, port = listen(env)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    full = server_env(env, "user-service", "2")
    argv = [
        "-m", "gunicorn",
        "--bind", bind,
        "--workers", full["WEB_CONCURRENCY"],
        "--worker-tmp-dir", tempfile.gettempdir(),  # heartbeat files: /tmp (tmpfs), not disk
        "--graceful-timeout", "10",
        "user_management_service.wsgi:app",
    ]  # fmt: skip
    return [Step(argv, full)]


def payment_service(env: Env, _args: list[str]) -> list[Step]:
    host, port = listen(env)
    full = server_env(env, "payment-service", "1")
    argv = [
        "-m", "uvicorn",
        "--factory", "payment_api.main:create_app",
        "--host", host,
        "--port", port,
        "--workers", full["WEB_CONCURRENCY"],
        "--no-access-log",  # the service logs every request itself, with its request id
        "--timeout-graceful-shutdown", "10",
    ]  # fmt: skip
    return [Step(argv, full)]


def worker_of(module: str) -> Callable[[Env, list[str]], list[Step]]:
    """`python -m MODULE worker` (the payment worker, the user service's mail worker), its
    /healthz and /metrics on $HOST:$PORT (unless WORKER_HTTP_HOST / _PORT say otherwise)."""

    def steps(env: Env, args: list[str]) -> list[Step]:
        host, port = listen(env)
        full = {**env, "WORKER_HTTP_HOST": env.get("WORKER_HTTP_HOST", host),
                "WORKER_HTTP_PORT": env.get("WORKER_HTTP_PORT", port)}  # fmt: skip
        return [Step(["-m", module, "worker", *args], full)]

    return steps


def mail_sink(env: Env, args: list[str]) -> list[Step]:
    """`python -m mail_sink`: SMTP on $SMTP_PORT, the mail under $MAIL_DIR (the container's
    private tmpfs: development only, gone with the container)."""
    host, port = listen(env)
    folder = env.get("MAIL_DIR", str(Path(tempfile.gettempdir()) / "mail"))
    argv = ["-m", "mail_sink", "--host", host, "--http-port", port,
            "--smtp-port", env.get("SMTP_PORT", "1025"), "--dir", folder]  # fmt: skip
    return [Step([*argv, *args], env)]


def listening(module: str) -> Callable[[Env, list[str]], list[Step]]:
    """A role that is `python -m MODULE --host $HOST --port $PORT` (the sandbox, the web)."""

    def steps(env: Env, args: list[str]) -> list[Step]:
        host, port = listen(env)
        return [Step(["-m", module, "--host", host, "--port", port, *args], env)]

    return steps


# migrate target -> (what migrates it, variable holding that target's database URL). The web
# has no Alembic history: its tables are created here, before its replicas start, so that
# two of them never race to create them (deploy/migrations.py).
MIGRATIONS = {
    "users": (["-m", "user_management_service", "migrate"], "USERS_DATABASE_URL"),
    "payments": (["-m", "payment_api", "migrate"], "PAYMENTS_DATABASE_URL"),
    "web": (["-m", "deploy.migrations", "migrate", "web"], "WEB_DATABASE_URL"),
}


def migrate(env: Env, args: list[str]) -> list[Step]:
    """Every target's migrations (or the targets named), each against its own database:
    USERS_DATABASE_URL, PAYMENTS_DATABASE_URL and WEB_DATABASE_URL, or DATABASE_URL for a
    single named target."""
    targets = args or list(MIGRATIONS)
    unknown = [t for t in targets if t not in MIGRATIONS]
    if unknown:
        raise RoleError(f"migrate: unknown target {unknown[0]!r} (known: {', '.join(MIGRATIONS)})")
    steps = []
    for target in targets:
        argv, variable = MIGRATIONS[target]
        url = env.get(variable) or (env.get("DATABASE_URL") if len(targets) == 1 else None)
        if not url:
            raise RoleError(f"migrate {target}: set {variable}")
        steps.append(Step(argv, {**env, "DATABASE_URL": url}))
    return steps


def fixed(*argv: str) -> Callable[[Env, list[str]], list[Step]]:
    """A role that is one fixed command, its extra arguments appended."""
    return lambda env, args: [Step([*argv, *args], env)]


ROLES: dict[str, Role] = {
    "user-service": Role(
        "User Management Service (gunicorn) on $PORT", user_service, "/healthz",
        "user_management_service.wsgi:app",
    ),
    "payment-service": Role(
        "Payment Service (uvicorn) on $PORT", payment_service, "/healthz",
        "payment_api.main:create_app",
    ),
    "sandbox": Role(
        "Stripe sandbox (development only) on $PORT", listening("stripe_sandbox"), "/healthz",
        "stripe_sandbox",
    ),
    "migrate": Role(
        "apply the migrations of both services and the web, then exit", migrate, None,
        "migrate",
    ),
    "wait-migrations": Role(
        "wait until DATABASE_URL is at this image's head (init container)",
        fixed("-m", "deploy.migrations", "wait"), None, "deploy.migrations",
    ),
    "reconcile": Role(
        "one reconcile pass against Stripe (cron)", fixed("-m", "payment_api", "reconcile"),
        None, "reconcile",
    ),
    # Before "worker": its command line holds that word too.
    "user-worker": Role(
        "the user service's mail (SMTP_*); /healthz on $PORT",
        worker_of("user_management_service"), "/healthz", "user_management_service",
    ),
    "worker": Role(
        "Stripe events, outbound webhooks, scheduled reconcile; /healthz on $PORT",
        worker_of("payment_api"), "/healthz", "worker",
    ),
    "mail-sink": Role(
        "an SMTP sink on $SMTP_PORT keeping mail under /tmp/mail (development only); "
        "/healthz on $PORT", mail_sink, "/healthz", "mail_sink",
    ),
    # Last: its marker "web" is also a word of `deploy.migrations wait web` and `... migrate
    # web`, which the roles above claim first.
    "web": Role("web frontend (uvicorn) on $PORT", listening("web"), "/healthz", "web"),
}  # fmt: skip


def environment(source: Mapping[str, str]) -> Env:
    """The process environment without empty variables: compose passes every setting as
    `${NAME:-}`, and an empty one must mean "the service's default", not an invalid value."""
    return {name: value for name, value in source.items() if value != ""}


def run(role_name: str, args: list[str], env: Env) -> int:
    """Run a role's steps; the last one replaces this process (returns only on failure)."""
    role = ROLES.get(role_name)
    if role is None:
        raise RoleError(f"unknown role {role_name!r}; roles: {', '.join(ROLES)}")
    steps = role.steps(env, args)
    import subprocess

    for step in steps[:-1]:
        done = subprocess.run([sys.executable, *step.argv], env=step.env, check=False)
        if done.returncode != 0:
            return done.returncode
    last = steps[-1]
    os.execve(sys.executable, [sys.executable, *last.argv], last.env)  # noqa: S606
    return 1  # pragma: no cover - execve does not return


def running_role(proc: Path = Path("/proc")) -> str | None:
    """The role whose server runs in this container: the oldest process whose command line
    holds a role's marker (PID 1, or the child of an init such as `docker run --init`)."""
    own = os.getpid()
    pids = sorted(int(p.name) for p in proc.iterdir() if p.name.isdigit() and int(p.name) != own)
    for pid in pids:
        try:
            words = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        text = [w.decode("utf-8", "replace") for w in words]
        if "deploy.role" in text and "healthcheck" in text:
            continue  # another probe, not the server
        for name, role in ROLES.items():
            if role.marker in text:
                return name
    return None


def healthcheck(env: Env, proc: Path = Path("/proc")) -> int:
    """Exit 0 when the container's role is healthy: its /healthz answers 200 on $PORT, or,
    for a role without HTTP, its process runs. Python, since slim images have no curl."""
    name = running_role(proc)
    if name is None:
        print("unhealthy: no role is running", file=sys.stderr)
        return 1
    path = ROLES[name].health_path
    if path is None:
        return 0
    _, port = listen(env)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            status = int(answer.status)
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {name} {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


def usage() -> str:
    width = max(map(len, ROLES))
    lines = [f"  {name:<{width}}  {role.summary}" for name, role in ROLES.items()]
    return "usage: ROLE [ARGS]  (python -m deploy.role)\nroles:\n" + "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    env = environment(os.environ)
    if argv[0] == "healthcheck":
        return healthcheck(env)
    try:
        return run(argv[0], list(argv[1:]), env)
    except RoleError as exc:
        print(f"deploy.role: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
