"""What operators see of the user service: JSON log lines with the request id, and /metrics."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from devstack.processes import ServerProcess


def json_lines(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # gunicorn's master writes plain text lines
        if isinstance(record, dict):
            records.append(record)
    return records


def wait_for_record(path: Path, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for record in json_lines(path):
            if all(record.get(k) == v for k, v in fields.items()):
                return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no JSON log line with {fields} in {path}")
        time.sleep(0.05)


def test_each_request_is_one_json_log_line_carrying_the_callers_request_id(
    user_service: ServerProcess, logs_dir: Path
) -> None:
    request_id = f"obs-{uuid.uuid4().hex}"
    response = httpx.get(
        f"{user_service.url}/healthz", headers={"X-Request-ID": request_id}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == request_id
    record = wait_for_record(logs_dir / "user-service.log", request_id=request_id)
    assert record["event"] == "request"
    assert record["method"] == "GET"
    assert record["path"] == "/healthz"
    assert record["operation"] == "getHealth"
    assert record["status"] == 200
    assert record["level"] == "info"
    assert isinstance(record["duration_ms"], float | int)
    assert record["duration_ms"] >= 0
    assert "timestamp" in record


def test_an_insane_request_id_is_replaced_and_problems_carry_the_id(
    user_service: ServerProcess,
) -> None:
    response = httpx.get(
        f"{user_service.url}/no/such/route",
        headers={"X-Request-ID": "bad id with spaces;" + "x" * 200},
        timeout=10,
    )
    assert response.status_code == 404
    echoed = response.headers["X-Request-ID"]
    assert echoed
    assert " " not in echoed
    assert len(echoed) <= 128
    assert response.json()["request_id"] == echoed


def counter_value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith((name + "{", name + " ")):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_per_operation_across_workers(
    user_service: ServerProcess,
) -> None:
    url = user_service.url
    before = httpx.get(f"{url}/metrics", timeout=10)
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")
    start = counter_value(
        before.text, "http_requests_total", operation="getReadiness", status="200"
    )
    # Several connections: gunicorn spreads them over its workers; the sum must see all.
    for _ in range(6):
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    text = httpx.get(f"{url}/metrics", timeout=10).text
    after = counter_value(text, "http_requests_total", operation="getReadiness", status="200")
    assert after - start == 6
    assert "http_request_duration_seconds_bucket{" in text
    assert 'operation="getReadiness"' in text
    assert "/readyz" not in text  # operations, never raw paths


def test_metrics_is_not_in_the_served_contract(user_service: ServerProcess) -> None:
    document = httpx.get(f"{user_service.url}/openapi.json", timeout=10).json()
    assert "/metrics" not in document["paths"]
