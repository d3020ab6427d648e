"""Run wrk (Debian's package) with a Lua script; the script writes its summary as JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install -y wrk)")
    return found


def wrk_version() -> str:
    out = subprocess.run([wrk_binary(), "--version"], capture_output=True, text=True, check=False)
    return (out.stdout + out.stderr).split("Copyright")[0].strip()


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]
    wraps: int
    rss_peak_kib: dict[int, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # CPU used by the server's workers during the run
    # Each worker's share of that CPU: how evenly the kernel spread wrk's connections over
    # the workers (a lopsided split halves a run's throughput on 2 cores).
    cpu_shares: list[float] = field(default_factory=list)

    @property
    def cpu_ms_per_request(self) -> float:
        """Worker CPU per answered request: unlike req/s, it hardly moves with the
        neighbours' load on a shared machine."""
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "errors": self.errors,
            "latency_ms": self.latency_ms,
            "wraps": self.wraps,
            "rss_peak_kib": {str(k): v for k, v in self.rss_peak_kib.items()},
            "cpu_seconds": round(self.cpu_seconds, 3),
            "cpu_ms_per_request": round(self.cpu_ms_per_request, 4),
            "cpu_shares": [round(x, 2) for x in self.cpu_shares],
        }


def run_wrk(
    url: str,
    script: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    headers: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    sample_pids: Sequence[int] = (),
) -> WrkResult:
    """One bounded wrk run; the RSS of `sample_pids` is sampled every 0.5 s meanwhile."""
    from bench.servers import cpu_seconds, rss_kib

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    argv = [
        wrk_binary(),
        "-t", str(max(1, min(threads, connections))),
        "-c", str(connections),
        "-d", f"{max(1, round(duration))}s",
        "--timeout", "10s",
        "-s", str(LUA / script),
    ]  # fmt: skip
    for header in headers:
        argv += ["-H", header]
    argv.append(url)
    full_env = {
        **os.environ,
        "BENCH_LUA_DIR": str(LUA),
        "BENCH_OUT": out_path,
        "BENCH_THREADS": str(max(1, min(threads, connections))),
        **(env or {}),
    }
    peaks: dict[int, int] = dict.fromkeys(sample_pids, 0)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            for pid in peaks:
                peaks[pid] = max(peaks[pid], rss_kib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = [cpu_seconds(pid) for pid in sample_pids]
    try:
        proc = subprocess.run(
            argv, env=full_env, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    finally:
        per_worker = [
            cpu_seconds(pid) - before for pid, before in zip(sample_pids, cpu_before, strict=True)
        ]
        cpu_used = sum(per_worker)
        stop.set()
        sampler.join()
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr or proc.stdout}")
        data = json.loads(Path(out_path).read_text())
    finally:
        Path(out_path).unlink(missing_ok=True)
    lat = data["latency_us"]
    return WrkResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        errors={k: int(v) for k, v in data["errors"].items()},
        latency_ms={k: round(float(v) / 1000, 3) for k, v in lat.items()},
        wraps=int(data["wraps"]),
        rss_peak_kib=peaks,
        cpu_seconds=cpu_used,
        cpu_shares=[w / cpu_used for w in per_worker] if cpu_used > 0 else [],
    )
