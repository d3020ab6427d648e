"""`python -m bench`: start the real processes, seed, drive wrk, write JSON + Markdown.

Flow: sandbox, user service (migrate, seed BENCH_USERS users, start), payment service (migrate,
seed payments, start), bare Flask and bare FastAPI on the same server settings, the limits
(bench/baselines/limit_*.py: each path's irreducible work, same servers); log in when
POST /auth/token exists (404: no auth yet); one unmeasured warm-up run per scenario; then
BENCH_ROUNDS interleaved rounds (every scenario once per round, the order reversed every other
round so drift hits pairs alike); py-spy on the slowest read path; results under build/bench/.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from bench import growth, profile, scenarios, servers, soak
from bench import worker as bench_worker
from bench.config import BenchConfig
from bench.report import render_markdown, summarise
from bench.seed import SEED_PASSWORD, copy_table, seed_payments, seed_users
from bench.wrk import WrkResult, run_wrk, wrk_version
from devstack.databases import fresh_database, is_postgres
from devstack.processes import ROOT


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def log_run(name: str, res: WrkResult) -> None:
    errs = f" errors={res.errors}" if res.error_count else ""
    log(
        f"  {name:18} {res.rps:8.1f} req/s  p50 {res.latency_ms['p50']:7.2f} ms"
        f"  p99 {res.latency_ms['p99']:7.2f} ms  cpu {res.cpu_ms_per_request:6.3f} ms/req"
        f" split {'/'.join(f'{x:.2f}' for x in res.cpu_shares)}{errs}"
    )


def login(base_url: str, email: str, password: str) -> str | None:
    """An access token, or None when the user service has no POST /auth/token (404)."""
    resp = httpx.post(
        f"{base_url}/auth/token", data={"username": email, "password": password}, timeout=30
    )
    if resp.status_code == 404:
        return None
    if resp.status_code != 200:
        raise RuntimeError(f"login failed: {resp.status_code} {resp.text[:500]}")
    token: str = resp.json()["access_token"]
    return token


def machine() -> dict[str, Any]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    versions: dict[str, str | None] = {}
    for pkg in ("flask", "flask-smorest", "fastapi", "pydantic", "gunicorn", "uvicorn",
                "sqlalchemy", "psycopg", "argon2-cffi", "pyjwt", "py-spy"):  # fmt: skip
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
        check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version(),
        "versions": versions,
        "git": git,
        "loadavg_start": os.getloadavg(),
    }


def db_version(url: str) -> str:
    if not is_postgres(url):
        return f"SQLite {sqlite3.sqlite_version} (file, WAL)"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version()")).scalar_one()).split(" on ")[0]
    finally:
        engine.dispose()


def rss_map(fleet: servers.Fleet) -> dict[str, list[int]]:
    return {
        name: [servers.rss_kib(pid) for pid in servers.worker_pids(server)]
        for name, server in fleet.servers.items()
    }


def check(url: str, path: str, headers: dict[str, str]) -> str:
    resp = httpx.get(url + path, headers=headers, timeout=30)
    return f"{resp.status_code}"


def _comparable(value: Any) -> Any:
    """JSON with its RFC 3339 timestamps parsed (2026-12-02T10:00:00Z == ...T10:00:00.000000Z)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str) and value[4:5] == "-" and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def limit_sanity(
    reads: list[tuple[str, str, str]], webhook_limit: str, headers: dict[str, str]
) -> dict[str, str]:
    """Each read limit answers what its service answers for the same row (`reads`: service URL,
    limit URL, path), and the webhook limit refuses a forged signature."""
    out = {}
    for service_url, limit_url, path in reads:
        ours = httpx.get(service_url + path, headers=headers, timeout=30)
        limit = httpx.get(limit_url + path, timeout=30)
        if limit.status_code == ours.status_code == 200:
            a, b = _comparable(limit.json()), _comparable(ours.json())
            differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        else:
            differ = [f"status {limit.status_code}, the service's {ours.status_code}"]
        same = not differ
        verdict = "the service's JSON" if same else f"NOT the service's JSON: {differ}"
        out[f"read limit GET {path.rsplit('/', 1)[0]}/{{id}}"] = f"{limit.status_code}, {verdict}"
    forged = httpx.post(
        webhook_limit + "/webhooks/stripe",
        content=b'{"id":"evt_forged","type":"x","data":{}}',
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
        timeout=30,
    )
    out["webhook limit, forged signature"] = f"{forged.status_code}"
    return out


