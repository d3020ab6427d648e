"""Reading what the sink kept: each message an .eml file, parsed with the standard library."""

from __future__ import annotations

import email
import email.policy
import re
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

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
