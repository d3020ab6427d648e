"""Real sockets and process trees for the launcher tests (no mocks)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psutil

from devstack.processes import free_port


@contextmanager
def held_port() -> Iterator[int]:
    """A free loopback port on which this test process listens (a foreign server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()
        yield sock.getsockname()[1]


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running; zombies count as gone (they hold no sockets, and orphans stay
    zombies where PID 1 does not reap them)."""
    running = []
    for proc in procs:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                running.append(proc)
        except psutil.NoSuchProcess:
            continue
    return running


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` until it is true (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
