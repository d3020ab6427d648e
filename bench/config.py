"""Benchmark settings from the environment; defaults keep `make bench` near 10 minutes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import ROOT


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class BenchConfig:
    users: int  # rows seeded in the user table (deep page is near the end)
    payments: int  # payments seeded (with line items and history)
    duration: float  # seconds of each measured wrk run
    warmup: float  # seconds of each scenario's unmeasured first run
    rounds: int  # interleaved rounds (>= 3 for a median and a spread)
    connections: int  # wrk connections of the read and webhook scenarios
    checkout_connections: int  # checkout and sandbox-alone (a latency comparison)
    login_connections: int
    gthread: bool  # also measure gunicorn gthread workers (user service and bare Flask)
    gateway_latency_ms: int  # the sandbox made as slow as a real gateway (0 = that pair off)
    threads: int  # wrk threads (the load generator shares the 2 cores)
    workers: int  # workers of EVERY server: services and bare baselines alike
    profile_seconds: float  # py-spy on the slowest read path (0 = no profile)
    webhook_events: int  # distinct signed events prepared per round
    inbox_events: int  # stored events of the growth phase's full inbox (0 = no growth phase)
    soak_seconds: float  # the soak after the rounds (0 = none)
    soak_run_seconds: float  # each run of the soak's cycle
    worker: bool  # measure the payment worker after the rounds
    database_url: str | None  # PostgreSQL server (BENCH_DATABASE_URL) or None = SQLite
    out_dir: Path
    only: tuple[str, ...]  # scenario names to run (empty = all)
    profile: tuple[str, ...]  # scenarios to profile (empty = the slowest reads)

    @classmethod
    def from_env(cls) -> BenchConfig:
        only = os.environ.get("BENCH_ONLY", "")
        profiled = os.environ.get("BENCH_PROFILE", "")
        return cls(
            users=_int("BENCH_USERS", 1_000_000),
            payments=_int("BENCH_PAYMENTS", 1_000_000),
            duration=_float("BENCH_DURATION", 5.0),
            warmup=_float("BENCH_WARMUP", 2.0),
            rounds=_int("BENCH_ROUNDS", 5),
            connections=_int("BENCH_CONNECTIONS", 32),
            checkout_connections=_int("BENCH_CHECKOUT_CONNECTIONS", 1),
            login_connections=_int("BENCH_LOGIN_CONNECTIONS", 4),
            gthread=_int("BENCH_GTHREAD", 1) == 1,
            gateway_latency_ms=_int("BENCH_GATEWAY_LATENCY_MS", 200),
            threads=_int("BENCH_THREADS", 1),
            workers=_int("BENCH_WORKERS", 2),
            profile_seconds=_float("BENCH_PROFILE_SECONDS", 10.0),
            webhook_events=_int("BENCH_WEBHOOK_EVENTS", 40_000),
            inbox_events=_int("BENCH_INBOX_EVENTS", 1_000_000),
            soak_seconds=_float("BENCH_SOAK_SECONDS", 600.0),
            soak_run_seconds=_float("BENCH_SOAK_RUN_SECONDS", 20.0),
            worker=_int("BENCH_WORKER", 1) == 1,
            database_url=os.environ.get("BENCH_DATABASE_URL") or None,
            out_dir=Path(os.environ.get("BENCH_OUT_DIR", str(ROOT / "build" / "bench"))),
            only=tuple(s.strip() for s in only.split(",") if s.strip()),
            profile=tuple(s.strip() for s in profiled.split(",") if s.strip()),
        )
