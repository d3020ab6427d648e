"""The per-operation summary of `make contract-test`, fed a small synthetic NDJSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from devstack.contract_summary import format_summary, summarize

SPEC: dict[str, Any] = {
    "paths": {
        "/items": {
            "get": {"operationId": "listItems"},
            "post": {"operationId": "createItem"},
        },
        "/items/{item_id}": {"delete": {"operationId": "deleteItem"}},
        "/go": {"get": {"operationId": "createCheckoutRedirect"}},
        "/auth/refresh": {"post": {"operationId": "refreshToken"}},
        "/broken": {"get": {"operationId": "brokenOne"}},
    }
}


def case(
    case_id: str, method: str, path: str, status: int | None, failed: bool = False
) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]]]:
    response = {"status_code": status, "headers": {}, "elapsed": 0.01} if status else None
    checks = [{"name": "not_a_server_error", "status": "failure" if failed else "success"}]
    value = {"method": method, "path": path, "id": case_id}
    return value, {"request": {"method": method}, "response": response}, checks


def scenario(phase: str, *cases: tuple[dict[str, Any], dict[str, Any] | None, Any]) -> str:
    recorder: dict[str, Any] = {"label": "x", "cases": {}, "checks": {}, "interactions": {}}
    for value, interaction, checks in cases:
        recorder["cases"][value["id"]] = {"value": value}
        recorder["checks"][value["id"]] = checks
        if interaction is not None:
            recorder["interactions"][value["id"]] = interaction
    return json.dumps({"ScenarioFinished": {"phase": phase, "recorder": recorder}})


def report(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"Initialize": {"seed": 1}}),
        scenario(
            "coverage",
            case("a1", "GET", "/items", 200),
            case("a2", "GET", "/items", 422),
            case("a3", "TRACE", "/items", 405),  # an unsupported_method probe: nobody's
            case("a4", "POST", "/items", 201),
            case("a5", "POST", "/items", 500, failed=True),
            case("a6", "GET", "/go", 303),
            case("a7", "POST", "/auth/refresh", 401),
            case("a8", "POST", "/auth/refresh", None),  # a network error: no response
        ),
        scenario("stateful", case("s1", "DELETE", "/items/{item_id}", 204)),
        json.dumps({"ScenarioFinished": {"phase": "examples", "recorder": {"label": "skipped"}}}),
        json.dumps({"NonFatalError": {"label": "GET /broken", "value": {"type": "HookError"}}}),
        "",
    ]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines))
    return path


def test_responses_are_counted_by_class_per_operation_of_every_phase(tmp_path: Path) -> None:
    results = {r.operation_id: r for r in summarize(report(tmp_path), SPEC)}
    assert list(results) == [
        "listItems",
        "createItem",
        "deleteItem",
        "createCheckoutRedirect",
        "refreshToken",
        "brokenOne",
    ]
    assert dict(results["listItems"].responses) == {"2xx": 1, "4xx": 1}  # TRACE left out
    assert dict(results["createItem"].responses) == {"2xx": 1, "5xx": 1}
    assert dict(results["deleteItem"].responses) == {"2xx": 1}  # from the stateful phase
    assert dict(results["refreshToken"].responses) == {"4xx": 1, "none": 1}


def test_verdicts_need_a_success_and_no_failed_check(tmp_path: Path) -> None:
    verdicts = {r.operation_id: r.verdict for r in summarize(report(tmp_path), SPEC)}
    assert verdicts == {
        "listItems": "ok",
        "createItem": "FAIL",  # its 2xx does not excuse the failed check
        "deleteItem": "ok",
        "createCheckoutRedirect": "ok",  # the documented exception: a 303 is its success
        "refreshToken": "NO-2xx",
        "brokenOne": "ERROR",
    }


def test_a_redirect_is_success_only_for_the_listed_exception(tmp_path: Path) -> None:
    spec = {"paths": {"/go": {"get": {"operationId": "someOtherRedirect"}}}}
    path = tmp_path / "events.ndjson"
    path.write_text(scenario("fuzzing", case("r1", "GET", "/go", 303)))
    (result,) = summarize(path, spec)
    assert result.responses["3xx"] == 1
    assert not result.passed
    assert result.verdict == "NO-2xx"


def test_the_printed_table_has_one_row_per_operation_with_its_counts(tmp_path: Path) -> None:
    lines = format_summary(summarize(report(tmp_path), SPEC))
    assert lines[0].split() == ["verdict", "operation", "2xx", "3xx", "4xx", "5xx"]
    rows = {line.split()[1]: line.split() for line in lines[1:]}
    assert rows["createItem"][:6] == ["FAIL", "createItem", "1", "0", "0", "1"]
    assert rows["createCheckoutRedirect"][2:6] == ["0", "1", "0", "0"]
    assert "1 failed checks" in " ".join(rows["createItem"])
    assert len(rows) == 6
