"""A local SMTP sink: every message it receives is kept as an .eml file, nothing is relayed.

`python -m devstack.mailsink --smtp-port 1025 --http-port 1080 --dir data/mail` (make run
starts it; the tests start their own). SMTP by aiosmtpd; /healthz on the HTTP port, so the
sink starts like every other server here (devstack.processes.ServerProcess). `read_mail`
parses what it kept, for the tests and for anyone reading their mail in a terminal.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import re
import signal
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
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


LINK_TOKEN = re.compile(r"/(reset-password|verify-email)\?token=([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Mail:
    path: Path
    to: str
    subject: str
    text: str
    html: str

    def link_token(self, page: str) -> str:
        """The token of the mail's one link to `page` (reset-password or verify-email), which
        the text and the HTML part must both carry."""
        tokens: set[str] = {t for p, t in LINK_TOKEN.findall(self.text) if p == page}
        if len(tokens) != 1 or f"/{page}?token={next(iter(tokens))}" not in self.html:
            raise ValueError(f"no single {page} link in both parts of {self.path}")
        return tokens.pop()


def read_mail(folder: Path) -> list[Mail]:
    """Every message the sink kept in `folder`, oldest first."""
    found = []
    for path in sorted(folder.glob("[0-9]*.eml"), key=lambda p: tuple(map(int, p.stem.split("-")))):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        found.append(
            Mail(
                path,
                str(message["To"]),
                str(message["Subject"]),
                text.get_content() if text is not None else "",
                html.get_content() if html is not None else "",
            )
        )
    return found


def wait_for_mail(
    folder: Path, recipient: str, subject: str, *, count: int = 1, timeout: float = 20.0
) -> Mail:
    """The `count`-th mail to `recipient` whose subject contains `subject`, once it arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in read_mail(folder) if m.to == recipient and subject in m.subject]
        if len(found) >= count:
            return found[count - 1]
        if time.monotonic() > deadline:
            raise TimeoutError(f"no mail {subject!r} #{count} to {recipient} in {folder}")
        time.sleep(0.1)


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
    parser = argparse.ArgumentParser(prog="python -m devstack.mailsink")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=1080)
    parser.add_argument("--dir", type=Path, default=Path("data/mail"))
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(KeepInFolder(args.dir), hostname=HOST, port=args.smtp_port)
    controller.start()
    http = ThreadingHTTPServer((HOST, args.http_port), _Health)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=http.shutdown).start())
    print(f"mail sink: SMTP on {HOST}:{args.smtp_port}, messages kept in {args.dir}", flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
        http.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
