"""`python -m deploy.images`: build the platform's images (`make image`, the container test).

  platform  ./Dockerfile           every role of the platform (python -m deploy.role ROLE)
  proxy     deploy/proxy           nginx, the only published entry
  postgres  deploy/postgres        PostgreSQL from Debian's packages, only where the official
                                   image cannot be pulled (--with-postgres)

Builds run on the host's network (`docker build --network host`): apt inside a build then
goes through whatever the host uses. The wheelhouse must exist (python -m deploy.wheelhouse).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / "build" / "image" / "wheelhouse"


@dataclass(frozen=True)
class Image:
    context: Path
    default_tag: str
    default_base: str


IMAGES = {
    "platform": Image(ROOT, "payment-platform:latest", "python:3.11-slim-bookworm"),
    "proxy": Image(
        ROOT / "deploy" / "proxy", "payment-platform-proxy:latest", "debian:bookworm-slim"
    ),
    "postgres": Image(
        ROOT / "deploy" / "postgres", "payment-platform-postgres:15", "debian:bookworm-slim"
    ),
}


def labels() -> list[str]:
    """Build arguments of the OCI labels: version, commit, build time."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {"VERSION": version, "VCS_REF": revision or "unknown", "CREATED": created}
    return [arg for key, value in values.items() for arg in ("--build-arg", f"{key}={value}")]


def build_argv(name: str, tag: str, base: str) -> list[str]:
    image = IMAGES[name]
    return [
        "docker", "build", "--quiet", "--network", "host",
        "--build-arg", f"BASE_IMAGE={base}", *labels(),
        "--tag", tag, str(image.context),
    ]  # fmt: skip


def ensure_base(base: str) -> None:
    """The base image locally, pulled if need be; a clear message where no registry answers."""

    def docker(*args: str) -> bool:
        return subprocess.run(["docker", *args], capture_output=True, check=False).returncode == 0

    if docker("image", "inspect", base) or docker("pull", "--quiet", base):
        return
    raise SystemExit(
        f"base image {base} is not here and cannot be pulled; without a registry build one "
        "from Debian's packages (deploy/base-image.sh) and pass it: make image "
        "BASE_IMAGE=local/python-base:bookworm PROXY_BASE_IMAGE=local/python-base:bookworm"
    )


def build(name: str, tag: str, base: str) -> None:
    if name == "platform" and not any(WHEELHOUSE.glob("*.whl")):
        raise SystemExit(f"no wheels in {WHEELHOUSE}: run `python -m deploy.wheelhouse` first")
    ensure_base(base)
    done = subprocess.run(build_argv(name, tag, base), capture_output=True, text=True, check=False)
    if done.returncode != 0:  # the legacy builder's deprecation notice is noise otherwise
        raise SystemExit(f"docker build of {name} failed:\n{done.stdout}{done.stderr}")


def size_mb(tag: str) -> float:
    out = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", tag],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.strip()) / 1e6


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.images", description=__doc__)
    parser.add_argument("--base", help="base image of the platform image (BASE_IMAGE)")
    parser.add_argument("--proxy-base", help="base image of the proxy (and postgres) image")
    parser.add_argument("--tag", default=IMAGES["platform"].default_tag)
    parser.add_argument("--proxy-tag", default=IMAGES["proxy"].default_tag)
    parser.add_argument("--postgres-tag", default=IMAGES["postgres"].default_tag)
    parser.add_argument("--with-postgres", action="store_true")
    args = parser.parse_args(argv)
    plan = [
        ("platform", args.tag, args.base or IMAGES["platform"].default_base),
        ("proxy", args.proxy_tag, args.proxy_base or IMAGES["proxy"].default_base),
    ]
    if args.with_postgres:
        plan.append(("postgres", args.postgres_tag, args.proxy_base or "debian:bookworm-slim"))
    for name, tag, base in plan:
        build(name, tag, base)
        print(f"built {tag} from {base}: {size_mb(tag):.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
