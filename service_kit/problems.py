"""RFC 9457 problem bodies with the platform's problem types (specs/common/problem-types.yaml,
which both specs carry): one `type`/`title` per kind, the same in both services."""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROBLEM_JSON = "application/problem+json"
COMMON_SPECS = Path(__file__).resolve().parents[1] / "specs" / "common"
PROBLEM_TYPES_PATH = COMMON_SPECS / "problem-types.yaml"
PROBLEM_SCHEMA_PATH = COMMON_SPECS / "problem.yaml"


@lru_cache(maxsize=1)
def problem_types() -> dict[str, dict[str, Any]]:
    """slug -> status, title, description."""
    types: dict[str, dict[str, Any]] = yaml.safe_load(PROBLEM_TYPES_PATH.read_text("utf-8"))
    return types


def type_and_title(status: int, kind: str | None = None) -> tuple[str, str]:
    """`type` URI and `title` of a problem: the named kind, else the first kind of its status,
    else about:blank with the HTTP phrase (RFC 9457 section 4.2.1)."""
    types = problem_types()
    slug = kind or next((s for s, t in types.items() if t["status"] == status), None)
    if slug is None:
        return "about:blank", http.HTTPStatus(status).phrase
    return f"/problems/{slug}", str(types[slug]["title"])


def problem_body(
    status: int,
    *,
    detail: str | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The problem object; members given as None are left out."""
    type_uri, title = type_and_title(status, kind)
    body: dict[str, Any] = {"type": type_uri, "title": title, "status": status}
    optional = {"detail": detail, "instance": instance, "request_id": request_id}
    body.update((name, value) for name, value in optional.items() if value is not None)
    if errors is not None:
        body["errors"] = [dict(error) for error in errors]
    return body
