"""py-spy (pinned in requirements.txt) on a server's workers under load; a summary of its stacks."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*)\)$")
# Leaves of threads that wait for work: py-spy --nonblocking still samples some of them
# (anyio's thread pool waiting on its queue, an event loop in uvloop's C code, gunicorn's select).
IDLE_LEAVES = {
    "Condition.wait", "Queue.get", "Event.wait", "wait", "select", "EpollSelector.select",
    "PollSelector.select", "SelectSelector.select", "SyncWorker.wait", "Runner.run", "sleep",
    "asyncio_run",
}  # fmt: skip
# Frames every stack shares (process start, thread start, server loop): left out of the table.
PLUMBING = (
    "threading.py", "multiprocessing/", "asyncio/runners.py", "<string>", "runpy",
    "uvicorn/_subprocess.py", "uvicorn/supervisors/", "uvicorn/server.py", "uvicorn/_compat.py",
    "uvicorn/main.py", "gunicorn/arbiter.py", "gunicorn/app/", "gunicorn/__main__.py",
    "gunicorn/workers/base.py", "anyio/_backends/_asyncio.py", "click/",
)  # fmt: skip


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Start recording `pid` and its subprocesses (collapsed stacks, no line numbers).

    `--gil`: only the thread holding the GIL is sampled, so a thread pool waiting for the
    GIL (the payment service's reads) is not mistaken for work."""
    tool = py_spy()
    if tool is None:
        return None
    argv = [
        tool, "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
        "--rate", "200", "--gil", "--duration", str(max(1, round(seconds))),
        "--format", "raw", "--nolineno", "--full-filenames", "--output", str(out),
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _bucket(file: str) -> str:
    """Package a frame belongs to: site-packages/<pkg>, the project's package, or stdlib."""
    path = file.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for own in ("user_management_service", "payment_api", "stripe_sandbox", "bench"):
        if f"/{own}/" in path or path.startswith(own + "/"):
            return own
    return "stdlib/" + Path(path).stem if path.endswith(".py") else path or "?"


def summarise(raw: Path, top: int = 25) -> dict[str, Any]:
    """Self time per package and inclusive time per function, in % of the busy samples."""
    self_by_pkg: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        count = int(count_s)
        frames = []
        for part in stack.split(";"):
            m = FRAME.match(part.strip())
            if m:
                frames.append((m["func"], m["file"]))
        if not frames or frames[-1][0] in IDLE_LEAVES:
            continue
        total += count
        func, file = frames[-1]
        self_by_pkg[_bucket(file)] += count
        seen = set()
        for func, file in frames:
            short = _short(file)
            if any(p in file for p in PLUMBING):
                continue
            key = f"{func} ({short})"
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
    if not total:
        return {"samples": 0, "self_by_package": [], "inclusive": []}

    def pct(n: int) -> float:
        return round(100 * n / total, 1)

    return {
        "samples": total,
        "self_by_package": [(k, pct(v)) for k, v in self_by_pkg.most_common(top)],
        "inclusive": [(k, pct(v)) for k, v in inclusive.most_common(top * 3)],
    }


def _short(file: str) -> str:
    path = file.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    for own in ("user_management_service", "payment_api", "stripe_sandbox", "bench"):
        if f"/{own}/" in path:
            return own + "/" + path.split(f"/{own}/", 1)[1]
    return Path(path).name
