"""Settings from the environment: an empty variable means the service's default, as compose
passes every setting (`${NAME:-}`), and `docker compose exec … python -m payment_api …` reads
that same environment."""

from __future__ import annotations

import pytest

from payment_api.settings import Settings


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORKER_HTTP_PORT", "READ_THREADS", "WEBHOOK_ALLOW_HTTP", "STRIPE_API_BASE"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.worker_http_port, settings.read_threads) == (0, 4)
    assert settings.webhook_allow_http is False
    assert settings.stripe_api_base is None
