"""Keyset cursors: "<created_at as UNIX microseconds>_<id of the last row seen>".

The format is documented by a pattern in the spec, and every string that matches it is a
valid position (a page after that moment), so a well-formed cursor is never refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from payment_api.domain.errors import InvalidFieldError

CURSOR_PATTERN = r"^[0-9]{1,16}_[0-9a-f-]{1,64}$"
# Lists of the gateway's own objects page after a gateway id (Stripe's `evt_...`): any id the
# inbox accepted (no control characters), so a cursor the API hands out always matches.
GATEWAY_CURSOR_PATTERN = r"^[0-9]{1,16}_[^\x00-\x1f\x7f]{1,255}$"
_PATTERNS = {p: re.compile(p) for p in (CURSOR_PATTERN, GATEWAY_CURSOR_PATTERN)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(created_at: datetime, row_id: str) -> str:
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{row_id}"


def decode_cursor(cursor: str | None, pattern: str = CURSOR_PATTERN) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    if not _PATTERNS[pattern].match(cursor):
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API")
    micros, row_id = cursor.split("_", 1)
    return _EPOCH + timedelta(microseconds=int(micros)), row_id
