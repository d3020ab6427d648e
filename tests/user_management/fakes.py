"""In-memory stand-ins for the user service's ports, for unit tests of its domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Self

from user_management_service.domain.access_tokens import AccessTokenPolicy, Caller
from user_management_service.domain.account_tokens import AccountToken, Purpose
from user_management_service.domain.api_clients import ApiClient
from user_management_service.domain.audit import AuditEvent, AuditFilter
from user_management_service.domain.errors import EmailTakenError, InvalidTokenError
from user_management_service.domain.mail import MailerError, MailJob, MailKind, MailState, Message
from user_management_service.domain.mfa import MfaSecret
from user_management_service.domain.refresh_tokens import RefreshRecord
from user_management_service.domain.throttle import Counter
from user_management_service.domain.users import Role, Status, User, utc_now


class MemoryUsers:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, User] = {}

    def add(self, user: User) -> None:
        if self.active_with_email(user.email):
            raise EmailTakenError(user.email)
        user.seq = len(self.rows) + 1
        self.rows[user.id] = user

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.rows.get(user_id)

    def active_with_email(self, email: str) -> User | None:
        return next(
            (u for u in self.rows.values() if u.email == email and u.status is Status.ACTIVE),
            None,
        )

    def list_after(
        self, after_seq: int | None, limit: int, email: str | None, status: Status | None
    ) -> list[User]:
        users = sorted(self.rows.values(), key=lambda u: u.seq or 0)
        users = [u for u in users if after_seq is None or (u.seq or 0) > after_seq]
        users = [u for u in users if email is None or u.email == email]
        users = [u for u in users if status is None or u.status is status]
        return users[:limit]

    def save(self, user: User) -> None:
        self.rows[user.id] = user


class MemoryRefreshTokens:
    def __init__(self) -> None:
        self.rows: dict[str, RefreshRecord] = {}

    def add(
        self,
        token_hash: str,
        family_id: uuid.UUID,
        user_id: uuid.UUID,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.rows[token_hash] = RefreshRecord(
            uuid.uuid4(), family_id, user_id, expires_at, None, None
        )

    def find(self, token_hash: str) -> RefreshRecord | None:
        return self.rows.get(token_hash)

    def mark_used(self, record_id: uuid.UUID, now: datetime) -> bool:
        for key, row in self.rows.items():
            if row.id == record_id and row.used_at is None and row.revoked_at is None:
                self.rows[key] = replace(row, used_at=now)
                return True
        return False

    def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        for key, row in self.rows.items():
            if row.family_id == family_id and row.revoked_at is None:
                self.rows[key] = replace(row, revoked_at=now)

    def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        for key, row in self.rows.items():
            if row.user_id == user_id and row.revoked_at is None:
                self.rows[key] = replace(row, revoked_at=now)

    def prune(self, expired_before: datetime) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v.expires_at >= expired_before}


class MemoryThrottle:
    def __init__(self) -> None:
        self.rows: dict[str, Counter] = {}

    def get(self, key: str) -> Counter | None:
        return self.rows.get(key)

    def add_failure(self, key: str, now: float, window_seconds: int) -> None:
        row = self.rows.get(key)
        forgotten = row is None or row.last_failure_at <= now - window_seconds
        self.rows[key] = Counter(1 if forgotten or row is None else row.failures + 1, now)

    def clear(self, key: str) -> None:
        self.rows.pop(key, None)

    def clear_prefix(self, prefix: str) -> int:
        gone = [k for k in self.rows if k.startswith(prefix)]
        for key in gone:
            del self.rows[key]
        return len(gone)

    def prune(self, older_than: float) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v.last_failure_at >= older_than}


class MemoryAccountTokens:
    def __init__(self) -> None:
        self.rows: dict[str, AccountToken] = {}

    def add(self, token_hash: str, token: AccountToken, created_at: datetime) -> None:
        self.rows[token_hash] = token

    def find(self, token_hash: str, purpose: Purpose) -> AccountToken | None:
        token = self.rows.get(token_hash)
        return token if token is not None and token.purpose is purpose else None

    def use(self, token_id: uuid.UUID, now: datetime) -> bool:
        for key, row in self.rows.items():
            if row.id == token_id and row.used_at is None:
                self.rows[key] = replace(row, used_at=now)
                return True
        return False

    def use_all(self, user_id: uuid.UUID, purpose: Purpose, now: datetime) -> None:
        for key, row in self.rows.items():
            if row.user_id == user_id and row.purpose is purpose and row.used_at is None:
                self.rows[key] = replace(row, used_at=now)


class MemoryMailJobs:
    """Jobs with their state; a claim takes every pending job that is due and not leased."""

    def __init__(self) -> None:
        self.jobs: dict[uuid.UUID, MailJob] = {}
        self.state: dict[uuid.UUID, MailState] = {}
        self.due: dict[uuid.UUID, datetime] = {}
        self.leased: dict[uuid.UUID, datetime] = {}
        self.finished: dict[uuid.UUID, datetime] = {}
        self.notes: dict[uuid.UUID, str | None] = {}

    def add(self, job: MailJob) -> None:
        self.jobs[job.id] = job
        self.state[job.id] = MailState.PENDING
        self.due[job.id] = job.created_at

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[MailJob]:
        taken = [
            job for job in self.jobs.values()
            if self.state[job.id] is MailState.PENDING and self.due[job.id] <= now
            and self.leased.get(job.id, now) <= now
        ][:limit]  # fmt: skip
        for job in taken:
            self.leased[job.id] = lease_until
        return taken

    def finish(self, job_id: uuid.UUID, state: MailState, now: datetime, note: str | None) -> None:
        self.state[job_id], self.finished[job_id], self.notes[job_id] = state, now, note
        self.leased.pop(job_id, None)

    def retry(
        self, job_id: uuid.UUID, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        self.jobs[job_id] = replace(self.jobs[job_id], attempts=attempts)
        self.due[job_id], self.notes[job_id] = next_attempt_at, error
        self.leased.pop(job_id, None)

    def sent_since(self, recipient: str, kind: MailKind, since: datetime) -> int:
        return sum(
            1 for job_id, job in self.jobs.items()
            if job.recipient == recipient and job.kind is kind
            and self.state[job_id] is MailState.SENT and self.finished[job_id] >= since
        )  # fmt: skip

    def pending_count(self) -> int:
        return sum(1 for state in self.state.values() if state is MailState.PENDING)


class RecordingMailer:
    """Keeps what it was given; `down` makes it fail as a mail server that is unreachable."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.down = False

    def send(self, message: Message) -> None:
        if self.down:
            raise MailerError("ConnectionRefusedError: [Errno 111] Connection refused")
        self.sent.append(message)


