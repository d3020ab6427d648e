"""The hand-written spec rules: only what no Spectral rule covers (README, section Contracts).

Spectral (tools/speclint/.spectral.yaml, tests/contract/test_spec_lint.py) checks operationIds,
summaries, descriptions, tags, examples, bounds and security declarations. These rules need
knowledge of this platform: the shared Problem schema on every error, closed request bodies,
security stated on every operation, and problem examples that use the platform's types.
Each rule returns a list of human-readable violations; the gate tests assert it is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_TYPES = Path(__file__).resolve().parents[2] / "specs" / "common" / "problem-types.yaml"


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _deref(spec, target)
    return node


def problem_responses(spec: dict[str, Any]) -> list[str]:
    """Every 4xx/5xx answer is application/problem+json with the shared Problem schema."""
    errors = []
    for path, method, op in operations(spec):
        responses = op.get("responses", {})
        if not any(str(code).startswith(("4", "5")) for code in responses):
            errors.append(f"{method.upper()} {path}: no error response declared")
        for code, response in responses.items():
            if not str(code).startswith(("4", "5")):
                continue
            content = _deref(spec, response).get("content", {})
            schema = content.get("application/problem+json", {}).get("schema", {})
            if list(content) != ["application/problem+json"] or schema.get("$ref") != PROBLEM_REF:
                errors.append(f"{method.upper()} {path} {code}: must be problem+json Problem only")
    return errors


def closed_request_bodies(spec: dict[str, Any]) -> list[str]:
    """JSON request bodies reject unknown fields (additionalProperties: false), unless the
    schema says it is open on purpose (`additionalProperties: true`: Stripe's events)."""
    errors = []
    for path, method, op in operations(spec):
        body = _deref(spec, op.get("requestBody", {}))
        for ctype, media in body.get("content", {}).items():
            if "json" not in ctype:
                continue
            schema = _deref(spec, media.get("schema", {}))
            variants = [_deref(spec, s) for s in schema.get("oneOf", schema.get("anyOf", []))]
            for s in variants or [schema]:
                if s.get("type") == "object" and s.get("additionalProperties") not in (False, True):
                    errors.append(f"{method.upper()} {path}: request body must be closed")
    return errors


def explicit_security(spec: dict[str, Any]) -> list[str]:
    """Every operation states its security, `[]` when it is public (specs/STYLE.md): a reader
    never has to find a global default to know whether a token is needed."""
    return [
        f"{method.upper()} {path}: security not stated"
        for path, method, op in operations(spec)
        if "security" not in op
    ]


def _problem_examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    responses = dict(spec.get("components", {}).get("responses", {}))
    for path, method, op in operations(spec):
        for code, response in op.get("responses", {}).items():
            responses[f"{method.upper()} {path} {code}"] = response
    for where, response in responses.items():
        media = _deref(spec, response).get("content", {}).get("application/problem+json", {})
        values = [media["example"]] if "example" in media else []
        values += [e.get("value") for e in media.get("examples", {}).values()]
        yield from ((where, v) for v in values if isinstance(v, dict))


def problem_examples_use_platform_types(spec: dict[str, Any]) -> list[str]:
    """A problem example shows a type of specs/common/problem-types.yaml, its title and status."""
    types = yaml.safe_load(PROBLEM_TYPES.read_text())
    errors = []
    for where, example in _problem_examples(spec):
        slug = str(example.get("type", "")).removeprefix("/problems/")
        known = types.get(slug)
        if known is None:
            errors.append(f"{where}: unknown problem type {example.get('type')!r}")
        elif (example.get("title"), example.get("status")) != (known["title"], known["status"]):
            errors.append(f"{where}: {slug} has title {known['title']!r}, status {known['status']}")
    return errors


RULES = [
    problem_responses,
    closed_request_bodies,
    explicit_security,
    problem_examples_use_platform_types,
]
