"""The compose stack of compose.yaml, run for the container test.

On the host network (most checks), two steps turn compose.yaml into what runs here, and
nothing else changes:
- `ports:` are dropped: Compose v1 refuses port publishing with `network_mode: host`, and an
  override file cannot remove a list (it would append), so the test runs a copy of
  compose.yaml without them (written under build/, run with the repository as project
  directory so every relative path still means what it means in compose.yaml);
- deploy/compose.test.yaml puts every container on the host network with one free port per
  replica, so test traffic stays on 127.0.0.1.
On Docker's bridge network (`host_network=False`), compose.yaml runs exactly as written: the
proxy and the sandbox published on free ports, every other address a compose service name.
Settings come from .env.example with the test's values over it: every name the test sets
must already be in .env.example.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from devstack.processes import ROOT, free_port

BUILD = ROOT / "build" / "container-test"
PORT_NAMES = (
    "POSTGRES", "USER_1", "USER_2", "PAYMENT_1", "PAYMENT_2", "WORKER_1", "WORKER_2", "WEB_1",
    "WEB_2", "PROXY", "PROXY_WEB", "SANDBOX", "USER_WORKER_1", "USER_WORKER_2", "MAIL_SINK",
    "SMTP",
)  # fmt: skip


def compose_command() -> list[str]:
    """Compose v1 (Debian's docker-compose, what runs here) or else v2's `docker compose`."""
    return ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]


def without_ports(compose_file: Path, out: Path) -> Path:
    """compose.yaml without `ports:` (anchors resolved; the x- fragments are not needed)."""
    document: dict[str, Any] = yaml.safe_load(compose_file.read_text("utf-8"))
    for service in document["services"].values():
        service.pop("ports", None)
    document = {k: v for k, v in document.items() if not k.startswith("x-")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return out


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value
    return values


@dataclass
class ComposeStack:
    project: str
    env_file: Path
    files: list[Path]
    ports: dict[str, int]
    settings: dict[str, str] = field(default_factory=dict)
    # service -> container id; `compose up` may recreate containers, so it forgets them
    _ids: dict[str, str] = field(default_factory=dict, repr=False)

    # --- running compose and docker -------------------------------------------------------
    def compose_argv(self, *args: str) -> list[str]:
        return [
            *compose_command(),
            "--project-name", self.project,
            "--project-directory", str(ROOT),
            "--env-file", str(self.env_file),
            *[arg for f in self.files for arg in ("-f", str(f))],
            "--profile", "dev",
            *args,
        ]  # fmt: skip

    def compose(
        self, *args: str, timeout: float = 300, check: bool = True, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        if args[:1] == ("up",):
            self._ids.clear()
        argv = self.compose_argv(*args)
        done = subprocess.run(argv, capture_output=True, timeout=timeout, input=stdin, check=False)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {done.returncode}:\n{done.stderr.decode()[-3000:]}"
            )
        return done

    def exec(self, service: str, *argv: str, stdin: bytes | None = None) -> bytes:
        return self.compose("exec", "-T", service, *argv, stdin=stdin).stdout

    def container(self, service: str) -> str:
        if service not in self._ids:
            self._ids[service] = self.compose("ps", "-q", service).stdout.decode().strip()
        return self._ids[service]

    def forget_containers(self) -> None:
        """After `down`: the next lookups find the new containers."""
        self._ids.clear()

    def inspect(self, service: str) -> dict[str, Any]:
        out = subprocess.run(
            ["docker", "inspect", self.container(service)],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        found: dict[str, Any] = json.loads(out)[0]
        return found

    def logs(self, service: str) -> str:
        done = subprocess.run(
            ["docker", "logs", self.container(service)], capture_output=True, check=True
        )
        return (done.stdout + done.stderr).decode("utf-8", "replace")

    def json_logs(self, service: str) -> list[dict[str, Any]]:
        lines = []
        for line in self.logs(service).splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def psql(self, database: str, query: str) -> list[str]:
        out = self.exec("postgres", "psql", "-U", "platform", "-d", database, "-tAc", query)
        return [line for line in out.decode().splitlines() if line]

    # --- addresses -------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def proxy(self) -> str:
        return self.url("PROXY")

    @property
    def web(self) -> str:
        """The web frontend: the proxy's second listener."""
        return self.url("PROXY_WEB")

    @property
    def sandbox(self) -> str:
        return self.url("SANDBOX")

    @property
    def users(self) -> list[str]:
        return [self.url("USER_1"), self.url("USER_2")]

    @property
    def payments(self) -> list[str]:
        return [self.url("PAYMENT_1"), self.url("PAYMENT_2")]

    @property
    def webs(self) -> list[str]:
        return [self.url("WEB_1"), self.url("WEB_2")]

    # --- life cycle ------------------------------------------------------------------------
    def up(self, timeout: float = 420) -> None:
        """Start everything; compose itself waits for each depends_on condition (PostgreSQL
        healthy, migrations completed, replicas healthy before the proxy)."""
        self.compose("up", "-d", "--no-build", timeout=timeout)
        deadline = time.monotonic() + 60
        wanted = [f"{self.proxy}/healthz", f"{self.proxy}/user-service/readyz"]
        wanted += [f"{self.proxy}/payment-service/readyz", f"{self.sandbox}/healthz"]
        wanted += [f"{self.web}/healthz"]
        while True:
            try:
                if all(httpx.get(u, timeout=5).status_code == 200 for u in wanted):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the stack did not become ready: {wanted}")
            time.sleep(0.5)

    def save_logs(self, services: Sequence[str]) -> Path:
        out = BUILD / f"logs-{self.project}"
        out.mkdir(parents=True, exist_ok=True)
        for service in services:
            try:
                (out / f"{service}.log").write_text(self.logs(service), "utf-8")
            except (subprocess.CalledProcessError, AssertionError):
                continue
        return out

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10", check=False)


def make_stack(
    project: str, images: dict[str, str], settings: dict[str, str], *, host_network: bool = True
) -> ComposeStack:
    """A stack on free loopback ports; `settings` are .env names with the test's values."""
    example = read_env_file(ROOT / ".env.example")
    unknown = sorted(set(settings) - set(example))
    assert not unknown, f".env.example lacks {unknown}"
    password = settings["POSTGRES_PASSWORD"]
    values = {
        **example,
        "COMPOSE_PROJECT_NAME": project,
        "PLATFORM_IMAGE": images["platform"],
        "PROXY_IMAGE": images["proxy"],
        "POSTGRES_IMAGE": images["postgres"],
    }
    if host_network:
        ports = {name: free_port() for name in PORT_NAMES}
        db = f"postgresql://platform:{password}@127.0.0.1:{ports['POSTGRES']}"
        proxy = f"http://127.0.0.1:{ports['PROXY']}"
        values |= {
            "USER_SERVICE_URL": proxy,
            "WEB_USER_SERVICE_URL": proxy,
            "WEB_PAYMENT_SERVICE_URL": proxy,
            "STRIPE_API_BASE": f"http://127.0.0.1:{ports['SANDBOX']}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(ports["SMTP"]),
        }
        values.update({f"TEST_{name}_PORT": str(port) for name, port in ports.items()})
    else:  # the published ports; inside, the service names of compose.yaml
        ports = {"PROXY": free_port(), "PROXY_WEB": free_port(), "SANDBOX": free_port()}
        db = f"postgresql://platform:{password}@postgres:5432"
        values |= {
            "HTTP_PORT": str(ports["PROXY"]),
            "WEB_HTTP_PORT": str(ports["PROXY_WEB"]),
            "SANDBOX_PORT": str(ports["SANDBOX"]),
            "STRIPE_API_BASE": "http://stripe-sandbox:12111",
        }
    values |= {
        "USERS_DATABASE_URL": f"{db}/users",
        "PAYMENTS_DATABASE_URL": f"{db}/payments",
        "WEB_DATABASE_URL": f"{db}/web",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['PROXY']}",
        # The hosted page sends shoppers back to the web, and the web sends them only there.
        "WEB_PUBLIC_URL": f"http://127.0.0.1:{ports['PROXY_WEB']}",
        "ACCOUNT_LINKS_URL": f"http://127.0.0.1:{ports['PROXY_WEB']}/account",
        "ALLOWED_REDIRECT_ORIGINS": f"http://127.0.0.1:{ports['PROXY_WEB']}",
        "WEB_HOSTED_CHECKOUT_ORIGINS": f"http://127.0.0.1:{ports['SANDBOX']}",
        "SANDBOX_PUBLIC_URL": f"http://127.0.0.1:{ports['SANDBOX']}",
        # The merchant endpoints the tests and the walkthrough register are on this machine,
        # over plain HTTP (as under `make run`); a real deployment keeps both false.
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        **settings,
    }
    BUILD.mkdir(parents=True, exist_ok=True)
    env_file = BUILD / f"{project}.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), "utf-8")
    env_file.chmod(0o600)
    if host_network:
        files = [
            without_ports(ROOT / "compose.yaml", BUILD / f"{project}.compose.yaml"),
            ROOT / "deploy" / "compose.test.yaml",
        ]
    else:
        files = [ROOT / "compose.yaml"]
    return ComposeStack(project, env_file, files, ports, values)
