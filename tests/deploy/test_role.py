"""The image's role dispatch (deploy/role.py) without Docker: which command each role runs,
with which environment, how the HEALTHCHECK finds the running role, and that a new role
is one entry in ROLES."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from deploy import role
from deploy.role import ROLES, Role, RoleError, Step


def steps(
    name: str, env: dict[str, str] | None = None, args: list[str] | None = None
) -> list[Step]:
    return ROLES[name].steps(dict(env or {}), list(args or []))


def test_every_server_role_listens_on_host_and_port_and_names_its_marker() -> None:
    env = {"HOST": "127.0.0.1", "PORT": "18123"}
    for name in ("user-service", "payment-service", "sandbox", "web"):
        [step] = steps(name, env)
        joined = " ".join(step.argv)
        assert "18123" in joined, name
        assert "127.0.0.1" in joined, name
        assert ROLES[name].marker in step.argv, name  # what the healthcheck looks for
        assert ROLES[name].health_path == "/healthz"


def test_servers_get_a_fresh_metrics_folder_and_default_workers() -> None:
    [users] = steps("user-service")
    [payments] = steps("payment-service")
    assert users.argv[:2] == ["-m", "gunicorn"]
    assert users.argv[-1] == "user_management_service.wsgi:app"
    assert "0.0.0.0:8080" in users.argv  # the image's defaults
    assert users.env["WEB_CONCURRENCY"] == "2"
    assert payments.env["WEB_CONCURRENCY"] == "1"
    assert Path(users.env["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
    assert users.env["PROMETHEUS_MULTIPROC_DIR"] != payments.env["PROMETHEUS_MULTIPROC_DIR"]
    [own] = steps("user-service", {"WEB_CONCURRENCY": "5", "PROMETHEUS_MULTIPROC_DIR": "/m"})
    assert "5" in own.argv
    assert own.env["PROMETHEUS_MULTIPROC_DIR"] == "/m"
    [ipv6] = steps("user-service", {"HOST": "::"})
    assert "[::]:8080" in ipv6.argv


def test_migrate_runs_each_target_against_its_own_database() -> None:
    env = {
        "USERS_DATABASE_URL": "sqlite:///u.db",
        "PAYMENTS_DATABASE_URL": "sqlite:///p.db",
        "WEB_DATABASE_URL": "sqlite:///w.db",
    }
    ran = [(step.argv, step.env["DATABASE_URL"]) for step in steps("migrate", env)]
    assert ran == [
        (["-m", "user_management_service", "migrate"], "sqlite:///u.db"),
        (["-m", "payment_api", "migrate"], "sqlite:///p.db"),
        (["-m", "deploy.migrations", "migrate", "web"], "sqlite:///w.db"),
    ]
    [only] = steps("migrate", {"DATABASE_URL": "sqlite:///x.db"}, ["payments"])
    assert only.env["DATABASE_URL"] == "sqlite:///x.db"
    with pytest.raises(RoleError, match="USERS_DATABASE_URL"):
        steps("migrate", {"PAYMENTS_DATABASE_URL": "sqlite:///p.db"})
    with pytest.raises(RoleError, match="WEB_DATABASE_URL"):
        steps("migrate", {k: v for k, v in env.items() if k != "WEB_DATABASE_URL"})
    with pytest.raises(RoleError, match="unknown target"):
        steps("migrate", env, ["orders"])


def test_empty_settings_mean_unset() -> None:
    assert role.environment({"A": "1", "LOG_LEVEL": "", "B": " "}) == {"A": "1", "B": " "}


def test_the_worker_role_runs_the_worker_with_its_health_on_the_containers_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(os, "execve", lambda *a: calls.append(a))
    role.run("worker", [], {"PORT": "8090", "X": "1"})
    [(program, argv, env)] = calls
    assert (program, argv) == (sys.executable, [sys.executable, "-m", "payment_api", "worker"])
    assert env == {"PORT": "8090", "X": "1", "WORKER_HTTP_HOST": "0.0.0.0",
                   "WORKER_HTTP_PORT": "8090"}  # fmt: skip
    assert ROLES["worker"].health_path == "/healthz"
    assert ROLES["worker"].marker in argv


def test_the_user_worker_and_mail_sink_roles_run_their_servers_and_are_told_apart(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(os, "execve", lambda *a: calls.append(a))
    role.run("user-worker", [], {"PORT": "8091"})
    role.run("mail-sink", [], {"PORT": "8092", "SMTP_PORT": "2525"})
    [(_, worker, worker_env), (_, sink, _)] = calls
    assert worker == [sys.executable, "-m", "user_management_service", "worker"]
    assert worker_env["WORKER_HTTP_PORT"] == "8091"
    folder = f"{tempfile.gettempdir()}/mail"
    assert sink[1:] == ["-m", "mail_sink", "--host", "0.0.0.0", "--http-port", "8092",
                        "--smtp-port", "2525", "--dir", folder]  # fmt: skip
    # The healthcheck names the user worker, not the payment worker whose marker it also holds.
    proc = tmp_path / "proc"
    (proc / "1").mkdir(parents=True)
    (proc / "1" / "cmdline").write_bytes(b"\0".join(w.encode() for w in worker))
    assert role.running_role(proc) == "user-worker"


def test_a_new_role_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dispatch, exec and health without HTTP for a role that is one line in ROLES."""
    jobs = Role("jobs", role.fixed("-m", "payment_api", "reconcile"), None, "reconcile")
    monkeypatch.setitem(ROLES, "jobs", jobs)
    calls: list[Any] = []
    monkeypatch.setattr(os, "execve", lambda *a: calls.append(a))
    role.run("jobs", ["--once"], {"X": "1"})
    [(program, argv, env)] = calls
    assert (program, argv, env) == (
        sys.executable,
        [sys.executable, "-m", "payment_api", "reconcile", "--once"],
        {"X": "1"},
    )
    assert "jobs" in role.usage()


