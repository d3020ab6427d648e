"""A session's token refresh is one at a time across threads, worker processes and replicas.

The user service rotates refresh tokens and revokes the whole family when one is used twice,
so two requests of one session must never both refresh with the same token, whichever
process serves them. The lease is a row in the web's sessions database (`SessionStore.
refresh_lock`); the new tokens are stored only over the refresh token they replace.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from devstack.processes import free_port
from tests.fixtures.auth import Customer
from tests.fixtures.web import WebStack, start_web
from tests.web.helpers import sign_in
from web.sessions import Session, SessionStore, Tokens

LEASE_SECONDS = 2.0


def store_of(path: Path, lease: float = LEASE_SECONDS) -> SessionStore:
    return SessionStore(f"sqlite:///{path}", idle_seconds=3600, refresh_lease_seconds=lease)


def test_a_sessions_refresh_lease_is_held_by_one_store_at_a_time_and_an_expired_one_is_taken_over(
    tmp_path: Path,
) -> None:
    db = tmp_path / "web.sqlite3"
    first, second = store_of(db), store_of(db)  # two processes' stores of one database
    session = Session("a" * 64, {}, None)
    other = Session("b" * 64, {}, None)
    assert first.claim_refresh(session, "one")
    assert not second.claim_refresh(session, "two")
    assert second.claim_refresh(other, "two")  # other sessions are not held up
    first.release_refresh(session, "one")
    assert second.claim_refresh(session, "two")
    second.release_refresh(session, "someone-else")  # only the holder releases
    assert not first.claim_refresh(session, "one")
    time.sleep(LEASE_SECONDS + 0.1)  # the holder died: its lease runs out
    assert first.claim_refresh(session, "one")
    assert not second.claim_refresh(session, "two")


def test_new_tokens_are_stored_only_over_the_refresh_token_they_were_rotated_from(
    tmp_path: Path,
) -> None:
    store = store_of(tmp_path / "web.sqlite3")
    session = store.new({"user": {"id": "u"}})
    store.set_tokens(session, Tokens("access-1", "refresh-1", time.time() + 900))
    loaded = store.load(str(session.cookie))
    assert loaded is not None
    assert store.replace_tokens(loaded, "refresh-1", Tokens("access-2", "refresh-2", 1.0))
    assert not store.replace_tokens(loaded, "refresh-1", Tokens("access-3", "refresh-3", 1.0))
    stored = store.stored_tokens(loaded)
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("access-2", "refresh-2")
    store.clear_tokens(loaded)  # signed out while a refresh was under way
    assert not store.replace_tokens(loaded, "refresh-2", Tokens("access-4", "refresh-4", 1.0))
    assert store.stored_tokens(loaded) is None  # the tokens do not come back


def _hold_the_lock_repeatedly(database: str, journal: str, rounds: int) -> None:
    """Another process: take the session's refresh lock `rounds` times, writing when it is
    entered and left."""
    store = store_of(Path(database), lease=30)
    session = Session("c" * 64, {}, None)
    for _ in range(rounds):
        with store.refresh_lock(session):
            with open(journal, "a") as out:
                out.write(f"enter {os.getpid()}\n")
            time.sleep(0.005)
            with open(journal, "a") as out:
                out.write(f"leave {os.getpid()}\n")


def test_the_refresh_lock_excludes_other_processes_sharing_the_sessions_database(
    tmp_path: Path,
) -> None:
    database, journal = tmp_path / "web.sqlite3", tmp_path / "journal"
    store_of(database)  # the tables, before the processes race for them
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_hold_the_lock_repeatedly, args=(str(database), str(journal), 15))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    lines = journal.read_text().splitlines()
    assert len(lines) == 4 * 15 * 2
    for entered, left in zip(lines[::2], lines[1::2], strict=True):
        assert entered.startswith("enter ")  # nobody entered while another held the lock
        assert left == "leave " + entered.removeprefix("enter ")


@pytest.fixture
def replica(web_stack: WebStack, logs_dir: Path) -> Iterator[str]:
    """A second web server on the same sessions database, as a second replica would be."""
    server = start_web(
        free_port(), web_stack.payments, web_stack.sessions_db, logs_dir / "web-replica.log"
    )
    try:
        yield server.url
    finally:
        server.stop()


def burst(urls: list[str], cookie: str, count: int) -> list[httpx.Response]:
    """`count` requests of one session for /account at the same moment, spread over `urls`."""
    barrier = threading.Barrier(count)
    answers: list[httpx.Response] = []

    def one(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30, cookies={"web_session": cookie}) as client:
            barrier.wait()
            answers.append(client.get("/account"))

    threads = [threading.Thread(target=one, args=(urls[i % len(urls)],)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.parametrize("topology", ["one-server-of-two-workers", "two-replicas"])
def test_concurrent_requests_of_one_session_near_token_expiry_never_reuse_its_refresh_token(
    topology: str,
    request: pytest.FixtureRequest,
    web_stack: WebStack,
    make_customer: Callable[..., Customer],
) -> None:
    urls = [web_stack.url]
    if topology == "two-replicas":
        urls.append(request.getfixturevalue("replica"))
    customer = make_customer()
    with httpx.Client(base_url=web_stack.url, timeout=15) as client:
        sign_in(client, customer.email, customer.password)
        cookie = str(client.cookies["web_session"])
    for _ in range(4):
        before = web_stack.session(cookie)
        web_stack.age_session(cookie, access_expires_at=time.time() + 5)  # inside the margin
        answers = burst(urls, cookie, 12)
        # A refresh token used twice would have revoked the family: sign in again (303).
        assert [a.status_code for a in answers] == [200] * len(answers)
        assert all(customer.email in a.text for a in answers)
        after = web_stack.session(cookie)
        assert after["refresh_token"] != before["refresh_token"]
        assert after["access_expires_at"] > time.time() + 600
