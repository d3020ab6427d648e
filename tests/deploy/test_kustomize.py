"""The Kubernetes base, rendered by `kubectl kustomize` (offline, no cluster) and held to the
platform's invariants: probes, secrets only by reference, migrations before the APIs and the
web, non-root containers, one image tag, an autoscaler and a disruption budget per API and for
the web, the same public routes as the compose proxy, and the web on a host of its own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
APIS = {"user-service", "payment-service"}
WEB = "web"
# Deployment -> (its migrate target, the variable of its own database URL)
DATABASES = {
    "user-service": ("users", "DATABASE_URL"),
    "payment-service": ("payments", "DATABASE_URL"),
    "payment-worker": ("payments", "DATABASE_URL"),
    "user-worker": ("users", "DATABASE_URL"),
    WEB: ("web", "WEB_DATABASE_URL"),
}
# The migration Job's variable per target (deploy/role.py MIGRATIONS)
MIGRATE_VARIABLES = {
    "users": "USERS_DATABASE_URL",
    "payments": "PAYMENTS_DATABASE_URL",
    "web": "WEB_DATABASE_URL",
}
# Settings whose values are secrets: they may only come from a Secret.
SECRET_NAMES = re.compile(
    r"DATABASE_URL|STRIPE_API_KEY|STRIPE_WEBHOOK_SECRETS|PASSWORD|SECRET|SMTP_USERNAME"
)

Doc = dict[str, Any]


@cache
def rendered() -> tuple[Doc, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        message = "kubectl is not installed (kubectl 1.32+ renders the base offline)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true needs it")
        pytest.skip(message)
    out = subprocess.run(
        [kubectl, "kustomize", str(BASE)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def of_kind(kind: str) -> list[Doc]:
    return [doc for doc in rendered() if doc["kind"] == kind]


def by_name(kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in of_kind(kind)}


def pod_specs() -> Iterator[tuple[str, Doc]]:
    """(owner, pod spec) of every workload: Deployments, Jobs and CronJobs."""
    for doc in rendered():
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] in ("Deployment", "Job"):
            yield name, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            yield name, doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def containers(spec: Doc) -> list[Doc]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def api_container(name: str) -> Doc:
    spec = by_name("Deployment")[name]["spec"]["template"]["spec"]
    found: Doc = next(c for c in spec["containers"] if c["name"] == name)
    return found


def test_every_api_container_has_readiness_liveness_and_startup_probes() -> None:
    assert set(by_name("Deployment")) >= APIS
    for name in APIS:
        container = api_container(name)
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert {"name": "http", "containerPort": 8080} in container["ports"]
        assert container["args"] == [name]  # the role is the command (deploy/role.py)


def test_the_web_container_has_its_probes_on_healthz() -> None:
    """The web has no /readyz: with an API down it serves its own 503 page, so it stays ready."""
    container = api_container(WEB)
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    assert {"name": "http", "containerPort": 8080} in container["ports"]
    assert container["args"] == [WEB]


def test_no_secret_value_is_inline_every_secret_comes_from_a_secret_ref() -> None:
    assert of_kind("Secret") == [], "the base must not carry Secret objects"
    for owner, spec in pod_specs():
        for container in containers(spec):
            for variable in container.get("env", []):
                where = f"{owner}/{container['name']}: {variable['name']}"
                if SECRET_NAMES.search(variable["name"]):
                    assert "value" not in variable, where
                    assert variable["valueFrom"]["secretKeyRef"]["name"] == "platform-secrets"
                else:
                    assert "value" in variable or "valueFrom" in variable, where
    for config in of_kind("ConfigMap"):
        for key in config.get("data", {}):
            assert not SECRET_NAMES.search(key), f"{config['metadata']['name']}: {key}"


def env_source(container: Doc, variable: str) -> Any:
    return next(v["valueFrom"] for v in container["env"] if v["name"] == variable)


def test_migrations_run_in_a_job_and_each_api_and_the_web_wait_for_them() -> None:
    jobs = by_name("Job")
    migrate = jobs["platform-migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert migrate["args"] == ["migrate"]
    assert {v["name"] for v in migrate["env"]} == set(MIGRATE_VARIABLES.values())
    for name, (target, variable) in DATABASES.items():
        spec = by_name("Deployment")[name]["spec"]["template"]["spec"]
        [wait] = spec["initContainers"]
        assert wait["args"] == ["wait-migrations", target]
        assert wait["env"][0]["name"] == "DATABASE_URL"
        # the same database as the Job migrates and as the container itself uses
        source = wait["env"][0]["valueFrom"]
        assert env_source(api_container(name), variable) == source
        assert env_source(migrate, MIGRATE_VARIABLES[target]) == source


def test_every_container_is_non_root_without_privilege_escalation_on_a_read_only_root() -> None:
    seen = 0
    for owner, spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True, owner
        assert spec["securityContext"]["runAsUser"] != 0, owner
        assert spec.get("automountServiceAccountToken") is False, owner
        for container in containers(spec):
            where = f"{owner}/{container['name']}"
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            # read-only root: /tmp (metrics folder, gunicorn heartbeats) is an emptyDir
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]  # noqa: S108
            assert tmp, where
            assert container["resources"]["requests"], where
            assert container["resources"]["limits"]["memory"], where
            seen += 1
    assert seen >= 10


def test_the_image_is_set_in_one_place() -> None:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text("utf-8"))
    [entry] = kustomization["images"]
    expected = f"{entry['newName']}:{entry['newTag']}"
    used = {c["image"] for _, spec in pod_specs() for c in containers(spec)}
    assert used == {expected}
    for manifest in BASE.glob("*.yaml"):  # the manifests name the image, never a tag
        for line in manifest.read_text("utf-8").splitlines():
            if line.strip().startswith("image:"):
                assert line.split(":", 1)[1].strip() == entry["name"], f"{manifest.name}: {line}"


def test_each_api_and_the_web_have_a_service_an_autoscaler_and_a_disruption_budget() -> None:
    services, hpas, pdbs = (
        by_name("Service"),
        by_name("HorizontalPodAutoscaler"),
        by_name("PodDisruptionBudget"),
    )
    for name in sorted(APIS | {WEB}):
        deployment = by_name("Deployment")[name]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["replicas"] >= 2
        assert services[name]["spec"]["selector"].items() <= pod_labels.items()
        assert hpas[name]["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpas[name]["spec"]["minReplicas"] >= 2
        assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert pdbs[name]["spec"]["minAvailable"] >= 1


def test_the_user_service_replicas_share_one_read_write_many_keys_volume() -> None:
    spec = by_name("Deployment")["user-service"]["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in api_container("user-service")["volumeMounts"]}
    config = next(c for c in of_kind("ConfigMap") if "JWT_KEYS_DIR" in c.get("data", {}))
    assert mounts["jwt-keys"] == config["data"]["JWT_KEYS_DIR"]
    volume = next(v for v in spec["volumes"] if v["name"] == "jwt-keys")
    claim = by_name("PersistentVolumeClaim")[volume["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert spec["securityContext"]["fsGroup"] == spec["securityContext"]["runAsGroup"]


def nginx_routes() -> dict[str, str]:
    """Path prefix -> service of deploy/proxy/nginx.conf's public locations."""
    text = (ROOT / "deploy" / "proxy" / "nginx.conf").read_text("utf-8")
    found = re.findall(r"location (/[\w./-]+?)/? \{ proxy_pass http://(\w+);", text)
    return {path: upstream.replace("_", "-") for path, upstream in found}


