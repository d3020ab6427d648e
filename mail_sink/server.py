"""A local SMTP sink: every message it receives is kept as an .eml file, nothing is relayed.

`python -m mail_sink --smtp-port 1025 --http-port 1080 --dir data/mail`: `make run` starts
it, the tests start their own, the image's `mail-sink` role runs it in compose's dev profile.
SMTP by aiosmtpd; /healthz on the HTTP port, so the sink starts like every other server here
(devstack.processes.ServerProcess). mail_sink/mailbox.py reads what it kept.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class KeepInFolder:
    """aiosmtpd handler: each message into `<folder>/<unix ns>-<n>.eml`, atomically (written
    under a dot name, then renamed), so a reader never sees half a message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counter = itertools.count()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        content = envelope.original_content or b""
        with self.lock:
            name = f"{time.time_ns()}-{next(self.counter)}.eml"
        partial = self.folder / f".{name}"
        partial.write_bytes(content)
        partial.rename(self.folder / name)
        print(f"mail to {', '.join(envelope.rcpt_tos)} kept in {self.folder / name}", flush=True)
        return "250 Message accepted for delivery"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path == "/healthz"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}' if ok else b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        """Probes are not worth a line each."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mail_sink")
    parser.add_argument("--host", default=HOST, help="the address both ports listen on")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=1080)
    parser.add_argument("--dir", type=Path, default=Path("data/mail"))
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(KeepInFolder(args.dir), hostname=args.host, port=args.smtp_port)
    controller.start()
    http = ThreadingHTTPServer((args.host, args.http_port), _Health)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=http.shutdown).start())
    print(f"mail sink: SMTP on {args.host}:{args.smtp_port}, mail kept in {args.dir}", flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
        http.server_close()
    return 0
