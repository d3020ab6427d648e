"""The gates themselves: each lint rule and the breaking-change check flag what they should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devstack.breaking import breaking_changes
from tests.contract import spec_rules

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def base_spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "tags": [{"name": "widgets"}],
        "paths": {
            "/widgets": {
                "post": {
                    "operationId": "createWidget",
                    "summary": "Create",
                    "description": "Create a widget.",
                    "tags": ["widgets"],
                    "security": [],
                    "parameters": [
                        {"in": "query", "name": "dry_run", "schema": {"type": "boolean"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/WidgetIn"},
                                "example": {"name": "w", "size": "s"},
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Widget"}
                                }
                            },
                        },
                        "422": {
                            "description": "bad",
                            "content": {"application/problem+json": {"schema": PROBLEM}},
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Problem": {"type": "object"},
                "WidgetIn": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "size": {"type": "string", "enum": ["s", "m"]},
                    },
                },
                "Widget": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                    "examples": [{"id": "1", "name": "w"}],
                },
            }
        },
    }


def op(spec: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = spec["paths"]["/widgets"]["post"]
    return result


def test_a_clean_spec_passes_every_lint_rule() -> None:
    spec = base_spec()
    assert [e for rule in spec_rules.RULES for e in rule(spec)] == []


def test_lint_flags_an_operation_that_does_not_state_its_security() -> None:
    spec = base_spec()
    del op(spec)["security"]
    assert spec_rules.explicit_security(spec)


@pytest.mark.parametrize(
    "example",
    [
        {"type": "about:blank", "title": "Bad", "status": 422},
        {"type": "/problems/validation-error", "title": "Unprocessable Content", "status": 422},
        {"type": "/problems/validation-error", "title": "Invalid input", "status": 400},
    ],
    ids=["unknown-type", "wrong-title", "wrong-status"],
)
def test_lint_flags_a_problem_example_off_the_platform_types(example: dict[str, Any]) -> None:
    spec = base_spec()
    op(spec)["responses"]["422"]["content"]["application/problem+json"]["example"] = example
    assert spec_rules.problem_examples_use_platform_types(spec)


def test_lint_flags_an_error_response_that_is_not_problem_json() -> None:
    spec = base_spec()
    op(spec)["responses"]["422"]["content"] = {"application/json": {"schema": PROBLEM}}
    assert spec_rules.problem_responses(spec)


def test_lint_flags_an_open_request_body() -> None:
    spec = base_spec()
    del spec["components"]["schemas"]["WidgetIn"]["additionalProperties"]
    assert spec_rules.closed_request_bodies(spec)


def test_breaking_check_accepts_an_additive_change() -> None:
    old, new = base_spec(), base_spec()
    new["components"]["schemas"]["Widget"]["properties"]["colour"] = {"type": "string"}
    new["components"]["schemas"]["WidgetIn"]["properties"]["size"]["enum"].append("l")
    # optional authentication (bearer or nothing) does not break anonymous callers
    op(new)["security"] = [{"BearerAuth": []}, {}]
    assert breaking_changes(old, new) == []


def mutate_remove_operation(spec: dict[str, Any]) -> None:
    del spec["paths"]["/widgets"]["post"]


def mutate_new_required_field(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["WidgetIn"]["required"].append("size")


def mutate_narrow_type(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["WidgetIn"]["properties"]["name"]["type"] = "integer"


def mutate_remove_enum_value(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["WidgetIn"]["properties"]["size"]["enum"] = ["s"]


def mutate_remove_response_field(spec: dict[str, Any]) -> None:
    del spec["components"]["schemas"]["Widget"]["properties"]["name"]


def mutate_require_parameter(spec: dict[str, Any]) -> None:
    op(spec)["parameters"][0]["required"] = True


def mutate_remove_success_response(spec: dict[str, Any]) -> None:
    del op(spec)["responses"]["201"]


def mutate_require_authentication(spec: dict[str, Any]) -> None:
    spec.setdefault("components", {})["securitySchemes"] = {
        "BearerAuth": {"type": "http", "scheme": "bearer"}
    }
    op(spec)["security"] = [{"BearerAuth": []}]


@pytest.mark.parametrize(
    "mutate",
    [
        mutate_remove_operation,
        mutate_require_authentication,
        mutate_new_required_field,
        mutate_narrow_type,
        mutate_remove_enum_value,
        mutate_remove_response_field,
        mutate_require_parameter,
        mutate_remove_success_response,
    ],
    ids=lambda f: f.__name__.removeprefix("mutate_"),
)
def test_breaking_check_flags_a_breaking_change(mutate: Any) -> None:
    old = base_spec()
    new = copy.deepcopy(old)
    mutate(new)
    assert breaking_changes(old, new)
