"""`make run` (python -m devstack) as a real subprocess: it refuses taken ports before
starting anything, and no signal leaves its servers running or holding their ports."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from devstack import ports
from devstack.processes import ROOT, free_port, python_argv
from tests.devstack.helpers import alive, held_port, wait_until

# In the order the launcher checks them (and reports the taken ones).
PORT_VARIABLES = (
    "WEB_PORT", "USER_SERVICE_PORT", "PAYMENT_SERVICE_PORT", "WORKER_PORT", "USER_WORKER_PORT",
    "SANDBOX_PORT", "MAIL_SINK_PORT", "MAIL_SINK_HTTP_PORT",
)  # fmt: skip
# a developer's own settings would move the launcher's data (or Stripe) out of the tmp dir
INHERITED_SETTINGS = (
    "DATABASE_URL",
    "PAYMENT_DATABASE_URL",
    "WEB_DATABASE_URL",
    "JWT_KEYS_DIR",
    "STRIPE_API_KEY",
    "SMTP_HOST",
)
STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]  # Ctrl-C, kill, terminal closed
BANNER_END = "Ctrl-C stops everything."
STARTUP_TIMEOUT = 90  # two migrations and seven servers on a shared 2-core machine
GONE_WITHIN = 10  # seconds for every server process to exit and every port to be free


def launcher_env(data: Path, port_of: dict[str, int]) -> dict[str, str]:
    """The launcher on the given ports, with all its data in `data` (never the repo's data/)."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS}
    return {**env, "DEVSTACK_DATA_DIR": str(data), **{k: str(v) for k, v in port_of.items()}}


class Launcher:
    """`python -m devstack` whose output is collected until it prints its ready banner."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            python_argv("-m", "devstack"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            if BANNER_END in line:
                self.ready.set()

    def text(self) -> str:
        return "".join(self.output)


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[tuple[Launcher, dict[str, int]]]:
    """A launcher on free ports, ready; whatever a failing test leaves is killed."""
    port_of = {name: free_port() for name in PORT_VARIABLES}
    running = Launcher(launcher_env(tmp_path, port_of))
    tree: list[psutil.Process] = []
    try:
        assert running.ready.wait(STARTUP_TIMEOUT), running.text()
        tree = psutil.Process(running.proc.pid).children(recursive=True)
        yield running, port_of
    finally:
        if running.proc.poll() is None:  # stopped the clean way, its servers leave no zombies
            running.proc.terminate()
            try:
                running.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                running.proc.kill()
                running.proc.wait(timeout=10)
        for proc in alive(tree):
            proc.kill()


@pytest.mark.parametrize("variable", PORT_VARIABLES)
def test_launcher_refuses_a_taken_port_naming_it_and_its_holder_and_starts_nothing(
    variable: str, tmp_path: Path
) -> None:
    with held_port() as port:
        port_of = {name: free_port() for name in PORT_VARIABLES} | {variable: port}
        result = subprocess.run(
            python_argv("-m", "devstack"),
            cwd=ROOT,
            env=launcher_env(tmp_path, port_of),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    holder = f"pid {os.getpid()}: {' '.join(psutil.Process().cmdline())}"
    assert lines == [
        f"make run: port {port} ({variable}) is already in use by {holder}; "
        f"stop it or set {variable}"
    ]
    assert BANNER_END not in result.stdout
    assert "User service" not in result.stdout
    assert list(tmp_path.iterdir()) == []  # no migration, no log, no server


def test_second_launcher_refuses_every_port_naming_the_first_ones_servers(
    launcher: tuple[Launcher, dict[str, int]], tmp_path: Path
) -> None:
    running, port_of = launcher
    servers = psutil.Process(running.proc.pid).children()
    result = subprocess.run(
        python_argv("-m", "devstack"),
        cwd=ROOT,
        env=launcher_env(tmp_path / "second", port_of),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert BANNER_END not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == len(port_of)
    for line, (variable, port) in zip(lines, port_of.items(), strict=True):
        # the server's master process (gunicorn/uvicorn), not one of its workers
        (owner,) = [s for s in servers if ports.listens_in_tree(s.pid, port)]
        assert line.startswith(f"make run: port {port} ({variable}) is already in use by ")
        assert f"pid {owner.pid}: {' '.join(owner.cmdline())};" in line
    assert not (tmp_path / "second").exists()  # it started nothing
    assert running.proc.poll() is None  # the first one runs on, untouched


def test_banner_prints_the_web_url_first_and_the_shop_answers_there(
    launcher: tuple[Launcher, dict[str, int]],
) -> None:
    running, port_of = launcher
    first = next(line for line in running.output if line.strip())
    web_url = f"http://127.0.0.1:{port_of['WEB_PORT']}"
    assert first.split()[:3] == ["Web", "(shop)", web_url]
    shop = httpx.get(web_url + "/", timeout=10)
    assert shop.status_code == 200
    assert "<h1>Shop</h1>" in shop.text


@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: s.name)
def test_launcher_stops_every_server_and_frees_its_ports_on(
    sig: signal.Signals, launcher: tuple[Launcher, dict[str, int]]
) -> None:
    running, port_of = launcher
    tree = psutil.Process(running.proc.pid).children(recursive=True)
    for port in port_of.values():
        assert ports.listens_in_tree(running.proc.pid, port)

    running.proc.send_signal(sig)

    assert running.proc.wait(timeout=30) == 0
    assert wait_until(lambda: not alive(tree), GONE_WITHIN), alive(tree)
    assert wait_until(lambda: all(map(ports.is_free, port_of.values())), GONE_WITHIN)
    running.reader.join(timeout=5)
    assert f"{sig.name}: stopping" in running.text()


def test_servers_die_with_a_sigkilled_launcher(
    launcher: tuple[Launcher, dict[str, int]],
) -> None:
    running, port_of = launcher
    tree = psutil.Process(running.proc.pid).children(recursive=True)
    assert len(tree) >= 3

    running.proc.kill()  # no handler runs: the kernel's PR_SET_PDEATHSIG must do it

    running.proc.wait(timeout=10)
    assert wait_until(lambda: not alive(tree), GONE_WITHIN), alive(tree)
    assert wait_until(lambda: all(map(ports.is_free, port_of.values())), GONE_WITHIN)
