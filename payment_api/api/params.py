"""Query parameters every list shares: the page size and the keyset cursor (specs/STYLE.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from payment_api.domain.pagination import CURSOR_PATTERN, GATEWAY_CURSOR_PATTERN

Limit = Annotated[int, Query(ge=1, le=100)]
# <16 digits>_<up to 64 characters of id>: 81 characters at most.
Cursor = Annotated[str | None, Query(max_length=81, pattern=CURSOR_PATTERN)]
# <16 digits>_<a gateway id of up to 255 characters>: the stored Stripe events.
GatewayCursor = Annotated[str | None, Query(max_length=272, pattern=GATEWAY_CURSOR_PATTERN)]
