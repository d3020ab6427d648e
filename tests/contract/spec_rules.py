"""The documented lint rule set for specs/*.yaml (README, section Contracts).

Each rule returns a list of human-readable violations; the gate tests assert it is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]+$")
PROBLEM_REF = "#/components/schemas/Problem"
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _deref(spec, target)
    return node


def operation_ids(spec: dict[str, Any]) -> list[str]:
    """Every operation has a unique camelCase operationId."""
    errors, seen = [], set()
    for path, method, op in operations(spec):
        op_id = op.get("operationId")
        if not op_id or not CAMEL_CASE.match(op_id):
            errors.append(f"{method.upper()} {path}: operationId missing or not camelCase")
        elif op_id in seen:
            errors.append(f"{method.upper()} {path}: duplicate operationId {op_id}")
        seen.add(op_id)
    return errors


def descriptions_and_tags(spec: dict[str, Any]) -> list[str]:
    """Every operation has a summary, a description and a tag declared at the top level."""
    declared = {t["name"] for t in spec.get("tags", [])}
    errors = []
    for path, method, op in operations(spec):
        where = f"{method.upper()} {path}"
        if not op.get("summary") or not op.get("description"):
            errors.append(f"{where}: summary and description required")
        if not op.get("tags") or not set(op["tags"]) <= declared:
            errors.append(f"{where}: tags missing or not declared at the top level")
        for code, response in op.get("responses", {}).items():
            if not _deref(spec, response).get("description"):
                errors.append(f"{where} {code}: response description missing")
    if not SEMVER.match(str(spec.get("info", {}).get("version", ""))):
        errors.append("info.version must be MAJOR.MINOR.PATCH")
    return errors


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
    """JSON request bodies reject unknown fields (additionalProperties: false)."""
    errors = []
    for path, method, op in operations(spec):
        body = _deref(spec, op.get("requestBody", {}))
        for ctype, media in body.get("content", {}).items():
            if "json" not in ctype:
                continue
            schema = _deref(spec, media.get("schema", {}))
            variants = [_deref(spec, s) for s in schema.get("oneOf", schema.get("anyOf", []))]
            for s in variants or [schema]:
                if s.get("type") == "object" and s.get("additionalProperties") is not False:
                    errors.append(f"{method.upper()} {path}: request body must be closed")
    return errors


def _example_sites(spec: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, JSON pointer of the schema, example value) for every example in the spec."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        for i, value in enumerate(schema.get("examples", [])):
            yield f"schema {name} example {i}", _pointer("components", "schemas", name), value
        for prop, sub in schema.get("properties", {}).items():
            for i, value in enumerate(sub.get("examples", [])):
                where = f"schema {name}.{prop} example {i}"
                yield where, _pointer("components", "schemas", name, "properties", prop), value
    for path, method, op in operations(spec):
        media_sites = [("requestBody", op.get("requestBody", {}))] + [
            (f"responses/{code}", r) for code, r in op.get("responses", {}).items()
        ]
        for site, holder in media_sites:
            if "$ref" in holder:
                continue
            for ctype, media in holder.get("content", {}).items():
                base = ("paths", path, method, *site.split("/"), "content", ctype)
                values = [media["example"]] if "example" in media else []
                values += [e["value"] for e in media.get("examples", {}).values() if "value" in e]
                for value in values:
                    yield f"{method.upper()} {path} {site}", _pointer(*base, "schema"), value


def examples_validate(spec: dict[str, Any]) -> list[str]:
    """Every example validates against the schema it illustrates."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    errors = []
    for where, pointer, value in _example_sites(spec):
        validator = Draft202012Validator({"$ref": "urn:spec" + pointer}, registry=registry)
        errors += [f"{where}: {e.message}" for e in validator.iter_errors(value)]
    return errors


RULES = [
    operation_ids,
    descriptions_and_tags,
    problem_responses,
    closed_request_bodies,
    examples_validate,
]
