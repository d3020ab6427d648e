"""`python -m deploy.wheelhouse [DIR]`: download the image's pinned wheels on the host.

pip inside `docker build` cannot reach PyPI here (TLS interception the build does not trust),
and installing from a local folder is the reproducible way anyway: the Dockerfile runs
`pip install --no-index --find-links` on what this puts in build/image/wheelhouse. Wheels are
chosen for the image (CPython 3.11, glibc manylinux up to Debian bookworm's 2.36, the host's
CPU architecture), not for the host's own Python, and every one must be pinned by
requirements.txt.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "deploy" / "requirements-runtime.in"
LOCK = ROOT / "requirements.txt"
DEFAULT_DIR = ROOT / "build" / "image" / "wheelhouse"
PYTHON_VERSION = "3.11"  # the image's Python (Debian bookworm's python3, python:3.11-slim)
GLIBC_MINORS = range(36, 16, -1)  # manylinux_2_36 (bookworm) down to manylinux_2_17


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path = LOCK) -> dict[str, str]:
    """Name -> version of every `name==version` line of the lock file."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[canonical(name.split("[", 1)[0])] = version.strip()
    return found


def wheel_pin(filename: str) -> tuple[str, str]:
    """(name, version) of a wheel file name (PEP 427: name-version-...)."""
    name, version = filename.split("-")[:2]
    return canonical(name), version


def unpinned(directory: Path, lock: Path = LOCK) -> list[str]:
    """Wheels in `directory` whose version is not the one requirements.txt pins."""
    pinned = pins(lock)
    return sorted(
        wheel.name
        for wheel in directory.glob("*.whl")
        if pinned.get(wheel_pin(wheel.name)[0]) != wheel_pin(wheel.name)[1]
    )


def download_argv(directory: Path, machine: str) -> list[str]:
    platforms = [arg for m in GLIBC_MINORS for arg in ("--platform", f"manylinux_2_{m}_{machine}")]
    return [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--dest", str(directory),
        "--only-binary=:all:", *platforms,
        "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "-r", str(RUNTIME), "-c", str(LOCK),
    ]  # fmt: skip


def build(directory: Path = DEFAULT_DIR) -> int:
    if directory.exists():
        shutil.rmtree(directory)  # no wheel of an older lock may linger
    directory.mkdir(parents=True)
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine(), platform.machine())
    subprocess.run(download_argv(directory, machine), check=True)
    if stray := unpinned(directory):
        print(f"not pinned by requirements.txt: {', '.join(stray)}", file=sys.stderr)
        return 1
    count = len(list(directory.glob("*.whl")))
    print(f"wheelhouse: {count} wheels in {directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(build(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT_DIR))
