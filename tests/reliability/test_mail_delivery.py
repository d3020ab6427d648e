"""Mail under faults, with real processes: a user service, its mail worker and the SMTP sink,
which is down when the mail is asked for and comes back later. Nothing is lost, nothing is
sent twice, and the request never waited for the mail server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from devstack import services
from devstack.auth import register
from devstack.databases import fresh_database
from devstack.processes import ServerProcess, free_port
from mail_sink.mailbox import read_mail, wait_for_mail

pytestmark = pytest.mark.reliability

EMAIL = "mail-fault@example.com"
PASSWORD = "a long enough passphrase"


@pytest.fixture
def stack(
    test_database_base_url: str | None, tmp_path: Path, logs_dir: Path
) -> Iterator[tuple[ServerProcess, str, int]]:
    smtp_port = free_port()
    with fresh_database(test_database_base_url, tmp_path, "users_mail") as url:
        users = services.user_service(
            free_port(), url, keys_dir=tmp_path / "keys", log_path=logs_dir / "user-mail.log",
            env={**services.smtp_env(smtp_port), "SMTP_TIMEOUT_SECONDS": "2",
                 "MAIL_RETRY_BASE_SECONDS": "0.5", "MAIL_RETRY_CAP_SECONDS": "2"},
        ).start()  # fmt: skip
        worker = services.user_worker(
            free_port(), users.env, log_path=logs_dir / "user-mail-worker.log"
        ).start()
        try:
            yield users, url, smtp_port
        finally:
            worker.stop()
            users.stop()


def job_states(url: str) -> list[tuple[str, int, str | None]]:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(
                text(
                    "SELECT state, attempts, note FROM ums_mail_jobs WHERE kind = 'password_reset'"
                )
            )
            return [(r.state, r.attempts, r.note) for r in rows]
    finally:
        engine.dispose()


def test_mail_asked_for_while_the_mail_server_is_down_arrives_once_when_it_is_back(
    stack: tuple[ServerProcess, str, int], tmp_path: Path, logs_dir: Path
) -> None:
    users, url, smtp_port = stack
    register(users.url, EMAIL, PASSWORD)
    started = time.monotonic()
    answer = httpx.post(f"{users.url}/auth/password-reset", json={"email": EMAIL}, timeout=10)
    assert answer.status_code == 202
    assert time.monotonic() - started < 2  # queued: the request did not wait for SMTP
    deadline = time.monotonic() + 30
    while not any(attempts >= 2 for _, attempts, _ in job_states(url)):
        assert time.monotonic() < deadline, job_states(url)
        time.sleep(0.2)
    ((state, _, note),) = job_states(url)
    assert state == "pending"
    assert note is not None
    assert "refused" in note.lower()

    folder = tmp_path / "mail"
    sink = services.mail_sink(free_port(), smtp_port, folder, log_path=logs_dir / "sink.log")
    sink.start()
    try:
        mail = wait_for_mail(folder, EMAIL, "Reset your password", timeout=30)
        assert mail.link_token("reset-password")
        deadline = time.monotonic() + 10
        while job_states(url)[0][0] != "sent":
            assert time.monotonic() < deadline, job_states(url)
            time.sleep(0.2)
        time.sleep(1.5)  # a second send would have had time to arrive
        resets = [m for m in read_mail(folder) if "Reset your password" in m.subject]
        assert len(resets) == 1
    finally:
        sink.stop()
