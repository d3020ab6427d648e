"""Direct, fast seeding: users in batches (SQLAlchemy Core, or COPY on PostgreSQL), payments.

Every seeded user has the SAME precomputed Argon2id hash (hashing a million passwords would take
hours and measures nothing); it is made with the user service's own parameters, so a login as
any seeded user costs what a real login costs.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, text

SEED_PASSWORD = "bench-password-0123456789"  # the seeded users' password
BATCH = 20_000


@dataclass
class SeededUsers:
    ids: list[str]  # a random sample of seeded user ids (dashed UUIDs)
    emails: list[str]  # a random sample of seeded emails (login scenario)
    count: int
    deep_cursor: str  # the cursor of a page 100 rows before the end of the table
    seconds: float
    argon2_params: str  # "m=...,t=...,p=..." as stored in the hash
    password_hash: str


def argon2_hash() -> tuple[str, str]:
    """One hash with the user service's own settings (ARGON2_* env respected)."""
    from user_management_service.adapters.passwords import PasswordHashing
    from user_management_service.settings import Settings

    settings = Settings()
    digest = PasswordHashing(settings.argon2_time_cost, settings.argon2_memory_cost_kib).hash(
        SEED_PASSWORD
    )
    params = digest.split("$")[3]
    return digest, params


def bulk_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-262144")  # 256 MiB: the random-UUID index fits
            cur.close()

    return engine


def seed_users(url: str, count: int, sample: int = 20_000) -> SeededUsers:
    from user_management_service.db.models import UserRow

    password_hash, params = argon2_hash()
    started = time.perf_counter()
    rng = random.Random(9)
    now = datetime.now(UTC) - timedelta(days=1)
    sample_at = set(rng.sample(range(count), min(sample, count)))
    ids: list[str] = []
    emails: list[str] = []
    engine = bulk_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                raw: Any = conn.connection.driver_connection
                columns = (
                    "id, email, full_name, password_hash, role, status, created_at, updated_at"
                )
                with raw.cursor().copy(f"COPY ums_users ({columns}) FROM STDIN") as copy:
                    for i in range(count):
                        uid = uuid.uuid4()
                        email = f"user{i:07d}@bench.example"
                        if i in sample_at:
                            ids.append(str(uid))
                            emails.append(email)
                        copy.write_row(
                            (uid, email, f"Bench User {i}", password_hash, "customer", "active",
                             now, now)
                        )  # fmt: skip
            else:
                for start in range(0, count, BATCH):
                    rows = []
                    for i in range(start, min(start + BATCH, count)):
                        uid = uuid.uuid4()
                        email = f"user{i:07d}@bench.example"
                        if i in sample_at:
                            ids.append(str(uid))
                            emails.append(email)
                        rows.append(
                            {
                                "id": uid,
                                "email": email,
                                "full_name": f"Bench User {i}",
                                "password_hash": password_hash,
                                "role": "customer",
                                "status": "active",
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
                    conn.execute(insert(UserRow), rows)
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE ums_users"))
            deep = conn.execute(
                text("SELECT seq FROM ums_users ORDER BY seq DESC LIMIT 1 OFFSET 100")
            ).scalar_one()
    finally:
        engine.dispose()
    rng.shuffle(ids)
    rng.shuffle(emails)
    return SeededUsers(
        ids=ids,
        emails=emails,
        count=count,
        deep_cursor=str(deep),
        seconds=time.perf_counter() - started,
        argon2_params=params,
        password_hash=password_hash,
    )


@dataclass
class SeededPayments:
    ids: list[str]
    count: int
    seconds: float
    deep_cursor: str  # the position 100 payments before the oldest: a client's last pages


def seed_payments(url: str, count: int, user_ids: list[str]) -> SeededPayments:
    """Pending payments with an open session, two line items and one status change each."""
    from payment_api.db.models import Payment, PaymentLineItem, StatusChange
    from payment_api.domain.pagination import encode_cursor

    started = time.perf_counter()
    rng = random.Random(11)
    now = datetime.now(UTC) - timedelta(hours=1)
    ids: list[str] = []
    deep_cursor = ""
    engine = bulk_engine(url)
    try:
        with engine.begin() as conn:
            for start in range(0, count, BATCH):
                payments, lines, history = [], [], []
                for i in range(start, min(start + BATCH, count)):
                    pid = str(uuid.uuid4())
                    ids.append(pid)
                    created = now + timedelta(microseconds=i)
                    if i == min(100, count - 1):  # newest first: 100 older ones remain after it
                        deep_cursor = encode_cursor(created, pid)
                    payments.append(
                        {
                            "id": pid,
                            "status": "pending",
                            "amount": 2500,
                            "currency": "USD",
                            "refunded_amount": 0,
                            "user_id": rng.choice(user_ids) if user_ids else None,
                            "customer_email": None,
                            "description": "bench payment",
                            "checkout_session_id": f"cs_test_bench_{i:08d}",
                            "checkout_url": f"http://127.0.0.1/pay/cs_test_bench_{i:08d}",
                            "payment_intent_id": None,
                            "success_url": "http://127.0.0.1/ok",
                            "cancel_url": "http://127.0.0.1/cancel",
                            "failure_reason": None,
                            "expires_at": created + timedelta(hours=1),
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
                    for pos, (name, qty, unit) in enumerate((("Tea", 2, 750), ("Cake", 1, 1000))):
                        lines.append(
                            {
                                "payment_id": pid,
                                "position": pos,
                                "product_id": None,
                                "name": name,
                                "quantity": qty,
                                "unit_amount": unit,
                            }
                        )
                    history.append(
                        {
                            "payment_id": pid,
                            "from_status": None,
                            "to_status": "pending",
                            "reason": "created",
                            "event_id": None,
                            "at": created,
                        }
                    )
                conn.execute(insert(Payment), payments)
                conn.execute(insert(PaymentLineItem), lines)
                conn.execute(insert(StatusChange), history)
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    rng.shuffle(ids)
    return SeededPayments(
        ids=ids, count=count, seconds=time.perf_counter() - started, deep_cursor=deep_cursor
    )


def copy_table(url: str, source: str, target: str) -> None:
    """An empty `target` with `source`'s columns, keys and indexes (the webhook limit's inbox:
    the same table as the service's, without mixing its rows into the service's)."""
    engine = bulk_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text(f'CREATE TABLE "{target}" (LIKE "{source}" INCLUDING ALL)'))
                return
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE tbl_name = :t AND sql IS NOT NULL"
                     " ORDER BY type = 'index'"),
                {"t": source},
            ).scalars()  # fmt: skip
            for statement in list(ddl):
                conn.execute(text(statement.replace(source, target)))
    finally:
        engine.dispose()