def test_the_web_role_runs_the_web_on_host_and_port() -> None:
    [step] = steps("web", {"PORT": "8081", "WEB_PUBLIC_URL": "http://shop"})
    assert step.argv == ["-m", "web", "--host", "0.0.0.0", "--port", "8081"]
    assert step.env["WEB_PUBLIC_URL"] == "http://shop"  # its settings pass through
    assert ROLES["web"].health_path == "/healthz"


def test_all_steps_but_the_last_run_as_children_and_stop_at_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[list[str]] = []

    def fake_run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 3)

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(os, "execve", lambda *a: pytest.fail("must not exec after a failure"))
    env = {"USERS_DATABASE_URL": "sqlite:///u.db", "PAYMENTS_DATABASE_URL": "sqlite:///p.db"}
    assert role.run("migrate", ["users", "payments"], env) == 3
    assert ran == [[sys.executable, "-m", "user_management_service", "migrate"]]


def test_unknown_roles_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert role.main(["no-such-role"]) == 2
    assert "unknown role" in capsys.readouterr().err
    assert role.main([]) == 2
    assert role.main(["help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ROLES)


def fake_proc(tmp_path: Path, processes: dict[int, list[str]]) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for pid, argv in processes.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (tmp_path / "self").mkdir()
    return tmp_path


def test_the_healthcheck_finds_the_role_from_the_container_processes(tmp_path: Path) -> None:
    [users] = steps("user-service")
    proc = fake_proc(
        tmp_path,
        {
            1: ["/usr/bin/tini", "--"],  # docker run --init
            7: ["/opt/venv/bin/python", *users.argv],
            9: ["python", "-m", "deploy.role", "healthcheck"],  # another probe
        },
    )
    assert role.running_role(proc) == "user-service"
    migrating = fake_proc(tmp_path / "m", {1: ["python", "-m", "deploy.role", "migrate"]})
    assert role.running_role(migrating) == "migrate"
    # The web's marker is a word of these two as well: the roles that run them come first.
    for argv, expected in (
        (["python", "-m", "deploy.migrations", "migrate", "web"], "migrate"),
        (["python", "-m", "deploy.migrations", "wait", "web"], "wait-migrations"),
        (["python", *steps("web")[0].argv], "web"),
    ):
        assert role.running_role(fake_proc(tmp_path / expected, {1: argv})) == expected
    (tmp_path / "empty").mkdir()
    assert role.running_role(tmp_path / "empty") is None
    assert role.healthcheck({}, tmp_path / "empty") == 1
    # A role without HTTP is healthy while it runs.
    assert role.healthcheck({}, migrating) == 0


def test_the_healthcheck_probes_the_roles_health_path(tmp_path: Path) -> None:
    """Against a real HTTP server on a free port: 200 is healthy, anything else is not."""
    import http.server
    import threading

    answers = {"/healthz": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answers.get(self.path, 404))
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = str(server.server_address[1])
        [sandbox] = steps("sandbox", {"PORT": port})
        proc = fake_proc(tmp_path, {1: ["python", *sandbox.argv]})
        assert role.healthcheck({"PORT": port}, proc) == 0
        answers["/healthz"] = 503
        assert role.healthcheck({"PORT": port}, proc) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert role.healthcheck({"PORT": port}, proc) == 1  # nothing listens any more
