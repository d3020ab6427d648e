"""The soak's verdict: a worker that levels off is bounded, one that keeps growing is not."""

from __future__ import annotations

from typing import Any

from bench.soak import _verdicts

MIB = 1024


def samples(series: list[int]) -> list[dict[str, Any]]:
    return [
        {"t": float(i), "rss_kib": {"payment-service": [mib * MIB]}} for i, mib in enumerate(series)
    ]


def test_a_worker_that_fills_its_caches_then_levels_off_is_bounded() -> None:
    warm_then_flat = [100, 120, 125, 126, 126, 127, 126, 127, 127, 127]
    (worker,) = _verdicts(samples(warm_then_flat), warm_up=2)["payment-service"]
    assert worker["bounded"]
    assert worker["start_kib"] == 100 * MIB


def test_a_worker_that_keeps_growing_is_not_bounded() -> None:
    leaking = [100 + 10 * i for i in range(12)]
    (worker,) = _verdicts(samples(leaking), warm_up=2)["payment-service"]
    assert not worker["bounded"]
    assert worker["end_kib"] == 210 * MIB
