"""service_kit on its own: problem bodies, the verified-token cache, the engine's timeouts,
request metrics and the request id in log records."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from service_kit.database import make_engine
from service_kit.logs import REQUEST_ID, add_request_id
from service_kit.metrics import RequestMetrics
from service_kit.problems import problem_body, problem_types, type_and_title
from service_kit.token_cache import VerifiedTokenCache


def test_problem_types_come_from_the_shared_file_and_unknown_statuses_are_about_blank() -> None:
    slug, kind = next(iter(problem_types().items()))
    assert type_and_title(kind["status"], slug) == (f"/problems/{slug}", kind["title"])
    assert type_and_title(418) == ("about:blank", "I'm a Teapot")


def test_problem_body_leaves_out_members_given_as_none() -> None:
    body = problem_body(503, detail="down", instance="/x", request_id=None)
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    errors = problem_body(422, errors=[{"field": "body.a", "message": "m"}])["errors"]
    assert errors == [{"field": "body.a", "message": "m"}]


def test_a_cached_token_lasts_until_exp_and_only_while_its_key_is_current() -> None:
    wall = [1000.0]
    cache: VerifiedTokenCache[str] = VerifiedTokenCache(maxsize=2, clock=lambda: wall[0])
    key = object()
    keys = {"k1": key}
    cache.put("t", "principal", kid="k1", key=key, expires=1010.0)
    assert cache.get("t", keys.get) == "principal"
    wall[0] = 1011.0
    assert cache.get("t", keys.get) is None  # past `exp`
    cache.put("t", "principal", kid="k1", key=key, expires=2000.0)
    keys["k1"] = object()  # the key was reloaded or replaced: check the signature again
    assert cache.get("t", keys.get) is None
    assert cache.get("t", {"k1": key}.get) is None  # and the entry is gone


def test_the_cache_is_bounded_and_size_zero_remembers_nothing() -> None:
    key = object()
    cache: VerifiedTokenCache[int] = VerifiedTokenCache(maxsize=2)
    for n in range(3):
        cache.put(f"t{n}", n, kid="k", key=key, expires=4e9)
    assert [cache.get(f"t{n}", {"k": key}.get) for n in range(3)] == [None, 1, 2]
    off: VerifiedTokenCache[int] = VerifiedTokenCache(maxsize=0)
    off.put("t", 1, kid="k", key=key, expires=4e9)
    assert off.get("t", {"k": key}.get) is None


def test_the_sqlite_busy_timeout_is_the_database_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite3'}", timeout=2.5)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 2500
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_request_metrics_of_two_services_do_not_mix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    first, second = RequestMetrics(), RequestMetrics()
    first.observe("getUser", "GET", 200, 0.01)
    assert 'http_requests_total{method="GET",operation="getUser",status="200"} 1.0' in (
        first.render().decode()
    )
    assert "getUser" not in second.render().decode()


def test_log_records_carry_the_current_request_id() -> None:
    token = REQUEST_ID.set("req-1")
    try:
        assert add_request_id(None, "info", {"event": "x"})["request_id"] == "req-1"
        assert add_request_id(None, "info", {"request_id": "own"})["request_id"] == "own"
    finally:
        REQUEST_ID.reset(token)
    assert "request_id" not in add_request_id(None, "info", {"event": "x"})
