"""ServerProcess believes only its own server: a taken port or a health answer from another
process is refused with an error naming the port and the process that holds it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
import pytest

from devstack import ports
from devstack.ports import PortInUseError
from devstack.processes import ServerProcess, free_port, python_argv
from tests.devstack.helpers import held_port

SLEEPER = python_argv("-c", "import time; time.sleep(60)")  # alive, never listens


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet: stderr is the test output
        pass


@contextmanager
def answer_health_once_started(server: ServerProcess) -> Iterator[None]:
    """From this test process, serve 200 on the server's port as soon as its child exists:
    after start()'s port check, so only the ownership check can tell the answer is foreign."""
    stop = threading.Event()
    http: list[ThreadingHTTPServer] = []

    def serve() -> None:
        while server.proc is None and not stop.is_set():
            time.sleep(0.005)
        if not stop.is_set():
            http.append(ThreadingHTTPServer(("127.0.0.1", server.port), Healthy))
            http[0].serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        if http:
            http[0].shutdown()
            http[0].server_close()
        thread.join(timeout=5)


def test_server_process_refuses_a_taken_port_naming_it_and_its_holder() -> None:
    with held_port() as port:
        server = ServerProcess("sleeper", SLEEPER, port)
        with pytest.raises(PortInUseError) as raised:
            server.start()
    message = str(raised.value)
    assert f"port {port} (sleeper)" in message
    assert f"pid {os.getpid()}: {' '.join(psutil.Process().cmdline())}" in message
    assert server.proc is None  # nothing was started


def test_server_process_refuses_a_health_answer_from_a_foreign_process() -> None:
    server = ServerProcess("sleeper", SLEEPER, free_port(), startup_timeout=10)
    with answer_health_once_started(server), pytest.raises(PortInUseError) as raised:
        server.start()
    message = str(raised.value)
    assert f"port {server.port}" in message
    assert "(sleeper: /healthz was answered by another process)" in message
    assert f"pid {os.getpid()}" in message
    assert server.proc is not None
    assert server.proc.poll() is not None  # the child it started was stopped


def test_server_process_accepts_its_own_server_and_stop_frees_the_port() -> None:
    port = free_port()
    argv = python_argv("-m", "http.server", "--bind", "127.0.0.1", str(port))
    server = ServerProcess("http-server", argv, port, health_path="/").start()
    try:
        assert server.proc is not None
        assert ports.listens_in_tree(server.proc.pid, port)
    finally:
        server.stop()
    assert ports.is_free(port)
