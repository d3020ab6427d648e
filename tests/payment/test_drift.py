"""Drift gate: FastAPI `app.openapi()` must equal specs/payment_api.yaml, operation by operation.

Compared strictly, operation by operation (the `paths` and the outbound events declared under
`webhooks`): the set of paths and methods, operationIds, tags,
parameters (name, location, required, schema), request bodies, response codes, response
headers, response schemas, links and security requirements; and the security schemes.
Local `$ref`s are inlined on both sides first, so a schema matters by content, not by where it
is declared.

Normalised away, because they are documentation only: `title`, `description`, `summary`,
`examples`/`example` (schemas, parameters, media types), key order, and the order of
`required`, `enum` and `parameters`. Top-level `info`, `servers` and `tags` are not compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from payment_api.main import create_app
from payment_api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "payment_api.yaml"
COSMETIC = {"title", "description", "summary", "examples", "example"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _inline(doc: dict[str, Any], node: Any, seen: frozenset[str] = frozenset()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            assert ref not in seen, f"recursive schema {ref}"
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline(doc, {**target, **rest}, seen | {ref})
        return {k: _inline(doc, v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(doc, v, seen) for v in node]
    return node


def _normalise(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        out = {k: _normalise(v, k) for k, v in node.items() if k not in COSMETIC}
        if key == "properties":  # property names may be "title" or "description": keep them
            out = {k: _normalise(v) for k, v in node.items()}
        return out
    if isinstance(node, list):
        items = [_normalise(v) for v in node]
        if key in ("required", "enum"):
            return sorted(items, key=repr)
        if key == "parameters":
            return sorted(items, key=lambda p: (p.get("in"), p.get("name")))
        return items
    return node


def operations(doc: dict[str, Any]) -> dict[str, Any]:
    """Every operation of `paths`, and of `webhooks` (the outbound events), by method and key."""
    found = {}
    for section, prefix in (("paths", ""), ("webhooks", "webhook ")):
        inlined = _inline(doc, doc.get(section, {}))
        found |= {
            f"{method.upper()} {prefix}{name}": _normalise(item[method])
            for name, item in inlined.items()
            for method in METHODS
            if method in item
        }
    return found


@pytest.fixture(scope="module")
def code_ops() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite://", stripe_webhook_secrets=[]))
    return operations(app.openapi())


@pytest.fixture(scope="module")
def spec_ops() -> dict[str, Any]:
    return operations(yaml.safe_load(SPEC.read_text()))


def test_code_and_spec_have_the_same_operations(
    code_ops: dict[str, Any], spec_ops: dict[str, Any]
) -> None:
    assert sorted(code_ops) == sorted(spec_ops)


@pytest.mark.parametrize(
    "part", ["operationId", "tags", "parameters", "requestBody", "responses", "security"]
)
def test_each_operation_matches_the_spec(
    part: str, code_ops: dict[str, Any], spec_ops: dict[str, Any]
) -> None:
    drift = {
        op: {"code": code_ops[op].get(part), "spec": spec_ops[op].get(part)}
        for op in sorted(set(code_ops) & set(spec_ops))
        if code_ops[op].get(part) != spec_ops[op].get(part)
    }
    assert drift == {}


def test_code_and_spec_declare_the_same_security_schemes() -> None:
    app = create_app(Settings(database_url="sqlite://", stripe_webhook_secrets=[]))
    served = app.openapi()["components"]["securitySchemes"]
    spec = yaml.safe_load(SPEC.read_text())["components"]["securitySchemes"]
    assert _normalise(served) == _normalise(spec)


def test_the_gate_notices_a_changed_event_payload(spec_ops: dict[str, Any]) -> None:
    """Self-check: the outbound events are compared too."""
    doc = yaml.safe_load(SPEC.read_text())
    del doc["components"]["schemas"]["PaymentEventPayload"]["properties"]["api_version"]
    changed = operations(doc)
    assert changed["POST webhook payment.succeeded"] != spec_ops["POST webhook payment.succeeded"]


def test_the_gate_notices_a_changed_schema(spec_ops: dict[str, Any]) -> None:
    """Self-check: a spec with one property removed no longer matches."""
    doc = yaml.safe_load(SPEC.read_text())
    del doc["components"]["schemas"]["Money"]["properties"]["currency"]
    assert operations(doc) != spec_ops


def test_operation_ids_are_the_route_function_names() -> None:
    from fastapi.routing import APIRoute

    app = create_app(Settings(database_url="sqlite://"))
    ops = {op["operationId"] for item in app.openapi()["paths"].values() for op in item.values()}
    names = set()
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        for r in inner.routes if inner else [route]:
            if isinstance(r, APIRoute) and r.include_in_schema:
                names.add(r.name)
    assert ops == names