class EchoRenderer:
    """A message whose text is the context, one `key=value` per line (no templates)."""

    def render(self, kind: MailKind, to: str, context: Mapping[str, object]) -> Message:
        text = "\n".join(f"{k}={v}" for k, v in sorted(context.items()))
        return Message(to, kind.value, text, text)


class MemoryAudit:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def add(self, event: AuditEvent) -> None:
        self.events.append(replace(event, seq=len(self.events) + 1))

    def list_after(self, after_seq: int | None, limit: int, where: AuditFilter) -> list[AuditEvent]:
        return [
            e for e in self.events
            if (after_seq is None or (e.seq or 0) > after_seq)
            and where.action in (None, e.action)
            and where.actor_id in (None, e.actor.user_id)
            and where.target_id in (None, e.target_id)
        ][:limit]  # fmt: skip


class MemoryApiClients:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[ApiClient, str]] = {}

    def add(self, client: ApiClient, secret_hash: str) -> None:
        self.rows[client.id] = (replace(client, seq=len(self.rows) + 1), secret_hash)

    def get(self, client_id: str) -> ApiClient | None:
        row = self.rows.get(client_id)
        return row[0] if row else None

    def with_secret_hash(self, client_id: str) -> tuple[ApiClient, str] | None:
        return self.rows.get(client_id)

    def list_after(self, after_seq: int | None, limit: int) -> list[ApiClient]:
        clients = [c for c, _ in self.rows.values() if (c.seq or 0) > (after_seq or 0)]
        return clients[:limit]

    def revoke(self, client_id: str, now: datetime) -> bool:
        client, secret_hash = self.rows[client_id]
        if client.revoked_at is not None:
            return False
        self.rows[client_id] = (replace(client, revoked_at=now), secret_hash)
        return True

    def touch(self, client_id: str, now: datetime) -> None:
        client, secret_hash = self.rows[client_id]
        self.rows[client_id] = (replace(client, last_used_at=now), secret_hash)


