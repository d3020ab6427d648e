"""The listing's direct page dump answers exactly what marshmallow's generic dump would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from marshmallow import Schema

from user_management_service.api import schemas
from user_management_service.domain.users import Page, Role, Status, User


def user(**overrides: object) -> User:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "email": "ada@example.com",
        "full_name": "Ada Lovelace",
        "password_hash": "$argon2id$not-dumped",
        "seq": 7,
    }
    fields.update(overrides)
    return User(**fields)  # type: ignore[arg-type]


def test_the_direct_page_dump_equals_the_schema_dump_field_for_field() -> None:
    at = datetime(2026, 11, 29, 6, 0, 0, tzinfo=UTC)
    page = Page(
        items=[
            user(created_at=at, updated_at=at),
            user(
                email="grace@example.com",
                full_name="Grace Hopper \u00e9\u4e2d",
                role=Role.ADMIN,
                status=Status.DEACTIVATED,
                created_at=at + timedelta(microseconds=123456),
                updated_at=at.astimezone(timezone(timedelta(hours=2))),
                deactivated_at=at + timedelta(days=1, microseconds=1),
            ),
        ],
        next_cursor="42",
    )
    direct = schemas.UserPage().dump(page)
    generic = Schema.dump(schemas.UserPage(), page)
    assert direct == generic
    assert list(direct["data"][0]) == list(generic["data"][0])  # same key order
    assert "password_hash" not in direct["data"][0]
    last = Page(items=[], next_cursor=None)
    assert schemas.UserPage().dump(last) == Schema.dump(schemas.UserPage(), last)
