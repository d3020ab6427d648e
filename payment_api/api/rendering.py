"""The hottest answers rendered once: the view's dict straight to JSON bytes.

FastAPI otherwise makes a second pass over a returned dict: it validates it against the
response model, then serializes the model. The views are the one place each response is
shaped (payment_api/views.py), and tests/payment/test_rendering.py proves that what they
produce is what the response models would give. pydantic-core's serializer is the one the
response models use, so datetimes, enums and numbers come out the same. The routes keep their
`response_model`: it is their documented contract.
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from starlette.responses import Response


class Rendered(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)
