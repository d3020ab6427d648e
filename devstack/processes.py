"""Start real server processes on free loopback ports and wait until they are healthy.

Healthy means: the port was free before the start, /healthz answers 200, the child is still
alive and the listening socket is its own (not another server's that was there first).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from devstack import ports
from devstack.ports import PortInUseError

ROOT = Path(__file__).resolve().parent.parent


# Servers listen below the kernel's ephemeral range: a port the kernel hands out (bind to 0)
# can be taken by any outgoing connection's local end once its server stops, so a restarted
# server could not bind it again (CI saw it after a SIGKILL mid-burst).
_LOWEST_PORT = 10_000
_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port() -> int:
    """A free loopback port outside the ephemeral range, not handed out before by this process
    (racy against other programs in theory, fine on a test machine)."""
    low, high = _ephemeral_range()
    candidates = [p for p in range(_LOWEST_PORT, 65536) if not low <= p <= high]
    for _ in range(200):
        port = random.choice(candidates)  # noqa: S311 - not a secret
        if port not in _handed_out and ports.is_free(port):
            _handed_out.add(port)
            return port
    raise RuntimeError("no free loopback port outside the ephemeral range")


@dataclass
class ServerProcess:
    """A server started as a child process; `start()` returns once it is healthy (see above).

    `die_with_parent` asks the kernel to SIGTERM the server when the thread that started it
    exits, even by SIGKILL (Linux PR_SET_PDEATHSIG). Only for single-threaded starters such as
    `make run`: the signal follows the *thread*, and preexec_fn is unsafe beside threads.
    """

    name: str
    argv: Sequence[str]
    port: int
    env: Mapping[str, str] = field(default_factory=dict)
    health_path: str = "/healthz"
    log_path: Path | None = None
    startup_timeout: float = 30.0
    proc: subprocess.Popen[bytes] | None = None
    die_with_parent: bool = False
    # set once stop() saw the whole group gone: a later stop() must not signal a pgid reused
    _stopped: bool = field(default=False, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        if not ports.is_free(self.port):
            raise PortInUseError(self.port, self.name)
        self._stopped = False
        env = {**os.environ, **self.env}
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            list(self.argv),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_term_when_parent_dies() if self.die_with_parent else None,
        )
        self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before it was healthy"
                    + self._log_tail()
                )
            try:
                with urllib.request.urlopen(self.url + self.health_path, timeout=2) as resp:  # noqa: S310
                    if resp.status == 200 and self._answer_was_ours():
                        return
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not healthy at {self.url}: {last_error}{self._log_tail()}")

    def _answer_was_ours(self) -> bool:
        """A 200 counts only if our child owns the listening socket: else another server that
        took the port first answered. False if the child died meanwhile (the loop reports it)."""
        assert self.proc is not None
        if ports.listens_in_tree(self.proc.pid, self.port):
            return self.proc.poll() is None
        if self.proc.poll() is not None:
            return False
        self.stop()
        answered = f"{self.name}: {self.health_path} was answered by another process"
        raise PortInUseError(self.port, answered)

    def _log_tail(self) -> str:
        if self.log_path and self.log_path.exists():
            return "\n--- log tail ---\n" + self.log_path.read_text(errors="replace")[-3000:]
        return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Stop the whole process group (gunicorn/uvicorn workers included) and wait until
        none of it is left, so the port is free again when this returns."""
        if self.proc is None or self._stopped:
            return
        group = self.proc.pid
        if self.proc.poll() is None or _live_members(group):
            _signal_group(group, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if not _group_gone(group, within=5.0):  # workers outliving their master
            _signal_group(group, signal.SIGKILL)
            _group_gone(group, within=5.0)
        self._stopped = True

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def _signal_group(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _live_members(group: int) -> list[int]:
    """Pids in process group `group` that still run (zombies hold no sockets: they count as
    gone, and orphans may stay zombies where PID 1 does not reap them)."""
    live = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == group and proc.status() != psutil.STATUS_ZOMBIE:
                live.append(proc.pid)
        except (OSError, psutil.Error):
            continue
    return live


def _group_gone(group: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while _live_members(group):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _term_when_parent_dies() -> Callable[[], None] | None:
    """preexec_fn: SIGTERM the child when its parent thread dies (the server then stops its
    own workers). prctl is looked up here, so the forked child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl ran: no signal would come
            os._exit(1)

    return preexec


def python_argv(*args: str) -> list[str]:
    """argv running the current interpreter (the project's venv)."""
    return [sys.executable, *args]
