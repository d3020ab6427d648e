"""The soak (issue 19): BENCH_SOAK_SECONDS (600) of the services' hot paths back to back, every
worker's RSS sampled after each run, to show that no worker grows without bound.

The load is a cycle of short runs (BENCH_SOAK_RUN_SECONDS, 20 s) of the read, list and webhook
scenarios: short, because a run of signed events must start with fresh signatures (Stripe's
tolerance is 5 minutes). A worker counts as bounded when the highest RSS of the last third of
the soak is within 10% (and at least 8 MiB) of the highest of the first third, the first cycle
left out (a fresh worker fills its caches then): a leak grows steadily, a warm cache levels off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.scenarios import Scenario
from bench.wrk import WrkResult

SERVICES = ("payment-service", "user-service")
CYCLE = ("payments_get", "payments_list_first", "webhook_distinct", "users_get", "users_list_first")
SLACK = 0.10
SLACK_MIB = 8


def soak(
    seconds: float,
    run_seconds: float,
    plan: Sequence[Scenario],
    run: Callable[[Scenario, float], WrkResult],
    rss: Callable[[], dict[str, list[int]]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    cycle = [s for name in CYCLE for s in plan if s.name == name]
    if not cycle:
        return {}
    samples: list[dict[str, Any]] = [{"t": 0.0, "rss_kib": _services(rss())}]
    requests: dict[str, int] = {}
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        s = cycle[i % len(cycle)]
        res = run(s, min(run_seconds, max(1.0, seconds - (time.monotonic() - started))))
        requests[s.name] = requests.get(s.name, 0) + res.requests
        samples.append({"t": round(time.monotonic() - started, 1), "rss_kib": _services(rss())})
        i += 1
        if i % len(cycle) == 0:
            log(f"  soak {samples[-1]['t']:.0f} s: " + _line(samples[-1]["rss_kib"]))
    return {
        "seconds": round(time.monotonic() - started, 1),
        "run_seconds": run_seconds,
        "requests": requests,
        "samples": samples,
        "workers": _verdicts(samples, warm_up=len(cycle)),
    }


def _services(rss: dict[str, list[int]]) -> dict[str, list[int]]:
    return {name: rss[name] for name in SERVICES if name in rss}


def _line(rss: dict[str, list[int]]) -> str:
    return ", ".join(
        f"{name} {'/'.join(str(k // 1024) for k in kib)} MiB" for name, kib in rss.items()
    )


def _verdicts(samples: list[dict[str, Any]], warm_up: int) -> dict[str, list[dict[str, Any]]]:
    """Per worker: RSS at the start, the highest of the first and of the last third (after
    `warm_up` samples), the end."""
    warm = samples[min(warm_up, len(samples) - 1) :]
    third = max(1, len(warm) // 3)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in samples[0]["rss_kib"]:
        workers = len(samples[0]["rss_kib"][name])
        out[name] = []
        for w in range(workers):
            series = [s["rss_kib"][name][w] for s in warm if len(s["rss_kib"].get(name, [])) > w]
            early, late = max(series[:third]), max(series[-third:])
            start = samples[0]["rss_kib"][name][w]
            bounded = late <= max(early * (1 + SLACK), early + SLACK_MIB * 1024)
            out[name].append(
                {"start_kib": start, "first_third_max_kib": early,
                 "last_third_max_kib": late, "end_kib": series[-1], "bounded": bounded}
            )  # fmt: skip
    return out
