"""Server-side sessions: one row per browser in a small table of the web's own (SQLAlchemy).

The browser holds only a random session id (an HttpOnly cookie); the table keys rows by its
SHA-256, so a copy of the table does not give away live cookies. The access and refresh tokens
live in their own columns, written only by `set_tokens`/`replace_tokens`/`clear_tokens` (never
by the generic save of the cart and flash data), so a request that loaded the session before
another one rotated the tokens cannot write the old, already used refresh token back.

A refresh token is single use: a second refresh with it makes the user service revoke the
whole family (the user is signed out everywhere). So one request at a time refreshes a
session's tokens, across every thread, worker and replica sharing the table: `refresh_lock`
takes a lease, a row of `web_token_refreshes` claimed by a compare-and-set (an INSERT, or an
UPDATE of an expired lease), and the new tokens are stored only over the refresh token they
replace (`replace_tokens`, another compare-and-set). No transaction stays open during the
call to the user service, and SQLite and PostgreSQL behave alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger("web.sessions")
PURGE_EVERY_INSERTS = 500  # expired rows are deleted at start and every this many new sessions
metadata = MetaData()
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("access_expires_at", Float),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
# At most one row per session: the request refreshing its tokens now (`holder`, a random id)
# until `lease_until`. A table of its own, so that existing session tables need no migration.
web_token_refreshes = Table(
    "web_token_refreshes",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("lease_until", Float, nullable=False),
)
REFRESH_POLL_SECONDS = 0.05


class RefreshBusy(Exception):  # noqa: N818 (a state)
    """Another request held the session's refresh lease for longer than a lease lasts."""


