"""Keyset cursors: "<created_at as UNIX microseconds>_<id of the last row seen>".

The format is documented by a pattern in the spec, and every string that matches it is a
valid position (a page after that moment), so a well-formed cursor is never refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from payment_api.domain.errors import InvalidFieldError

CURSOR_PATTERN = r"^[0-9]{1,16}_[0-9a-f-]{1,64}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(created_at: datetime, row_id: str) -> str:
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{row_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    if not _CURSOR.match(cursor):
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API")
    micros, row_id = cursor.split("_", 1)
    return _EPOCH + timedelta(microseconds=int(micros)), row_id
