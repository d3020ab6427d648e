"""Generate the SDKs in clients/ from specs/ with openapi-python-client, or check they are fresh.

`python -m devstack.clients generate` regenerates every client in place (`make clients`);
`python -m devstack.clients check` regenerates into a temporary folder and reports any
difference from the committed client (the client-freshness gate of `make test`).
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS_DIR = ROOT / "clients"
IGNORED = {".ruff_cache", "__pycache__", ".mypy_cache"}


@dataclass(frozen=True)
class ClientSpec:
    spec: Path
    package_dir: Path  # clients/<name>
    config: Path  # clients/<name>.config.yaml (committed)


CLIENTS = [
    ClientSpec(
        ROOT / "specs" / f"{name}.yaml",
        CLIENTS_DIR / f"{name}_client",
        CLIENTS_DIR / f"{name}_client.config.yaml",
    )
    for name in ("user_management", "payment_api")
]


def available() -> list[ClientSpec]:
    return [c for c in CLIENTS if c.spec.exists() and c.config.exists()]


def generate(client: ClientSpec, output: Path) -> None:
    """Run openapi-python-client; ruff (pinned) formats the result via its post hooks."""
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(client.spec),
            "--output-path",
            str(output),
            "--config",
            str(client.config),
            "--meta",
            "setup",
            "--overwrite",
            "--fail-on-warning",
        ],
        check=True,
        cwd=ROOT,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    for junk in IGNORED:
        for path in output.rglob(junk):
            shutil.rmtree(path, ignore_errors=True)


def differences(left: Path, right: Path) -> list[str]:
    """Relative paths that differ between two client trees (recursive, contents compared)."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        out.extend(prefix + n for n in cmp.left_only + cmp.right_only if n not in IGNORED)
        out.extend(prefix + n for n in cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            if name not in IGNORED:
                walk(sub, f"{prefix}{name}/")

    cmp = filecmp.dircmp(left, right, ignore=list(IGNORED))
    walk(cmp, "")
    return sorted(out)


def stale_clients() -> dict[str, list[str]]:
    """Map client name -> differing files, for every client whose committed copy is stale."""
    stale: dict[str, list[str]] = {}
    for client in available():
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / client.package_dir.name
            generate(client, fresh)
            if not client.package_dir.exists():
                stale[client.package_dir.name] = ["<missing>"]
                continue
            diff = differences(client.package_dir, fresh)
            if diff:
                stale[client.package_dir.name] = diff
    return stale


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "generate"
    if command == "generate":
        only = set(argv[1:])  # e.g. `generate user_management` regenerates that client alone
        for client in available():
            if only and client.spec.stem not in only:
                continue
            generate(client, client.package_dir)
            print(f"generated {client.package_dir.relative_to(ROOT)} from {client.spec.name}")
        return 0
    if command == "check":
        stale = stale_clients()
        for name, files in stale.items():
            print(f"{name} is stale (run `make clients`): {', '.join(files)}")
        return 1 if stale else 0
    print(f"usage: python -m devstack.clients [generate [name...]|check], not {command!r}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