class MemoryMfa:
    def __init__(self) -> None:
        self.secrets: dict[uuid.UUID, MfaSecret] = {}
        self.codes: dict[tuple[uuid.UUID, str], datetime | None] = {}

    def get(self, user_id: uuid.UUID) -> MfaSecret | None:
        return self.secrets.get(user_id)

    def put(self, secret: MfaSecret) -> None:
        self.delete(secret.user_id)
        self.secrets[secret.user_id] = secret

    def use_step(self, user_id: uuid.UUID, step: int) -> bool:
        stored = self.secrets.get(user_id)
        if stored is None or (stored.last_step is not None and stored.last_step >= step):
            return False
        self.secrets[user_id] = replace(stored, last_step=step)
        return True

    def delete(self, user_id: uuid.UUID) -> None:
        self.secrets.pop(user_id, None)
        self.codes = {k: v for k, v in self.codes.items() if k[0] != user_id}

    def add_recovery_codes(self, user_id: uuid.UUID, hashes: list[str]) -> None:
        self.codes.update({(user_id, h): None for h in hashes})

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        if (user_id, code_hash) not in self.codes or self.codes[(user_id, code_hash)]:
            return False
        self.codes[(user_id, code_hash)] = now
        return True


class OpenBox:
    """SecretBox stand-in: sealing marks the text, so a test sees that it was sealed."""

    def seal(self, plain: str) -> str:
        return f"sealed:{plain}"

    def open(self, sealed: str) -> str:
        return sealed.removeprefix("sealed:")


class FakeUnitOfWork:
    """Writes land at once (no isolation); `commits` and `rollbacks` count what the services
    asked for, which is what a unit test checks."""

    def __init__(self) -> None:
        self.users = MemoryUsers()
        self.refresh_tokens = MemoryRefreshTokens()
        self.throttle = MemoryThrottle()
        self.account_tokens = MemoryAccountTokens()
        self.mail = MemoryMailJobs()
        self.audit = MemoryAudit()
        self.api_clients = MemoryApiClients()
        self.mfa = MemoryMfa()
        self.commits = 0
        self.rollbacks = 0

    def __call__(self) -> Self:  # the services take a factory; every call is this one
        return self

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.rollback()

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1


class FakeAccessTokens:
    """Tokens are `access:<n>` strings remembered with their principal (no signature)."""

    def __init__(self, ttl_seconds: int = 900) -> None:
        self.policy = AccessTokenPolicy("iss", "aud", ttl_seconds)
        self.issued: dict[str, Caller] = {}

    @property
    def ttl_seconds(self) -> int:
        return self.policy.ttl_seconds

    def issue(
        self,
        user_id: uuid.UUID,
        role: Role,
        now: datetime | None = None,
        *,
        email_verified: bool = False,
        mfa: bool = False,
    ) -> str:
        claims = self.policy.claims(user_id, role, now or utc_now())
        token = f"access:{len(self.issued)}"
        self.issued[token] = self.policy.principal(claims)
        return token

    def issue_for_client(
        self, client_id: str, scopes: Sequence[str], now: datetime | None = None
    ) -> str:
        claims = self.policy.client_claims(client_id, scopes, now or utc_now())
        token = f"access:{len(self.issued)}"
        self.issued[token] = self.policy.principal(claims)
        return token

    def verify(self, token: str) -> Caller:
        principal = self.issued.get(token)
        if principal is None:
            raise InvalidTokenError("The token is malformed.")
        return principal


class PlainPasswords:
    """Hashing stand-in: the "hash" is the password reversed, so tests stay fast."""

    def __init__(self) -> None:
        self.dummy_checks = 0

    def hash(self, password: str) -> str:
        return "plain$" + password[::-1]

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def dummy_verify(self, password: str) -> None:
        self.dummy_checks += 1
