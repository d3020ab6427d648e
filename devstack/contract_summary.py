"""Per-operation summary of one schemathesis run, from its NDJSON event report.

The NDJSON report is the one that holds every request of every phase (examples, coverage,
fuzzing, stateful, and the checks' own probes) with the case's method and path *template*
next to the response, so each answer maps to its operation without guessing from URLs.
An operation passes when no check failed on it and it was answered with success at least
once: a contract whose success path is never exercised proves nothing about it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CLASSES = ("2xx", "3xx", "4xx", "5xx")

# Operations whose success is not a 2xx, by design and documented in the spec. Everything
# else must see a 2xx. Add an entry only with the reason next to it.
SUCCESS_EXCEPTIONS: Mapping[str, frozenset[str]] = {
    # GET /checkout/ redirects the browser to the hosted page: 303 is its only success.
    "createCheckoutRedirect": frozenset({"2xx", "3xx"}),
}
DEFAULT_SUCCESS = frozenset({"2xx"})


@dataclass
class OperationResult:
    operation_id: str
    label: str  # "POST /payments/{payment_id}/refunds"
    responses: Counter[str] = field(default_factory=Counter)  # "2xx".."5xx", "none"
    failed_checks: int = 0
    errors: int = 0

    @property
    def success_classes(self) -> frozenset[str]:
        return SUCCESS_EXCEPTIONS.get(self.operation_id, DEFAULT_SUCCESS)

    @property
    def reached_success(self) -> bool:
        return any(self.responses[c] for c in self.success_classes)

    @property
    def verdict(self) -> str:
        if self.failed_checks:
            return "FAIL"
        if self.errors:
            return "ERROR"
        if not self.reached_success:
            return "NO-" + "/".join(sorted(self.success_classes))
        return "ok"

    @property
    def passed(self) -> bool:
        return self.verdict == "ok"


def spec_operations(spec: Mapping[str, Any]) -> dict[str, OperationResult]:
    """One empty result per operation of an OpenAPI document, keyed by "METHOD /path"."""
    results: dict[str, OperationResult] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                label = f"{method.upper()} {path}"
                results[label] = OperationResult(str(operation.get("operationId", label)), label)
    return results


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                event: dict[str, Any] = json.loads(line)
                yield event


def status_class(status: int | None) -> str:
    return f"{status // 100}xx" if status else "none"


def tally(
    events: Iterable[Mapping[str, Any]], operations: dict[str, OperationResult]
) -> dict[str, OperationResult]:
    """Count the responses and failed checks of every recorded case by operation.

    A case of a method the spec does not define there (the unsupported_method probes) is no
    operation's: it is left out. Check failures count against the case they ran on.
    """
    for event in events:
        if "NonFatalError" in event:
            label = event["NonFatalError"].get("label")
            if label in operations:
                operations[label].errors += 1
            continue
        finished = event.get("ScenarioFinished") or event.get("FuzzScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        interactions = recorder.get("interactions") or {}
        checks = recorder.get("checks") or {}
        for case_id, node in (recorder.get("cases") or {}).items():
            case = node["value"]
            result = operations.get(f"{case['method'].upper()} {case['path']}")
            if result is None:
                continue
            response = (interactions.get(case_id) or {}).get("response") or {}
            result.responses[status_class(response.get("status_code"))] += 1
            result.failed_checks += sum(
                1 for check in checks.get(case_id) or [] if check.get("status") == "failure"
            )
    return operations


def summarize(report: Path, spec: Mapping[str, Any]) -> list[OperationResult]:
    return list(tally(read_events(report), spec_operations(spec)).values())


def format_summary(results: Iterable[OperationResult]) -> list[str]:
    rows = list(results)
    width = max((len(r.operation_id) for r in rows), default=10)
    lines = [f"   {'verdict':8} {'operation':{width}}  {'2xx':>5} {'3xx':>5} {'4xx':>5} {'5xx':>5}"]
    for r in rows:
        counts = " ".join(f"{r.responses[c]:5d}" for c in CLASSES)
        extra = f"  {r.failed_checks} failed checks" if r.failed_checks else ""
        extra += f"  {r.errors} errors" if r.errors else ""
        lines.append(f"   {r.verdict:8} {r.operation_id:{width}}  {counts}  {r.label}{extra}")
    return lines
