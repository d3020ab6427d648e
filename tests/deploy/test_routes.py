"""Every path of both contracts reaches its service through the compose proxy and through the
Kubernetes Ingress: a new operation cannot be served locally yet 404 behind the proxy. The
web frontend, whose pages share paths with the payment service, has a listener of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = {"user_service": "user_management.yaml", "payment_service": "payment_api.yaml"}
INGRESS_NAMES = {"user_service": "user-service", "payment_service": "payment-service"}
# Served by the service but deliberately not routed: probes and docs live under a prefix.
UNROUTED = {"/healthz", "/readyz"}


def spec_paths(service: str) -> list[str]:
    spec = yaml.safe_load((ROOT / "specs" / SPECS[service]).read_text("utf-8"))
    return [p for p in spec["paths"] if p not in UNROUTED]


NGINX_CONF = ROOT / "deploy" / "proxy" / "nginx.conf"
PROXIED = re.compile(r"location (/[^\s{]*) \{ proxy_pass http://(\w+); \}")


def nginx_prefixes(upstream: str) -> list[str]:
    found = PROXIED.findall(NGINX_CONF.read_text("utf-8"))
    return [prefix for prefix, target in found if target == upstream]


def ingress_prefixes(service_name: str) -> list[str]:
    ingress = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / "ingress.yaml").read_text("utf-8"))
    return [
        path["path"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
        if path["backend"]["service"]["name"] == service_name
    ]


def covered(path: str, prefixes: list[str], *, segments: bool) -> bool:
    """nginx prefixes match characters; Ingress `Prefix` paths match whole path segments."""
    if segments:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)
    return any(path.startswith(p) for p in prefixes)


@pytest.mark.parametrize("service", sorted(SPECS))
def test_every_contract_path_is_routed_by_the_compose_proxy(service: str) -> None:
    prefixes = nginx_prefixes(service)
    assert prefixes
    missing = [p for p in spec_paths(service) if not covered(p, prefixes, segments=False)]
    assert missing == []


@pytest.mark.parametrize("service", sorted(SPECS))
def test_every_contract_path_is_routed_by_the_ingress(service: str) -> None:
    prefixes = ingress_prefixes(INGRESS_NAMES[service])
    assert prefixes
    missing = [p for p in spec_paths(service) if not covered(p, prefixes, segments=True)]
    assert missing == []


def web_paths() -> list[str]:
    from web.routes import account, console, console_webhooks, shop

    routers = (shop, account, console, console_webhooks)
    return [str(getattr(route, "path", "")) for r in routers for route in r.router.routes]


def test_the_web_has_a_listener_of_its_own_that_sends_it_every_path() -> None:
    """On the APIs' listener the web's /products/{id} and /checkout pages would reach the
    payment service; on its own listener (PROXY_WEB_LISTEN) every path goes to the web."""
    api = nginx_prefixes("user_service") + nginx_prefixes("payment_service")
    colliding = [p for p in web_paths() if covered(p, api, segments=False)]
    assert "/checkout" in colliding
    assert "/products/{product_id}" in colliding
    servers = NGINX_CONF.read_text("utf-8").split("\n    server {")[1:]
    [web] = [block for block in servers if "web-listen.conf" in block]
    assert PROXIED.findall(web) == [("/", "web")]
