"""What is measured: one wrk run per scenario and round, against one server.

Pairs share a round so their ratio is taken under the same machine load:
  bare_flask_get  <-> users_health, users_get, users_list_first, users_list_deep (gunicorn)
  bare_fastapi_get <-> payments_health, payments_get (uvicorn, same settings)
  (GET /healthz: the service's own stack, middleware, logging and metrics, without auth or
  database; the rest of a read's cost is auth + database + serialisation)
  sandbox_session <-> checkout (the gateway call alone vs our endpoint that makes it)
  users_list_first <-> users_list_deep (keyset pagination)
and each path beside its limit (issue 19: the irreducible work of the path on the same
framework and server, bench/baselines/limit_*.py), the ratios with targets (LIMITS):
  limit_users_get <-> users_get, limit_payments_get <-> payments_get (the raw driver's read)
  limit_webhook_distinct / _duplicate <-> webhook_distinct / _duplicate (hmac + one INSERT)
  limit_checkout(_slow) <-> checkout(_slow) (the same SDK call + one INSERT)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devstack.services import SANDBOX_API_KEY, SANDBOX_WEBHOOK_SECRET


@dataclass
class Scenario:
    name: str
    server: str  # key of the fleet
    path: str  # URL path (and query) given to wrk
    script: str
    title: str
    kind: str  # read | write | login
    connections: int
    auth: bool = False  # send a bearer token: the bench admin's, or a customer's (below)
    as_customer: bool = False  # a seeded customer pays for themself (user service lookup)
    headers: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # Called before every run (warm-up included) to refresh per-run data files (signatures).
    prepare: Callable[[str], dict[str, str]] | None = None
    # Called around every run (e.g. to give the sandbox a real gateway's latency).
    before: Callable[[], None] | None = None
    after: Callable[[], None] | None = None


class GatewayLatency:
    """The sandbox's `hang` fault on POST /v1/checkout/sessions: a real gateway's latency."""

    def __init__(self, sandbox_url: str, milliseconds: int) -> None:
        self.url = sandbox_url
        self.seconds = milliseconds / 1000

    def on(self) -> None:
        import httpx

        httpx.post(
            f"{self.url}/_sandbox/faults",
            json={"mode": "hang", "seconds": self.seconds, "count": 10**9, "method": "POST",
                  "path_prefix": "/v1/checkout/sessions"},
            timeout=10,
        ).raise_for_status()  # fmt: skip

    def off(self) -> None:
        import httpx

        httpx.delete(f"{self.url}/_sandbox/faults", timeout=10).raise_for_status()


# What signed_lines.lua needs to post signed Stripe events.
WEBHOOK_ENV = {
    "BENCH_PATH": "/webhooks/stripe",
    "BENCH_HEADER": "Stripe-Signature",
    "BENCH_CONTENT_TYPE": "application/json",
}


def stripe_signature(payload: str, secret: str, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def completed_event(event_id: str, payment_id: str, session_id: str, at: int) -> str:
    """A checkout.session.completed event (paid) as Stripe sends it, compact JSON on one line."""
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": at,
        "livemode": False,
        "pending_webhooks": 1,
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "client_reference_id": payment_id,
                "metadata": {"payment_id": payment_id},
                "mode": "payment",
                "payment_intent": f"pi_bench_{event_id[-12:]}",
                "payment_status": "paid",
                "status": "complete",
                "amount_total": 2500,
                "currency": "usd",
            }
        },
    }
    return json.dumps(event, separators=(",", ":"))


class WebhookData:
    """Signed events written to a file per run (the signature's timestamp must be fresh)."""

    def __init__(self, work: Path, payment_ids: list[str], count: int) -> None:
        self.work = work
        self.payment_ids = payment_ids
        self.count = count
        self.runs = 0
        self.duplicates: list[str] = []  # payloads delivered once during setup

    def _write(self, name: str, payloads: list[str]) -> str:
        now = int(time.time())
        path = self.work / f"{name}.lines"
        with path.open("w") as out:
            for payload in payloads:
                out.write(f"{stripe_signature(payload, SANDBOX_WEBHOOK_SECRET, now)}\t{payload}\n")
        return str(path)

    def distinct(self, _url: str) -> dict[str, str]:
        self.runs += 1
        rng = random.Random(self.runs)
        now = int(time.time())
        payloads = []
        for i in range(self.count):
            n = rng.randrange(len(self.payment_ids))
            payloads.append(
                completed_event(
                    f"evt_bench_r{self.runs:02d}_{i:07d}",
                    self.payment_ids[n],
                    f"cs_test_bench_unknown_{self.runs}_{i}",
                    now,
                )
            )
        return {"BENCH_DATA": self._write("webhooks-distinct", payloads)}

    def duplicate(self, _url: str) -> dict[str, str]:
        return {"BENCH_DATA": self._write("webhooks-duplicate", self.duplicates)}

    def seed_duplicates(self, url: str, n: int = 200) -> None:
        """Deliver `n` events once to `url` (the service, then its webhook limit: the same
        events), so that the duplicate scenarios replay stored ids."""
        import httpx

        now = int(time.time())
        self.duplicates = self.duplicates or [
            completed_event(f"evt_bench_dup_{i:05d}", self.payment_ids[i], f"cs_dup_{i}", now)
            for i in range(n)
        ]
        with httpx.Client(base_url=url, timeout=30) as client:
            for payload in self.duplicates:
                sig = stripe_signature(payload, SANDBOX_WEBHOOK_SECRET, int(time.time()))
                resp = client.post(
                    "/webhooks/stripe",
                    content=payload,
                    headers={"Stripe-Signature": sig, "Content-Type": "application/json"},
                )
                resp.raise_for_status()


def sandbox_form_body() -> str:
    """The form the stripe SDK sends for our checkout (see payment_api StripeGateway)."""
    pid = "00000000-0000-4000-8000-000000000000"
    params = [
        ("mode", "payment"),
        ("client_reference_id", pid),
        ("metadata[payment_id]", pid),
        ("payment_intent_data[metadata][payment_id]", pid),
        ("success_url", "http://127.0.0.1:8000/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
        ("cancel_url", "http://127.0.0.1:8000/checkout/cancel"),
        ("expires_at", str(int(time.time()) + 3600 * 20)),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "1234"),
        ("line_items[0][price_data][product_data][name]", "Bench"),
        ("customer_email", "bench-admin@example.com"),
    ]
    return urllib.parse.urlencode(params)


CHECKOUT_BODY = json.dumps(
    {"custom_amount": {"amount": 1234, "currency": "USD"}, "description": "Bench"}
)


def build(
    *,
    work: Path,
    user_ids: list[str],
    payment_ids: list[str],
    deep_cursor: str,
    payments_deep_cursor: str,
    login_emails: list[str],
    login_password: str,
    webhooks: WebhookData,
    connections: int,
    checkout_connections: int,
    login_connections: int,
    auth: bool,
    latency: GatewayLatency | None,
    gthread: bool,
) -> list[Scenario]:
    (work / "user_ids.txt").write_text("\n".join(user_ids) + "\n")
    (work / "payment_ids.txt").write_text("\n".join(payment_ids[:20_000]) + "\n")
    (work / "checkout.json").write_text(CHECKOUT_BODY)
    (work / "sandbox_form.txt").write_text(sandbox_form_body())
    logins = "".join(
        "-\t" + urllib.parse.urlencode({"username": e, "password": login_password}) + "\n"
        for e in login_emails[:5000]
    )
    (work / "logins.lines").write_text(logins)
    users_env = {"BENCH_DATA": str(work / "user_ids.txt"), "BENCH_PATH_PREFIX": "/users/"}
    pay_env = {"BENCH_DATA": str(work / "payment_ids.txt"), "BENCH_PATH_PREFIX": "/payments/"}
    hook_env = WEBHOOK_ENV
    c = connections
    checkout_env = {"BENCH_BODY_FILE": str(work / "checkout.json"),
                    "BENCH_CONTENT_TYPE": "application/json"}  # fmt: skip
    sandbox_env = {"BENCH_BODY_FILE": str(work / "sandbox_form.txt")}
    sandbox_key = [f"Authorization: Bearer {SANDBOX_API_KEY}"]
    # Each limit sits beside the path it bounds: both are measured seconds apart in a round.
    scenarios = [
        Scenario("bare_flask_get", "bare-flask", "/", "get_ids.lua",
                 "bare Flask GET /users/{id}", "read", c, env=users_env),
        Scenario("limit_users_get", "limit-flask", "/", "get_ids.lua",
                 "read limit: bare Flask GET /users/{id}, raw driver", "read", c, env=users_env),
        Scenario("users_health", "user-service", "/healthz", "plain.lua",
                 "GET /healthz of the user service (no auth, no database)", "read", c),
    ]  # fmt: skip
    if gthread:
        scenarios += [
            Scenario("bare_flask_get_gthread", "bare-flask-gthread", "/", "get_ids.lua",
                     "bare Flask GET /users/{id}, gunicorn gthread", "read", c, env=users_env),
            Scenario("users_get_gthread", "user-service-gthread", "/", "get_ids.lua",
                     "GET /users/{id}, gunicorn gthread", "read", c, auth=True, env=users_env),
        ]  # fmt: skip
    scenarios += [
        Scenario("users_get", "user-service", "/", "get_ids.lua",
                 "GET /users/{id}", "read", c, auth=True, env=users_env),
        Scenario("users_list_first", "user-service", "/users?limit=50", "plain.lua",
                 "GET /users?limit=50 (first page)", "read", c, auth=True),
        Scenario("users_list_deep", "user-service", f"/users?limit=50&cursor={deep_cursor}",
                 "plain.lua", "GET /users?limit=50 (deep page)", "read", c, auth=True),
        Scenario("bare_fastapi_get", "bare-fastapi", "/", "get_ids.lua",
                 "bare FastAPI GET /payments/{id}", "read", c, env=pay_env),
        Scenario("limit_payments_get", "limit-fastapi", "/", "get_ids.lua",
                 "read limit: bare FastAPI GET /payments/{id}, raw driver", "read", c,
                 env=pay_env),
        Scenario("payments_health", "payment-service", "/healthz", "plain.lua",
                 "GET /healthz of the payment service (no auth, no database)", "read", c),
        Scenario("payments_get", "payment-service", "/", "get_ids.lua",
                 "GET /payments/{id}", "read", c, auth=True, env=pay_env),
        Scenario("payments_list_first", "payment-service", "/payments?limit=50", "plain.lua",
                 "GET /payments?limit=50 (first page)", "read", c, auth=True),
        Scenario("payments_list_deep", "payment-service",
                 f"/payments?limit=50&cursor={payments_deep_cursor}", "plain.lua",
                 "GET /payments?limit=50 (100 rows before the end)", "read", c, auth=True),
        Scenario("sandbox_session", "stripe-sandbox", "/", "sandbox_session.lua",
                 "sandbox POST /v1/checkout/sessions alone", "write", checkout_connections,
                 headers=sandbox_key, env=sandbox_env),
        Scenario("limit_checkout", "limit-fastapi", "/checkout-sessions", "post_static.lua",
                 "checkout limit: bare FastAPI, the SDK call + one INSERT", "write",
                 checkout_connections, env=checkout_env),
        Scenario("checkout", "payment-service", "/checkout-sessions", "post_static.lua",
                 "POST /checkout-sessions", "write", checkout_connections, auth=True,
                 as_customer=True, env=checkout_env),
    ]  # fmt: skip
    if latency is not None:
        ms = f"{latency.seconds * 1000:g} ms"
        scenarios += [
            Scenario("sandbox_session_slow", "stripe-sandbox", "/", "sandbox_session.lua",
                     f"sandbox POST /v1/checkout/sessions alone, +{ms} gateway latency",
                     "write", checkout_connections, headers=sandbox_key, env=sandbox_env,
                     before=latency.on, after=latency.off),
            Scenario("limit_checkout_slow", "limit-fastapi", "/checkout-sessions",
                     "post_static.lua", f"checkout limit, +{ms} gateway latency", "write",
                     checkout_connections, env=checkout_env, before=latency.on,
                     after=latency.off),
            Scenario("checkout_slow", "payment-service", "/checkout-sessions", "post_static.lua",
                     f"POST /checkout-sessions, +{ms} gateway latency", "write",
                     checkout_connections, auth=True, as_customer=True, env=checkout_env,
                     before=latency.on, after=latency.off),
        ]  # fmt: skip
    scenarios += [
        Scenario("limit_webhook_distinct", "limit-fastapi", "/", "signed_lines.lua",
                 "webhook limit: hmac + one INSERT (distinct events)", "write", c,
                 env=hook_env, prepare=webhooks.distinct),
        Scenario("webhook_distinct", "payment-service", "/", "signed_lines.lua",
                 "POST /webhooks/stripe (distinct events)", "write", c, env=hook_env,
                 prepare=webhooks.distinct),
        Scenario("limit_webhook_duplicate", "limit-fastapi", "/", "signed_lines.lua",
                 "webhook limit: hmac + one INSERT (duplicates)", "write", c, env=hook_env,
                 prepare=webhooks.duplicate),
        Scenario("webhook_duplicate", "payment-service", "/", "signed_lines.lua",
                 "POST /webhooks/stripe (duplicates)", "write", c, env=hook_env,
                 prepare=webhooks.duplicate),
    ]  # fmt: skip
    if auth:
        scenarios.append(
            Scenario("login", "user-service", "/", "signed_lines.lua",
                     "POST /auth/token (Argon2id verify)", "login", login_connections,
                     env={"BENCH_DATA": str(work / "logins.lines"), "BENCH_PATH": "/auth/token",
                          "BENCH_HEADER": "",
                          "BENCH_CONTENT_TYPE": "application/x-www-form-urlencoded"})
        )  # fmt: skip
    return scenarios


# The growth phase (bench.growth): its scenarios, and the servers they run against.
GROWTH_EMPTY, GROWTH_FULL = "webhook_inbox_empty", "webhook_inbox_full"
INBOX_EMPTY, INBOX_FULL = "payment-inbox-empty", "payment-inbox-full"


def inbox_growth(webhooks: WebhookData, connections: int) -> list[Scenario]:
    """The growth phase's pair: distinct events to an empty and a full inbox."""
    return [
        Scenario(GROWTH_EMPTY, INBOX_EMPTY, "/", "signed_lines.lua",
                 "POST /webhooks/stripe (distinct events), empty inbox", "write", connections,
                 env=WEBHOOK_ENV, prepare=webhooks.distinct),
        Scenario(GROWTH_FULL, INBOX_FULL, "/", "signed_lines.lua",
                 "POST /webhooks/stripe (distinct events), inbox of BENCH_INBOX_EVENTS",
                 "write", connections, env=WEBHOOK_ENV, prepare=webhooks.distinct),
    ]  # fmt: skip


# Ratios reported: (name, numerator scenario, denominator scenario, metric, target, better).
# Against the bare frameworks as context: the targets are against the limits now (LIMITS).
RATIOS: list[tuple[str, str, str, str, float | None, str]] = [
    ("GET /users/{id} vs bare Flask (throughput)", "users_get", "bare_flask_get", "rps", None,
     "higher"),
    ("GET /payments/{id} vs bare FastAPI (throughput)", "payments_get", "bare_fastapi_get",
     "rps", None, "higher"),
    ("GET /users/{id} vs bare Flask (requests per worker CPU second)", "users_get",
     "bare_flask_get", "cpu", None, "higher"),
    ("GET /payments/{id} vs bare FastAPI (requests per worker CPU second)", "payments_get",
     "bare_fastapi_get", "cpu", None, "higher"),
    # What a limit costs above the bare framework: the database, the signature, the gateway.
    ("read limit vs bare Flask (requests per worker CPU second)", "limit_users_get",
     "bare_flask_get", "cpu", None, "higher"),
    ("read limit vs bare FastAPI (requests per worker CPU second)", "limit_payments_get",
     "bare_fastapi_get", "cpu", None, "higher"),
    ("gthread: GET /users/{id} vs bare Flask (throughput)", "users_get_gthread",
     "bare_flask_get_gthread", "rps", None, "higher"),
    ("GET /users/{id}: gthread / sync workers (throughput)", "users_get_gthread", "users_get",
     "rps", None, "higher"),
    ("GET /users?limit=50 first page vs bare Flask (throughput)", "users_list_first",
     "bare_flask_get", "rps", None, "higher"),
    ("GET /users?limit=50 deep page vs bare Flask (throughput)", "users_list_deep",
     "bare_flask_get", "rps", None, "higher"),
    ("deep page / first page (p50 latency)", "users_list_deep", "users_list_first", "p50", 1.5,
     "lower"),
    ("deep page / first page (mean latency)", "users_list_deep", "users_list_first", "mean",
     None, "lower"),
    # Issue 19's growth target: the payments' last pages of BENCH_PAYMENTS (1,000,000).
    ("payments: deep page / first page (p50 latency)", "payments_list_deep",
     "payments_list_first", "p50", 1.5, "lower"),
    ("payments: deep page / first page (worker CPU per request)", "payments_list_first",
     "payments_list_deep", "cpu", None, "lower"),
    # ... and the webhook acknowledgement with BENCH_INBOX_EVENTS stored events (bench.growth).
    ("webhooks: full inbox / empty inbox (worker CPU per request)", GROWTH_EMPTY, GROWTH_FULL,
     "cpu", 1.2, "lower"),
    ("webhooks: full inbox / empty inbox (p50 latency)", GROWTH_FULL, GROWTH_EMPTY, "p50", None,
     "lower"),
    ("checkout / sandbox call alone (p50 latency)", "checkout", "sandbox_session", "p50", None,
     "lower"),
    ("checkout / sandbox call alone (mean latency)", "checkout", "sandbox_session", "mean", None,
     "lower"),
    ("checkout / gateway call alone, realistic gateway latency (p50)", "checkout_slow",
     "sandbox_session_slow", "p50", 1.5, "lower"),
]  # fmt: skip


@dataclass(frozen=True)
class LimitPair:
    """A service path against its limit (issue 19): the ratio path / limit in throughput and in
    requests per worker CPU second (= the limit's CPU per request / the path's), per round.
    `target` (at least) applies to the metrics in `on`; `p99_ms` bounds the path's own p99."""

    title: str
    path: str  # the service's scenario
    limit: str  # the limit's scenario (GET /healthz: the bare framework)
    target: float
    on: tuple[str, ...] = ("rps", "cpu")
    p99_ms: float | None = None


LIMITS: list[LimitPair] = [
    LimitPair("GET /payments/{id} / read limit (bare FastAPI)", "payments_get",
              "limit_payments_get", 0.6, p99_ms=50.0),
    LimitPair("GET /users/{id} / read limit (bare Flask)", "users_get", "limit_users_get", 0.6,
              p99_ms=50.0),
    LimitPair("payment service GET /healthz / bare FastAPI", "payments_health",
              "bare_fastapi_get", 0.7),
    LimitPair("user service GET /healthz / bare Flask", "users_health", "bare_flask_get", 0.7),
    LimitPair("POST /webhooks/stripe, distinct / webhook limit", "webhook_distinct",
              "limit_webhook_distinct", 0.5, p99_ms=100.0),
    LimitPair("POST /webhooks/stripe, duplicates / webhook limit", "webhook_duplicate",
              "limit_webhook_duplicate", 0.5, p99_ms=100.0),
    LimitPair("POST /checkout-sessions / checkout limit", "checkout", "limit_checkout", 0.5,
              on=("cpu",)),
    LimitPair("POST /checkout-sessions / checkout limit, realistic gateway latency",
              "checkout_slow", "limit_checkout_slow", 0.5, on=("cpu",)),
]  # fmt: skip
