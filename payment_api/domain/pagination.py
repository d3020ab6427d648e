"""Opaque keyset cursors: base64 of "<created_at ISO>|<id>" of the last row seen."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from payment_api.domain.errors import InvalidFieldError


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|", 1)
        moment = datetime.fromisoformat(at)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API") from None
    if moment.tzinfo is None or not row_id:
        raise InvalidFieldError("query.cursor", "not a cursor returned by this API")
    return moment, row_id