def main() -> int:
    cfg = BenchConfig.from_env()
    out = cfg.out_dir
    work, logs = out / "work", out / "logs"
    for folder in (work, logs):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for stale in out.glob("profile-*.txt"):  # profiles of an earlier run's slowest paths
        stale.unlink()
    started = time.monotonic()
    info: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {k: str(v) for k, v in cfg.__dict__.items()},
    }
    results: dict[str, list[WrkResult]] = {}
    warmups: dict[str, WrkResult] = {}
    with ExitStack() as stack:
        users_db = stack.enter_context(fresh_database(cfg.database_url, work, "bench_users"))
        pay_db = stack.enter_context(fresh_database(cfg.database_url, work, "bench_payments"))
        info["database"] = db_version(users_db)
        fleet = servers.Fleet({})
        stack.callback(fleet.stop_all)

        log("starting the Stripe sandbox")
        fleet.servers["stripe-sandbox"] = servers.sandbox(logs / "sandbox.log").start()
        sandbox_url = fleet.servers["stripe-sandbox"].url

        log(f"user service: migrate, seed {cfg.users:,} users")
        users = servers.user_service(users_db, cfg.workers, work, logs / "user-service.log")
        seeded = seed_users(users_db, cfg.users)
        log(f"  seeded in {seeded.seconds:.1f} s ({cfg.users / seeded.seconds:,.0f} rows/s)")
        users.startup_timeout = 120
        fleet.servers["user-service"] = users.start()

        token = login(users.url, servers.BENCH_ADMIN_EMAIL, servers.BENCH_ADMIN_PASSWORD)
        log("auth: " + ("bearer token of the bootstrap admin" if token else "none (404)"))
        customer = seeded.emails[0]

        def customer_token() -> str | None:
            return login(users.url, customer, SEED_PASSWORD) if token else None

        tokens = {"customer": customer_token()}

        log(f"payment service: migrate, seed {cfg.payments:,} payments")
        payments = servers.payment_service(
            pay_db, cfg.workers, users.url, sandbox_url, logs / "payment-service.log"
        )
        seeded_p = seed_payments(pay_db, cfg.payments, seeded.ids)
        log(f"  seeded in {seeded_p.seconds:.1f} s")
        fleet.servers["payment-service"] = payments.start()

        log("bare baselines")
        fleet.servers["bare-flask"] = servers.bare_flask(cfg.workers, logs / "bare-flask.log")
        fleet.servers["bare-flask"].start()
        fleet.servers["bare-fastapi"] = servers.bare_fastapi(cfg.workers, logs / "bare-fastapi.log")
        fleet.servers["bare-fastapi"].start()
        log("limits: each path's irreducible work on the same servers (issue 19)")
        copy_table(pay_db, "pay_webhook_events", servers.LIMIT_INBOX)
        fleet.servers["limit-flask"] = servers.limit_flask(
            cfg.workers, logs / "limit-flask.log", users_db
        ).start()
        fleet.servers["limit-fastapi"] = servers.limit_fastapi(
            cfg.workers, logs / "limit-fastapi.log", payments.env
        ).start()
        limit_flask, limit_fastapi = fleet.servers["limit-flask"], fleet.servers["limit-fastapi"]
        if cfg.gthread:
            fleet.servers["bare-flask-gthread"] = servers.bare_flask(
                cfg.workers, logs / "bare-flask-gthread.log", servers.GTHREAD
            ).start()
            fleet.servers["user-service-gthread"] = servers.user_service_gthread(
                users_db, cfg.workers, work, logs / "user-service-gthread.log"
            ).start()
        time.sleep(1)
        rss_fresh = rss_map(fleet)

        auth_headers = {"Authorization": f"Bearer {token}"} if token else {}
        sanity = {
            "GET /users/{id}": check(users.url, f"/users/{seeded.ids[0]}", auth_headers),
            "GET /users?limit=50 deep": check(
                users.url, f"/users?limit=50&cursor={seeded.deep_cursor}", auth_headers
            ),
            "GET /payments/{id}": check(payments.url, f"/payments/{seeded_p.ids[0]}", auth_headers),
            "GET /payments?limit=50 deep": check(
                payments.url, f"/payments?limit=50&cursor={seeded_p.deep_cursor}", auth_headers
            ),
            **limit_sanity(
                [
                    (users.url, limit_flask.url, f"/users/{seeded.ids[0]}"),
                    (payments.url, limit_fastapi.url, f"/payments/{seeded_p.ids[0]}"),
                ],
                limit_fastapi.url,
                auth_headers,
            ),
        }
        log(f"sanity: {sanity}")
        info["sanity"] = sanity

        webhooks = scenarios.WebhookData(work, seeded_p.ids, cfg.webhook_events)
        webhooks.seed_duplicates(payments.url)
        webhooks.seed_duplicates(limit_fastapi.url)
        plan = scenarios.build(
            work=work,
            user_ids=seeded.ids,
            payment_ids=seeded_p.ids,
            deep_cursor=seeded.deep_cursor,
            payments_deep_cursor=seeded_p.deep_cursor,
            login_emails=seeded.emails,
            login_password=SEED_PASSWORD,
            webhooks=webhooks,
            connections=cfg.connections,
            checkout_connections=cfg.checkout_connections,
            login_connections=cfg.login_connections,
            auth=token is not None,
            latency=scenarios.GatewayLatency(sandbox_url, cfg.gateway_latency_ms)
            if cfg.gateway_latency_ms > 0
            else None,
            gthread=cfg.gthread,
        )
        if cfg.only:
            plan = [s for s in plan if s.name in cfg.only]
        pids = {name: servers.worker_pids(s) for name, s in fleet.servers.items()}

        def run(s: scenarios.Scenario, duration: float, token: str | None) -> WrkResult:
            server = fleet.servers[s.server]
            env = dict(s.env)
            if s.prepare is not None:
                env.update(s.prepare(server.url))
            headers = list(s.headers)
            bearer = tokens["customer"] if s.as_customer else token
            if s.auth and bearer:
                headers.append(f"Authorization: Bearer {bearer}")
            if s.before is not None:
                s.before()
            try:
                return run_wrk(
                    server.url + s.path,
                    s.script,
                    duration=duration,
                    connections=s.connections,
                    threads=cfg.threads,
                    headers=headers,
                    env=env,
                    sample_pids=pids[s.server],
                )
            finally:
                if s.after is not None:
                    s.after()

        def play(chosen: list[scenarios.Scenario]) -> None:
            """Interleaved rounds: every scenario once per round, the order reversed every
            other round."""
            nonlocal token
            for r in range(cfg.rounds):
                order = chosen if r % 2 == 0 else list(reversed(chosen))
                if token:  # fresh access tokens each round (TTL 15 min by default)
                    token = login(
                        users.url, servers.BENCH_ADMIN_EMAIL, servers.BENCH_ADMIN_PASSWORD
                    )
                    tokens["customer"] = customer_token()
                log(f"round {r + 1}/{cfg.rounds}")
                for s in order:
                    res = run(s, cfg.duration, token)
                    results.setdefault(s.name, []).append(res)
                    log_run(s.name, res)

        log(f"warm-up: {len(plan)} scenarios x {cfg.warmup:g} s")
        for s in plan:
            warmups[s.name] = run(s, cfg.warmup, token)
        time.sleep(2)
        rss_rest = rss_map(fleet)
        play(plan)

        profiles: dict[str, Any] = {}
        if cfg.profile_seconds > 0 and results:
            targets = [s for s in plan if s.name in cfg.profile] or pick_profile_targets(
                plan, results
            )
            for s in targets:
                log(f"profile: py-spy on {s.server} during {s.name}")
                raw = out / f"profile-{s.name}.txt"
                if token:
                    token = login(
                        users.url, servers.BENCH_ADMIN_EMAIL, servers.BENCH_ADMIN_PASSWORD
                    )
                server = fleet.servers[s.server]
                assert server.proc is not None
                spy = profile.record(server.proc.pid, cfg.profile_seconds, raw)
                if spy is None:
                    log("  py-spy not installed: no profile")
                    break
                time.sleep(1)
                run(s, cfg.profile_seconds + 2, token)
                _, err = spy.communicate(timeout=60)
                if raw.exists():
                    rel = str(raw.relative_to(ROOT)) if raw.is_relative_to(ROOT) else str(raw)
                    profiles[s.name] = {"file": rel, **profile.summarise(raw)}
                else:
                    log(f"  py-spy failed: {err.decode(errors='replace')[-500:]}")

        if cfg.worker:  # before the soak, whose events would swell its backlog
            log("worker: drain the stored Stripe events, then deliver outbound events")
            admin = login(users.url, servers.BENCH_ADMIN_EMAIL, servers.BENCH_ADMIN_PASSWORD)
            info["worker"] = bench_worker.measure(
                payments.url,
                {"Authorization": f"Bearer {admin}"} if admin else {},
                pay_db,
                payments.env,
                seeded_p.ids[0],
                logs / "payment-worker.log",
            )
            log(f"  {info['worker']}")
        if cfg.inbox_events > 0 and (not cfg.only or scenarios.GROWTH_FULL in cfg.only):
            log(f"growth: webhook acknowledgement, empty inbox vs {cfg.inbox_events:,} events")
            for name, db_name in (
                (scenarios.INBOX_EMPTY, "bench_inbox_empty"),
                (scenarios.INBOX_FULL, "bench_inbox_full"),
            ):
                db = stack.enter_context(fresh_database(cfg.database_url, work, db_name))
                fleet.servers[name] = servers.payment_service(
                    db, cfg.workers, users.url, sandbox_url, logs / f"{name}.log"
                )
                fleet.servers[name].name = name
                if name == scenarios.INBOX_FULL:
                    seconds = growth.seed_inbox(db, cfg.inbox_events)
                    log(f"  seeded {cfg.inbox_events:,} stored events in {seconds:.1f} s")
                    info["inbox_seconds"] = round(seconds, 1)
                fleet.servers[name].start()
                pids[name] = servers.worker_pids(fleet.servers[name])
            pair = scenarios.inbox_growth(webhooks, cfg.connections)
            for s in pair:
                warmups[s.name] = run(s, cfg.warmup, token)
            play(pair)
            plan += pair

        if cfg.soak_seconds > 0:
            log(f"soak: {cfg.soak_seconds:g} s of the hot paths, RSS after every run")

            def soak_run(s: scenarios.Scenario, seconds: float) -> WrkResult:
                fresh = login(users.url, servers.BENCH_ADMIN_EMAIL, servers.BENCH_ADMIN_PASSWORD)
                return run(s, seconds, fresh)

            info["soak"] = soak.soak(
                cfg.soak_seconds, cfg.soak_run_seconds, plan, soak_run, lambda: rss_map(fleet), log
            )

        info.update(
            {
                "auth": token is not None,
                "argv": fleet.argv(),
                "workers": {name: len(p) for name, p in pids.items()},
                "seeding": {
                    "users": seeded.count,
                    "users_seconds": round(seeded.seconds, 1),
                    "payments": seeded_p.count,
                    "payments_seconds": round(seeded_p.seconds, 1),
                    "deep_cursor": seeded.deep_cursor,
                    "payments_deep_cursor": seeded_p.deep_cursor,
                    "argon2": seeded.argon2_params,
                },
                "scenarios": {
                    s.name: {
                        "title": s.title,
                        "server": s.server,
                        "kind": s.kind,
                        "connections": s.connections,
                        "auth": ("customer" if s.as_customer else "admin")
                        if s.auth and token
                        else None,
                        "warmup": warmups[s.name].as_dict(),
                        "rounds": [res.as_dict() for res in results.get(s.name, [])],
                    }
                    for s in plan
                },
                "rss_kib": {
                    "fresh": rss_fresh,
                    "rest": rss_rest,
                    "peak": peak_rss(plan, results, pids),
                },
                "profiles": profiles,
            }
        )
    info["machine"]["loadavg_end"] = os.getloadavg()
    info["elapsed_seconds"] = round(time.monotonic() - started, 1)
    info["summary"] = summarise(info)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(info, indent=2, default=str)
    (out / "results.json").write_text(text)
    (out / f"results-{stamp}.json").write_text(text)
    md = render_markdown(info)
    (out / "results.md").write_text(md)
    (out / f"results-{stamp}.md").write_text(md)
    print(md)
    log(f"done in {info['elapsed_seconds']:.0f} s: {out / 'results.md'}, {out / 'results.json'}")
    return 0


