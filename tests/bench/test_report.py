"""The bench's report logic (bench/report.py): ratios to the limits, targets, the Markdown."""

from __future__ import annotations

import time
from typing import Any

from bench.baselines.limit_fastapi import verified_event
from bench.baselines.rawdb import rfc3339
from bench.report import render_markdown, summarise
from bench.scenarios import completed_event, stripe_signature
from bench.soak import _verdicts


def _round(rps: float, cpu_ms: float, p99: float) -> dict[str, Any]:
    return {
        "requests": int(rps * 5),
        "seconds": 5.0,
        "rps": rps,
        "errors": {"status": 0},
        "latency_ms": {"p50": p99 / 2, "p99": p99, "mean": p99 / 2},
        "wraps": 0,
        "cpu_ms_per_request": cpu_ms,
    }


def _scenario(kind: str, connections: int, *rounds: dict[str, Any]) -> dict[str, Any]:
    return {"title": kind, "server": "s", "kind": kind, "connections": connections,
            "auth": None, "warmup": rounds[0], "rounds": list(rounds)}  # fmt: skip


def _info() -> dict[str, Any]:
    return {
        "started_at": "2026-12-02T00:00:00+00:00",
        "machine": {"git": "abc", "cpu": "cpu", "cores": 2, "memory_gib": 24, "kernel": "6",
                    "python": "3.11", "wrk": "wrk", "loadavg_start": [1.0], "loadavg_end": [1]},
        "config": {"workers": "2", "threads": "1", "duration": "5", "rounds": "3",
                   "warmup": "2"},
        "elapsed_seconds": 10.0,
        "sanity": {"read limit GET /payments/{id}": "200, the service's JSON"},
        "scenarios": {
            # three rounds each: the path at 0.5, 0.6 and 0.8 of its limit in throughput
            "limit_payments_get": _scenario("read", 32, _round(1000, 0.5, 20),
                                            _round(1000, 0.5, 20), _round(1000, 0.5, 20)),
            "payments_get": _scenario("read", 32, _round(500, 1.0, 40), _round(600, 1.0, 60),
                                      _round(800, 0.5, 45)),
            "limit_checkout": _scenario("write", 1, _round(100, 4.0, 10)),
            "checkout": _scenario("write", 1, _round(40, 10.0, 30)),
        },
    }  # fmt: skip


def test_each_path_is_a_ratio_to_its_limit_per_round() -> None:
    limits = {row["path"]: row for row in summarise(_info())["limits"]}
    read = limits["payments_get"]
    assert read["rps"]["per_round"] == [0.5, 0.6, 0.8]
    assert read["rps"]["median"] == 0.6
    assert (read["rps"]["min"], read["rps"]["max"]) == (0.5, 0.8)
    assert read["rps"]["met"] is True  # >= 0.6
    # requests per worker CPU second: the limit's CPU per request / the path's
    assert read["cpu"]["per_round"] == [0.5, 0.5, 1.0]
    assert read["cpu"]["met"] is False
    assert read["p99_ms"]["path"]["median"] == 45
    assert read["p99_ms"]["met"] is True  # < 50 ms
    assert read["p99_ms"]["limit"]["median"] == 20


def test_checkout_target_is_on_worker_cpu_only() -> None:
    checkout = {row["path"]: row for row in summarise(_info())["limits"]}["checkout"]
    assert checkout["rps"]["met"] is None
    assert checkout["cpu"]["per_round"] == [0.4]
    assert checkout["cpu"]["met"] is False  # < 0.5
    assert checkout["p99_ms"]["met"] is None


def test_pairs_without_both_sides_are_left_out() -> None:
    paths = [row["path"] for row in summarise(_info())["limits"]]
    assert "webhook_distinct" not in paths
    assert "users_get" not in paths


def test_the_markdown_shows_the_limits_with_their_targets() -> None:
    info = _info()
    info["summary"] = summarise(info)
    md = render_markdown(info)
    assert "## Against the limits (issue 19)" in md
    row = next(line for line in md.splitlines() if line.startswith("| GET /payments/{id} /"))
    assert "0.60 [0.50 - 0.80] (0.50, 0.60, 0.80)" in row
    assert "| ≥ 0.6 | yes / **no** |" in row
    assert "| < 50 | yes |" in row
    checkout = next(line for line in md.splitlines() if line.startswith("| POST /checkout"))
    assert "≥ 0.5 (CPU) | - / **no**" in checkout
    assert "the service's JSON" in md


def test_the_webhook_limit_verifies_as_stripe_signs() -> None:
    secret, now = "whsec_test", int(time.time())
    payload = completed_event("evt_1", "pay_1", "cs_1", now)
    header = stripe_signature(payload, secret, now)
    event = verified_event(payload.encode(), header, ["whsec_old", secret], 300)
    assert event is not None
    assert event["id"] == "evt_1"
    assert verified_event(payload.encode(), header, ["whsec_other"], 300) is None
    assert verified_event(payload.encode() + b" ", header, [secret], 300) is None
    old = stripe_signature(payload, secret, now - 301)
    assert verified_event(payload.encode(), old, [secret], 300) is None
    assert verified_event(payload.encode(), None, [secret], 300) is None
    assert verified_event(payload.encode(), "t=x,v1=00", [secret], 300) is None


def test_stored_timestamps_render_as_rfc3339() -> None:
    assert rfc3339("2026-12-02 10:00:00.123456") == "2026-12-02T10:00:00.123456Z"
    assert rfc3339(None) is None


def test_the_markdown_shows_each_workers_soak() -> None:
    series = [100, 120, 120, 121, 121, 122]
    samples = [{"rss_kib": {"payment-service": [mib * 1024]}} for mib in series]
    info = _info()
    info["soak"] = {
        "seconds": 600.0,
        "run_seconds": 20.0,
        "requests": {"payments_get": 1000},
        "workers": _verdicts(samples, warm_up=1),
    }
    info["summary"] = summarise(info)
    assert "| payment-service #1 | 100 | 120 | 122 | 122 | yes |" in render_markdown(info)