def test_the_ingress_routes_what_the_compose_proxy_routes() -> None:
    assert set(by_name("Ingress")) == {"platform", WEB}
    ingress = by_name("Ingress")["platform"]
    routes = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    services = by_name("Service")
    for path in routes.values():
        assert path in services
    # Kubernetes' Prefix matches whole path segments: /checkout-sessions needs its own entry.
    expected = {**nginx_routes(), "/checkout-sessions": "payment-service"}
    assert routes == expected


def config(name: str) -> dict[str, str]:
    """A generated ConfigMap by its base name (kustomize appends a hash)."""
    found: dict[str, str] = next(
        c["data"] for c in of_kind("ConfigMap") if c["metadata"]["name"].startswith(f"{name}-")
    )
    return found


def test_the_web_has_a_host_of_its_own_that_checkout_may_return_to() -> None:
    """Its pages share paths with the payment service (/products, /checkout): the web gets
    every path of its own host, with pod affinity by cookie (a session's token refreshes in
    one process); the hosted checkout may send shoppers back to that host."""
    platform, web = by_name("Ingress")["platform"], by_name("Ingress")[WEB]
    [rule] = web["spec"]["rules"]
    assert rule["host"] not in {r["host"] for r in platform["spec"]["rules"]}
    assert [
        (p["path"], p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]
    ] == [("/", "Prefix", WEB)]
    assert web["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    public = config("web-config")["WEB_PUBLIC_URL"]
    assert urlsplit(public).hostname == rule["host"]
    origin = f"{urlsplit(public).scheme}://{urlsplit(public).netloc}"
    assert origin in config("payment-service-config")["ALLOWED_REDIRECT_ORIGINS"].split(",")
    # the APIs through their Services, inside the cluster
    assert config("web-config")["WEB_USER_SERVICE_URL"] == "http://user-service"
    assert config("web-config")["WEB_PAYMENT_SERVICE_URL"] == "http://payment-service"
