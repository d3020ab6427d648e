"""The image's dependencies (deploy/requirements-runtime.in) are the runtime section of
requirements.in plus the generated client's own, at exactly the versions requirements.txt
pins; the wheelhouse refuses a wheel the lock does not pin."""

from __future__ import annotations

import re
from pathlib import Path

from deploy import wheelhouse

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# development and test tools"


def names(lines: list[str]) -> set[str]:
    found = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            found.add(wheelhouse.canonical(re.split(r"[\[=<>~! ]", line, maxsplit=1)[0]))
    return found


def test_the_image_installs_the_runtime_section_of_requirements_in() -> None:
    source = (ROOT / "requirements.in").read_text("utf-8").splitlines()
    assert MARKER in source, "requirements.in no longer separates runtime from tools"
    runtime = names(source[: source.index(MARKER)])
    image = names(wheelhouse.RUNTIME.read_text("utf-8").splitlines())
    client = {"attrs", "httpx"}  # clients/user_management_client/setup.py install_requires
    assert image == runtime | client


def test_every_runtime_requirement_is_pinned() -> None:
    pinned = wheelhouse.pins()
    missing = names(wheelhouse.RUNTIME.read_text("utf-8").splitlines()) - set(pinned)
    assert not missing


def test_wheels_of_other_versions_are_refused(tmp_path: Path) -> None:
    pinned = wheelhouse.pins()
    (tmp_path / f"flask-{pinned['flask']}-py3-none-any.whl").touch()
    (tmp_path / "flask_smorest-0.0.1-py3-none-any.whl").touch()
    (tmp_path / "left_pad-1.0-py3-none-any.whl").touch()
    assert wheelhouse.unpinned(tmp_path) == [
        "flask_smorest-0.0.1-py3-none-any.whl",
        "left_pad-1.0-py3-none-any.whl",
    ]
    argv = wheelhouse.download_argv(tmp_path, "x86_64")
    assert "manylinux_2_36_x86_64" in argv
    assert "manylinux_2_17_x86_64" in argv
    assert argv[argv.index("--python-version") + 1] == "3.11"
    assert argv[argv.index("-c") + 1] == str(wheelhouse.LOCK)