def pick_profile_targets(
    plan: list[scenarios.Scenario], results: dict[str, list[WrkResult]]
) -> list[scenarios.Scenario]:
    """The slowest service read path, and the single-item read further below its limit (its
    bare framework when the limit was not measured)."""
    baselines = ("bare", "limit")
    reads = [s for s in plan if s.kind == "read" and not s.server.startswith(baselines)]
    reads = [s for s in reads if s.name in results]
    if not reads:
        return []

    def rps(name: str) -> float:
        return statistics.median(r.rps for r in results[name])

    chosen = [min(reads, key=lambda s: rps(s.name))]
    pairs = [
        (path, limit if limit in results else bare)
        for path, limit, bare in (
            ("users_get", "limit_users_get", "bare_flask_get"),
            ("payments_get", "limit_payments_get", "bare_fastapi_get"),
        )
    ]
    ratios = [(rps(a) / rps(b), a) for a, b in pairs if a in results and b in results]
    if ratios:
        worst = min(ratios)[1]
        if worst != chosen[0].name:
            chosen += [s for s in plan if s.name == worst]
    return chosen


def peak_rss(
    plan: list[scenarios.Scenario],
    results: dict[str, list[WrkResult]],
    pids: dict[str, list[int]],
) -> dict[str, list[int]]:
    peaks: dict[str, dict[int, int]] = {name: dict.fromkeys(p, 0) for name, p in pids.items()}
    for s in plan:
        for res in results.get(s.name, []):
            for pid, kib in res.rss_peak_kib.items():
                peaks[s.server][pid] = max(peaks[s.server].get(pid, 0), kib)
    return {name: list(p.values()) for name, p in peaks.items()}


if __name__ == "__main__":
    sys.exit(main())
