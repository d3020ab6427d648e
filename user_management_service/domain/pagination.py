"""Keyset pages of every listing: the cursor is the creation sequence of a page's last item."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from user_management_service.domain.errors import InvalidCursorError


class Sequenced(Protocol):
    @property
    def seq(self) -> int | None: ...


T = TypeVar("T", bound=Sequenced)


def encode_cursor(seq: int) -> str:
    return str(seq)


def decode_cursor(cursor: str) -> int:
    """A cursor is opaque to callers; here it is the creation sequence of the last item."""
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        raise InvalidCursorError("cursor is not one this service issued")
    return int(cursor)


def keyset_page(
    fetch: Callable[[int | None, int], Sequence[T]], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of `fetch(after_seq, limit + 1)` and the cursor of the next (None on the last):
    the extra row says whether there is a next page without counting."""
    after = decode_cursor(cursor) if cursor else None
    rows = fetch(after, limit + 1)
    items = list(rows[:limit])
    last = items[-1].seq if items else None
    more = len(rows) > limit and last is not None
    return items, encode_cursor(last) if more and last is not None else None
