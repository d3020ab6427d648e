"""The Markdown table of a run (build/bench/results.md), from the JSON written beside it."""

from __future__ import annotations

from typing import Any

P99_TARGET_MS = 50.0


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
        f"Database: {info.get('database')}. Servers: {cfg['workers']} workers each; user service"
        " and bare Flask on gunicorn (sync workers), payment service and bare FastAPI on uvicorn"
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
        met = "-" if r["met"] is None else ("yes" if r["met"] else "**no**")
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
