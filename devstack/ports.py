"""Who holds a loopback port, and whether a listening socket belongs to a process we started.

A health check only proves that *something* answers on a port; these helpers let the launcher
and `ServerProcess` tell their own server from another one already running there.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import psutil

HOST = "127.0.0.1"


class PortInUseError(RuntimeError):
    """A port a server was to listen on is already taken (by `holders`, where known)."""

    def __init__(self, port: int, purpose: str = "") -> None:
        self.port = port
        self.holders = holders(port)
        super().__init__(describe(port, self.holders, purpose))


@dataclass(frozen=True)
class Holder:
    pid: int
    cmdline: str


def is_free(port: int, host: str = HOST) -> bool:
    """True when a server could bind `host:port` now.

    SO_REUSEADDR as gunicorn and uvicorn set it: TIME_WAIT leftovers of a server that just
    stopped do not count, a listener on the port (or on 0.0.0.0 / [::]) does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def holders(port: int) -> list[Holder]:
    """Processes with a listening TCP socket on `port` (those this user may inspect)."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return []
    pids = sorted(
        {
            c.pid
            for c in conns
            if c.pid is not None and c.status == psutil.CONN_LISTEN and _port_of(c.laddr) == port
        }
    )
    found: dict[int, Holder] = {}
    for pid in pids:
        try:
            proc = _topmost_sharer(psutil.Process(pid), port)
            found[proc.pid] = Holder(proc.pid, " ".join(proc.cmdline()))
        except psutil.Error:
            continue
    return list(found.values())


def _topmost_sharer(proc: psutil.Process, port: int) -> psutil.Process:
    """psutil names one arbitrary process per socket, often a worker that inherited it from
    its master: climb to the highest ancestor that still listens on `port`."""
    while (parent := proc.parent()) is not None and _listens(parent, port):
        proc = parent
    return proc


def _listens(proc: psutil.Process, port: int) -> bool:
    try:
        conns = proc.net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and _port_of(c.laddr) == port for c in conns)


def _port_of(laddr: tuple[object, ...]) -> object:
    """A connection's local port (psutil gives an empty tuple for unbound sockets)."""
    return laddr[1] if len(laddr) > 1 else None


def describe(port: int, found: list[Holder], purpose: str = "") -> str:
    """One line: the port, what it was for, and who holds it."""
    what = f"port {port}" + (f" ({purpose})" if purpose else "")
    if not found:
        return f"{what} is already in use (by a process this user cannot inspect)"
    who = "; ".join(f"pid {h.pid}: {h.cmdline}" for h in found)
    return f"{what} is already in use by {who}"


def listens_in_tree(root_pid: int, port: int) -> bool:
    """True when `root_pid` or one of its descendants holds a listening socket on `port`."""
    try:
        root = psutil.Process(root_pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    return any(_listens(proc, port) for proc in tree)
