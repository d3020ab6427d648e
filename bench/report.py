"""The summary of a run (medians, spreads, ratios, the limits) and its Markdown
(build/bench/results.md), from the JSON written beside it: pure functions of that JSON."""

from __future__ import annotations

import statistics
from typing import Any

from bench.scenarios import LIMITS, RATIOS

P99_TARGET_MS = 50.0
METRICS = {"rps": "throughput", "cpu": "worker CPU"}


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": 0.0, "min": 0.0, "max": 0.0, "spread_pct": 0.0}
    med = statistics.median(values)
    return {
        "median": round(med, 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "spread_pct": round(100 * (max(values) - min(values)) / med, 1) if med else 0.0,
    }


def _value(r: dict[str, Any], metric: str) -> float:
    if metric == "cpu":  # requests per worker CPU second: throughput on idle cores
        cpu_ms = float(r.get("cpu_ms_per_request", 0.0))
        return 1000 / cpu_ms if cpu_ms else 0.0
    return float(r["rps"] if metric == "rps" else r["latency_ms"][metric])


def per_round(num: list[dict[str, Any]], den: list[dict[str, Any]], metric: str) -> list[float]:
    """num / den of each round (both measured seconds apart); rounds with a zero den skipped."""
    return [
        _value(x, metric) / _value(y, metric)
        for x, y in zip(num, den, strict=False)
        if _value(y, metric)
    ]


def _limits(scenarios: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for pair in LIMITS:
        a, b = scenarios.get(pair.path), scenarios.get(pair.limit)
        if not a or not b or not a["rounds"] or not b["rounds"]:
            continue
        row: dict[str, Any] = {"title": pair.title, "path": pair.path, "limit": pair.limit,
                               "target": pair.target, "on": list(pair.on)}  # fmt: skip
        for metric in METRICS:
            each = per_round(a["rounds"], b["rounds"], metric)
            stats = _stats(each)
            met = stats["median"] >= pair.target if metric in pair.on and each else None
            row[metric] = {"per_round": [round(v, 3) for v in each], **stats, "met": met}
        p99 = _stats([r["latency_ms"]["p99"] for r in a["rounds"]])
        row["p99_ms"] = {
            "path": p99,
            "limit": _stats([r["latency_ms"]["p99"] for r in b["rounds"]]),
            "target": pair.p99_ms,
            "connections": a.get("connections"),
            "met": None if pair.p99_ms is None else p99["median"] < pair.p99_ms,
        }
        out.append(row)
    return out


def summarise(info: dict[str, Any]) -> dict[str, Any]:
    per: dict[str, Any] = {}
    for name, sc in info["scenarios"].items():
        rounds = sc["rounds"]
        if not rounds:
            continue
        per[name] = {
            "rps": _stats([r["rps"] for r in rounds]),
            "p50_ms": _stats([r["latency_ms"]["p50"] for r in rounds]),
            "p99_ms": _stats([r["latency_ms"]["p99"] for r in rounds]),
            "mean_ms": _stats([r["latency_ms"]["mean"] for r in rounds]),
            "cpu_ms": _stats([r.get("cpu_ms_per_request", 0.0) for r in rounds]),
            "errors": sum(sum(r["errors"].values()) for r in rounds),
            "wraps": sum(r["wraps"] for r in rounds),
            "requests": sum(r["requests"] for r in rounds),
        }
    ratios = []
    for title, num, den, metric, target, better in RATIOS:
        a, b = info["scenarios"].get(num), info["scenarios"].get(den)
        if not a or not b or not a["rounds"] or not b["rounds"]:
            continue
        each = per_round(a["rounds"], b["rounds"], metric)
        stats = _stats(each)
        met = None
        if target is not None and each:
            med = stats["median"]
            met = med >= target if better == "higher" else med <= target
        ratios.append(
            {"title": title, "num": num, "den": den, "metric": metric, "target": target,
             "better": better, "per_round": [round(v, 3) for v in each], **stats, "met": met}
        )  # fmt: skip
    return {"scenarios": per, "ratios": ratios, "limits": _limits(info["scenarios"])}


def _met(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "**no**")


def _ratio_cell(r: dict[str, Any]) -> str:
    if not r["per_round"]:
        return "-"
    rounds = ", ".join(f"{v:.2f}" for v in r["per_round"])
    return f"{r['median']:.2f} [{r['min']:.2f} - {r['max']:.2f}] ({rounds})"


def render_limits(limits: list[dict[str, Any]]) -> list[str]:
    """The issue 19 table: each path as a ratio to its limit, the targets beside."""
    if not limits:
        return []
    lines = [
        "",
        "## Against the limits (issue 19): path / its limit, median [min - max] (each round)",
        "",
        "A limit does the path's irreducible work on the same framework and server (raw"
        " driver, no auth; hmac + one INSERT; the same SDK call + one INSERT); GET /healthz is"
        " compared with the bare framework. Throughput ratio: req/s of the path / req/s of the"
        " limit; worker CPU ratio: the limit's worker CPU per request / the path's (1.0 = as"
        " cheap as the limit). p99: the path's median over the rounds (max), then the limit's.",
        "",
        "| path / its limit | throughput ratio | worker CPU ratio | target | met (throughput"
        " / CPU) | p99 ms: path (max) / limit | p99 target | met |",
        "| --- | ---: | ---: | ---: | :---: | ---: | ---: | :---: |",
    ]
    for row in limits:
        target = f"≥ {row['target']:g}" + ("" if len(row["on"]) > 1 else " (CPU)")
        p99 = row["p99_ms"]
        p99_target = "-" if p99["target"] is None else f"< {p99['target']:g}"
        lines.append(
            f"| {row['title']} | {_ratio_cell(row['rps'])} | {_ratio_cell(row['cpu'])}"
            f" | {target} | {_met(row['rps']['met'])} / {_met(row['cpu']['met'])}"
            f" | {p99['path']['median']:.1f} ({p99['path']['max']:.1f}) /"
            f" {p99['limit']['median']:.1f} | {p99_target} | {_met(p99['met'])} |"
        )
    return lines


def _mib(kib: list[int]) -> str:
    if not kib or not any(kib):
        return "-"
    return " / ".join(f"{k / 1024:.0f}" for k in kib)


def render_markdown(info: dict[str, Any]) -> str:
    m, summary, seed = info["machine"], info["summary"], info.get("seeding", {})
    cfg = info["config"]
    lines = [
        f"# Benchmark results ({info['started_at']})",
        "",
        f"Command: `make bench` (`python -m bench`), git `{m['git']}`. Machine: {m['cpu']},"
        f" {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']},"
        f" {m['wrk']}; load average at start {m['loadavg_start'][0]:.2f}, at end"
        f" {m.get('loadavg_end', [0])[0]:.2f} (the machine is shared: read the ratios).",
        f"Database: {info.get('database')}. Servers: {cfg['workers']} workers each; user"
        " service, bare Flask and its read limit on gunicorn (sync workers), payment service,"
        " bare FastAPI and its limits on uvicorn"
        ' (uvloop, httptools, no access log); "gthread" rows: gunicorn --worker-class gthread'
        " --threads 4 (keep-alive), same workers; the Stripe sandbox on 1 uvicorn worker. wrk:"
        f" {cfg['threads']} thread(s), {cfg['duration']} s per run, {cfg['rounds']} interleaved"
        f" rounds after a {cfg['warmup']} s warm-up; auth: "
        + (
            "bearer tokens (the bootstrap admin; a seeded customer paying for themself in the"
            " checkout rows)"
            if info.get("auth")
            else "none (no /auth/token yet)"
        )
        + ".",
        f"Seeded: {seed.get('users', 0):,} users in {seed.get('users_seconds')} s (one"
        f" precomputed Argon2id hash, {seed.get('argon2')}), {seed.get('payments', 0):,}"
        f" payments in {seed.get('payments_seconds')} s."
        f" Total run {info['elapsed_seconds']:.0f} s.",
        "Checks before the rounds (status; a read limit must answer the service's JSON for the"
        " same row): " + "; ".join(f"{k}: {v}" for k, v in info.get("sanity", {}).items()) + ".",
        "",
        "## Scenarios (median of the rounds, [min - max], spread = (max - min) / median)",
        "",
        "| scenario | conns | req/s | spread | p50 ms | p99 ms (max) | worker CPU ms/req |"
        " errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, sc in info["scenarios"].items():
        s = summary["scenarios"].get(name)
        if not s:
            continue
        rps = s["rps"]
        flag = ""
        if sc["kind"] == "read" and sc["connections"] >= 32:
            flag = " ✓" if s["p99_ms"]["median"] < P99_TARGET_MS else " ✗"
        wraps = f" ({s['wraps']} reused)" if s["wraps"] else ""
        lines.append(
            f"| {sc['title']} | {sc['connections']} | {rps['median']:,.0f}"
            f" [{rps['min']:,.0f} - {rps['max']:,.0f}] | {rps['spread_pct']:.0f}%"
            f" | {s['p50_ms']['median']:.1f} | {s['p99_ms']['median']:.1f}"
            f" ({s['p99_ms']['max']:.1f}){flag} | {s.get('cpu_ms', {}).get('median', 0):.3f}"
            f" | {s['errors']}{wraps} |"
        )
    lines += render_limits(summary.get("limits", []))
    lines += [
        "",
        "## Ratios (per round, then median [min - max] of the rounds)",
        "",
        "| ratio | median | min - max | target | met |",
        "| --- | ---: | ---: | ---: | :---: |",
    ]
    for r in summary["ratios"]:
        target = "-" if r["target"] is None else ("≥ " if r["better"] == "higher" else "≤ ")
        if r["target"] is not None:
            target += f"{r['target']:g}"
        met = _met(r["met"])
        lines.append(
            f"| {r['title']} | {r['median']:.2f} | {r['min']:.2f} - {r['max']:.2f}"
            f" | {target} | {met} |"
        )
    worker = info.get("worker")
    if worker:
        lines += [
            "",
            "## The payment worker (one process, after the rounds)",
            "",
            "| job | items | seconds | per second | worker CPU ms per item |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for job, title in (
            ("stripe_events", "stored Stripe events processed"),
            ("deliveries", "outbound events delivered to a local receiver"),
        ):
            w = worker[job]
            lines.append(
                f"| {title} | {w['items']:,} | {w['seconds']:.1f} | {w['per_second']:,.1f}"
                f" | {w['cpu_ms_per_item']:.3f} |"
            )
    rss = info.get("rss_kib", {})
    lines += [
        "",
        "## Memory: RSS per worker, MiB (fresh / at rest after warm-up / peak under load)",
        "",
        "| server | workers | fresh | at rest | peak under load |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in info.get("workers", {}):
        lines.append(
            f"| {name} | {info['workers'][name]} | {_mib(rss.get('fresh', {}).get(name, []))}"
            f" | {_mib(rss.get('rest', {}).get(name, []))}"
            f" | {_mib(rss.get('peak', {}).get(name, []))} |"
        )
    soaked = info.get("soak") or {}
    if soaked:
        total = sum(soaked["requests"].values())
        lines += [
            "",
            f"## Soak: {soaked['seconds']:.0f} s of the hot paths ({total:,} requests in runs of"
            f" {soaked['run_seconds']:g} s: {', '.join(soaked['requests'])}), RSS per worker, MiB",
            "",
            "| server / worker | start | max, first third | max, last third | end | bounded |",
            "| --- | ---: | ---: | ---: | ---: | :---: |",
        ]
        for name, workers in soaked["workers"].items():
            for n, w in enumerate(workers, 1):
                keys = ("start_kib", "first_third_max_kib", "last_third_max_kib", "end_kib")
                mib = " | ".join(f"{w[k] / 1024:.0f}" for k in keys)
                lines.append(f"| {name} #{n} | {mib} | {'yes' if w['bounded'] else '**no**'} |")
    for name, prof in info.get("profiles", {}).items():
        title = info["scenarios"][name]["title"]
        lines += [
            "",
            f"## Profile: {title} (py-spy --gil, {prof['samples']} samples of the thread holding"
            f" the GIL, `{prof['file']}`)",
            "",
            "Self time by package: "
            + ", ".join(f"{pkg} {pct}%" for pkg, pct in prof["self_by_package"][:12])
            + ". (Only the thread holding the GIL is sampled: Python work. Time in system calls"
            " that release the GIL, socket writes and closes, the SQLite engine, is not counted,"
            " nor is waiting for the GIL.)",
            "",
            "| inclusive % | function |",
            "| ---: | --- |",
        ]
        for func, pct in prof["inclusive"][:30]:
            lines.append(f"| {pct} | `{func}` |")
    return "\n".join(lines) + "\n"