def create_tables(engine: Engine, attempts: int = 5) -> None:
    """Create the tables that are missing; several workers starting at once may race to
    create one (the loser's CREATE fails: it looks again)."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: float


@dataclass
class Session:
    id_hash: str
    data: dict[str, Any]
    tokens: Tokens | None
    cookie: str | None = None  # set when the cookie must be (re)sent
    persisted: bool = False
    dirty: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> dict[str, Any] | None:
        user = self.data.get("user")
        return user if isinstance(user, dict) else None

    def mark(self) -> None:
        self.dirty = True


class SessionStore:
    def __init__(
        self, database_url: str, idle_seconds: int, refresh_lease_seconds: float = 30.0
    ) -> None:
        """`refresh_lease_seconds`: how long a refresh may hold the session's lease (longer
        than a call to the user service can take); a lease left by a dead process is taken
        over after that."""
        connect_args = {"timeout": 10, "check_same_thread": False}
        self.engine: Engine = create_engine(
            database_url,
            connect_args=connect_args if database_url.startswith("sqlite") else {},
            pool_pre_ping=True,
        )
        if database_url.startswith("sqlite"):

            @event.listens_for(self.engine, "connect")
            def _wal(dbapi_conn: Any, _record: Any) -> None:
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()

        create_tables(self.engine)
        self.idle_seconds = idle_seconds
        self.refresh_lease_seconds = refresh_lease_seconds
        self._locks = [threading.Lock() for _ in range(64)]  # striped: bounded, no cleanup
        self._inserts = 0

    # -- life cycle -------------------------------------------------------------------
    def new(self, data: dict[str, Any] | None = None) -> Session:
        """A session not stored yet (stored by `save` once something needs it)."""
        session_id = secrets.token_urlsafe(32)
        return Session(_hash(session_id), data or {}, None, cookie=session_id, dirty=bool(data))

    def load(self, session_id: str) -> Session | None:
        """The live session of this cookie value, or None (unknown or expired)."""
        if not session_id or len(session_id) > 128:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(web_sessions).where(web_sessions.c.id_hash == _hash(session_id))
            ).first()
        if row is None or row.expires_at < time.time():
            return None
        tokens = (
            Tokens(row.access_token, row.refresh_token, row.access_expires_at or 0.0)
            if row.access_token and row.refresh_token
            else None
        )
        return Session(row.id_hash, json.loads(row.data), tokens, persisted=True)

    def save(self, session: Session) -> None:
        """Store the data (and push the idle expiry back)."""
        now = time.time()
        values = {"data": json.dumps(session.data), "expires_at": now + self.idle_seconds}
        with self.engine.begin() as conn:
            if session.persisted:
                conn.execute(
                    update(web_sessions)
                    .where(web_sessions.c.id_hash == session.id_hash)
                    .values(**values)
                )
            else:
                tokens = session.tokens
                conn.execute(
                    insert(web_sessions).values(
                        id_hash=session.id_hash,
                        created_at=now,
                        access_token=tokens.access_token if tokens else None,
                        refresh_token=tokens.refresh_token if tokens else None,
                        access_expires_at=tokens.access_expires_at if tokens else None,
                        **values,
                    )
                )
                session.persisted = True
                self._inserts += 1
        session.dirty = False
        if self._inserts >= PURGE_EVERY_INSERTS:
            self._inserts = 0
            self.purge_expired()

    def touch(self, session: Session) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.id_hash == session.id_hash)
                .values(expires_at=time.time() + self.idle_seconds)
            )

    def delete(self, session: Session) -> None:
        if session.persisted:
            with self.engine.begin() as conn:
                conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == session.id_hash))
        session.persisted = False

    def purge_expired(self) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            result = conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
            # leases a dead process left behind
            conn.execute(delete(web_token_refreshes).where(web_token_refreshes.c.lease_until < now))
        return int(result.rowcount or 0)

    # -- tokens -----------------------------------------------------------------------
    def set_tokens(self, session: Session, tokens: Tokens) -> None:
        session.tokens = tokens
        if not session.persisted:
            self.save(session)
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.id_hash == session.id_hash)
                .values(
                    access_token=tokens.access_token,
                    refresh_token=tokens.refresh_token,
                    access_expires_at=tokens.access_expires_at,
                )
            )

    def replace_tokens(self, session: Session, used_refresh_token: str, tokens: Tokens) -> bool:
        """Store `tokens` only over the refresh token they were rotated from (a compare-and-
        set): False, and nothing written, when the session's tokens are no longer those (it
        was signed out, or its tokens were dropped, meanwhile)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(web_sessions)
                .where(
                    web_sessions.c.id_hash == session.id_hash,
                    web_sessions.c.refresh_token == used_refresh_token,
                )
                .values(
                    access_token=tokens.access_token,
                    refresh_token=tokens.refresh_token,
                    access_expires_at=tokens.access_expires_at,
                )
            )
        if result.rowcount != 1:
            return False
        session.tokens = tokens
        return True

    def clear_tokens(self, session: Session) -> None:
        session.tokens = None
        if session.persisted:
            with self.engine.begin() as conn:
                conn.execute(
                    update(web_sessions)
                    .where(web_sessions.c.id_hash == session.id_hash)
                    .values(access_token=None, refresh_token=None, access_expires_at=None)
                )

    def stored_tokens(self, session: Session) -> Tokens | None:
        """The tokens as stored now (another request may have rotated them)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    web_sessions.c.access_token,
                    web_sessions.c.refresh_token,
                    web_sessions.c.access_expires_at,
                ).where(web_sessions.c.id_hash == session.id_hash)
            ).first()
        if row is None or not row.access_token or not row.refresh_token:
            return None
        return Tokens(row.access_token, row.refresh_token, row.access_expires_at or 0.0)

    @contextmanager
    def refresh_lock(self, session: Session) -> Iterator[None]:
        """One refresh at a time per session, across threads, workers and replicas: the
        refresh token is single use, and a second refresh with the same one would revoke the
        whole family. Waits while another request holds the session's lease (RefreshBusy
        once a whole lease has passed without getting it)."""
        # Threads of this process queue on a lock first, so that only one of them at a time
        # polls the table.
        with self._locks[int(session.id_hash[:8], 16) % len(self._locks)]:
            holder = secrets.token_hex(16)
            deadline = time.monotonic() + self.refresh_lease_seconds + 1
            while not self.claim_refresh(session, holder):
                if time.monotonic() > deadline:
                    raise RefreshBusy
                time.sleep(REFRESH_POLL_SECONDS)
            try:
                yield
            finally:
                self.release_refresh(session, holder)

    def claim_refresh(self, session: Session, holder: str) -> bool:
        """Take the session's refresh lease for `holder`: True for the one caller that got it
        (a new lease, or one whose time ran out: its holder died or hung)."""
        now = time.time()
        until = now + self.refresh_lease_seconds
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(web_token_refreshes).values(
                        id_hash=session.id_hash, holder=holder, lease_until=until
                    )
                )
            return True
        except IntegrityError:
            pass  # somebody holds it, or held it and left it behind
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(web_token_refreshes)
                .where(
                    web_token_refreshes.c.id_hash == session.id_hash,
                    web_token_refreshes.c.lease_until < now,
                )
                .values(holder=holder, lease_until=until)
            )
        if taken.rowcount == 1:
            log.warning("took over an expired token-refresh lease")
            return True
        return False

    def release_refresh(self, session: Session, holder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(web_token_refreshes).where(
                    web_token_refreshes.c.id_hash == session.id_hash,
                    web_token_refreshes.c.holder == holder,
                )
            )
