"""API clients' table behind domain/api_clients.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from user_management_service.db.models import ApiClientRow
from user_management_service.domain.api_clients import ApiClient

CLIENTS = ApiClientRow.__table__
PUBLIC_COLUMNS = [c for c in CLIENTS.c if c.name != "secret_hash"]


def to_domain(row: Row[Any]) -> ApiClient:
    return ApiClient(
        id=row.id,
        name=row.name,
        scopes=tuple(row.scopes.split()),
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        seq=row.seq,
    )


class SqlApiClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, client: ApiClient, secret_hash: str) -> None:
        self.session.execute(
            insert(ApiClientRow).values(
                id=client.id,
                name=client.name,
                secret_hash=secret_hash,
                scopes=" ".join(client.scopes),
                created_at=client.created_at,
                created_by=client.created_by,
                expires_at=client.expires_at,
            )
        )

    def get(self, client_id: str) -> ApiClient | None:
        row = self.session.execute(
            select(*PUBLIC_COLUMNS).where(CLIENTS.c.id == client_id)
        ).one_or_none()
        return None if row is None else to_domain(row)

    def with_secret_hash(self, client_id: str) -> tuple[ApiClient, str] | None:
        row = self.session.execute(select(CLIENTS).where(CLIENTS.c.id == client_id)).one_or_none()
        return None if row is None else (to_domain(row), row.secret_hash)

    def list_after(self, after_seq: int | None, limit: int) -> list[ApiClient]:
        query = select(*PUBLIC_COLUMNS).order_by(CLIENTS.c.seq).limit(limit)
        if after_seq is not None:
            query = query.where(CLIENTS.c.seq > after_seq)
        return [to_domain(row) for row in self.session.execute(query)]

    def revoke(self, client_id: str, now: datetime) -> bool:
        result = self.session.execute(
            update(ApiClientRow)
            .where(CLIENTS.c.id == client_id, CLIENTS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def touch(self, client_id: str, now: datetime) -> None:
        self.session.execute(
            update(ApiClientRow).where(CLIENTS.c.id == client_id).values(last_used_at=now)
        )
