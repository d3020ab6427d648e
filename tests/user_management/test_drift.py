"""Drift gate: the flask-smorest document of the running code equals specs/user_management.yaml.

Compared strictly: every path, method, parameter (name, location, required, schema), request
body, response code, response content type, response header and component schema/response,
after this normalisation of what is only documentation or ordering:

- removed everywhere: `description`, `summary`, `example`, `examples` and `title` keys (prose
  and samples, which the hand-written spec carries and the code need not repeat), except
  where they are names (keys of `properties`, `paths`, `schemas`, `responses`, `headers`);
- removed: `info`, `servers`, top-level `tags` (their prose), and response `links` (only the
  spec declares them; schemathesis and clients read them from the spec);
- order: dictionary keys, and the order of `required`, `enum`, `tags` and `parameters` lists;
- numbers: 0.0 == 0.

Anything else that differs is drift and fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from user_management_service.app import create_app, generated_openapi
from user_management_service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "user_management.yaml"
PROSE = {"description", "summary", "example", "examples", "title"}
UNORDERED = {"required", "enum", "tags"}


def normalise(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        names = key in {"properties", "paths", "schemas", "responses", "headers"}
        return {
            k: normalise(v, k)
            for k, v in sorted(node.items())
            if names or (k not in PROSE and k != "links" and not k.startswith("x-"))
        }
    if isinstance(node, list):
        items = [normalise(v) for v in node]
        if key in UNORDERED:
            return sorted(items, key=repr)
        if key == "parameters":
            return sorted(items, key=lambda p: (p.get("in", ""), p.get("name", "")))
        return items
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in document.items() if k not in {"info", "servers", "tags"}}
    result: dict[str, Any] = normalise(kept)
    return result


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("drift")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'drift.sqlite3'}", jwt_keys_dir=tmp))
    return generated_openapi(app)


@pytest.fixture(scope="module")
def written() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return document


def test_spec_file_is_valid_openapi_3_1(written: dict[str, Any]) -> None:
    assert written["openapi"] == "3.1.0"
    validate(written)


def test_generated_document_is_valid_openapi_3_1(generated: dict[str, Any]) -> None:
    assert generated["openapi"] == "3.1.0"
    validate(generated)


def test_same_paths_and_methods(generated: dict[str, Any], written: dict[str, Any]) -> None:
    def shape(doc: dict[str, Any]) -> set[tuple[str, str]]:
        return {(p, m) for p, item in doc["paths"].items() for m in item if m != "parameters"}

    assert shape(generated) == shape(written)


def test_every_operation_matches_the_spec(
    generated: dict[str, Any], written: dict[str, Any]
) -> None:
    ours, theirs = comparable(generated)["paths"], comparable(written)["paths"]
    for path, item in theirs.items():
        for method, operation in item.items():
            assert ours[path][method] == operation, f"{method.upper()} {path} drifted"
        assert ours[path] == item, f"{path} drifted"


def test_component_schemas_and_responses_match_the_spec(
    generated: dict[str, Any], written: dict[str, Any]
) -> None:
    ours, theirs = comparable(generated)["components"], comparable(written)["components"]
    assert sorted(ours["schemas"]) == sorted(theirs["schemas"])
    for name, schema in theirs["schemas"].items():
        assert ours["schemas"][name] == schema, f"schema {name} drifted"
    assert ours.get("responses") == theirs.get("responses")


def test_whole_documents_match(generated: dict[str, Any], written: dict[str, Any]) -> None:
    assert comparable(generated) == comparable(written)


def test_links_chain_create_to_get_update_delete_and_unlock(written: dict[str, Any]) -> None:
    links = written["paths"]["/users"]["post"]["responses"]["201"]["links"]
    operations = {link["operationId"] for link in links.values()}
    assert operations == {"getUser", "updateUser", "deleteUser", "unlockUser"}
    assert {link["parameters"]["user_id"] for link in links.values()} == {"$response.body#/id"}


def test_the_gate_catches_a_changed_schema(
    generated: dict[str, Any], written: dict[str, Any]
) -> None:
    """Self-check: the normalisation does not hide a real difference."""
    import copy

    changed = copy.deepcopy(written)
    changed["components"]["schemas"]["UserCreate"]["properties"]["password"]["minLength"] = 6
    assert comparable(generated) != comparable(changed)
    changed = copy.deepcopy(written)
    del changed["paths"]["/users"]["post"]["responses"]["409"]
    assert comparable(generated) != comparable(changed)
    changed = copy.deepcopy(written)
    del changed["components"]["schemas"]["Problem"]["properties"]["title"]
    assert comparable(generated) != comparable(changed)
