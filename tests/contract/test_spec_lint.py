"""Spectral (spectral:oas + the OWASP API Security ruleset, decided rule by rule in
tools/speclint/.spectral.yaml) finds nothing in either spec, and its rules really fire.

Spectral runs on Node: `npm ci` in tools/speclint installs the pinned versions when npm is
there. Without Node the tests skip with a message; under CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tools" / "speclint"
SPECTRAL = LINT / "node_modules" / ".bin" / "spectral"
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


@pytest.fixture(scope="module")
def spectral() -> Path:
    if not SPECTRAL.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=LINT,
            check=True,
            capture_output=True,
        )
    if not SPECTRAL.exists():
        message = "Spectral needs Node.js and npm (npm ci in tools/speclint); not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SPECTRAL


def lint(ruleset_dir: Path, spec: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(SPECTRAL), "lint", str(spec), "--ruleset", str(ruleset_dir / ".spectral.yaml"),
         "--format", "json", "--quiet"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_spectral_finds_nothing_in_the_spec(spectral: Path, spec: Path) -> None:
    findings = [
        f"{f['code']} at {'/'.join(map(str, f['path']))}: {f['message']}" for f in lint(LINT, spec)
    ]
    assert findings == []


def unbounded_name(spec: dict[str, Any]) -> None:
    del spec["components"]["schemas"]["UserCreate"]["properties"]["full_name"]["maxLength"]


def unbounded_limit(spec: dict[str, Any]) -> None:
    del spec["paths"]["/users"]["get"]["parameters"][0]["schema"]["maximum"]


def snake_case_operation(spec: dict[str, Any]) -> None:
    spec["paths"]["/users"]["post"]["operationId"] = "create_user"


def no_summary(spec: dict[str, Any]) -> None:
    del spec["paths"]["/users"]["post"]["summary"]


def undeclared_401(spec: dict[str, Any]) -> None:
    del spec["paths"]["/users"]["get"]["responses"]["401"]


def public_write(spec: dict[str, Any]) -> None:
    spec["paths"]["/users/{user_id}"]["patch"]["security"] = []


VIOLATIONS: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (unbounded_name, "input-bounds"),
    (unbounded_limit, "input-bounds"),
    (snake_case_operation, "operation-id-camel-case"),
    (no_summary, "operation-summary-present"),
    (undeclared_401, "owasp:api8:2023-define-error-responses-401"),
    (public_write, "owasp:api2:2023-write-restricted"),
]


def test_spectral_flags_each_kind_of_violation(spectral: Path, tmp_path: Path) -> None:
    """One lint of a user spec broken in six ways (one run: Spectral takes seconds to start)."""
    spec = yaml.safe_load((ROOT / "specs" / "user_management.yaml").read_text())
    for mutate, _ in VIOLATIONS:
        mutate(spec)
    # The same layout as the repository's, so the ruleset's per-file overrides still apply.
    lint_copy = tmp_path / "tools" / "speclint"
    shutil.copytree(LINT, lint_copy, ignore=shutil.ignore_patterns("node_modules"))
    (lint_copy / "node_modules").symlink_to(LINT / "node_modules")
    (tmp_path / "specs").mkdir()
    mutated = tmp_path / "specs" / "user_management.yaml"
    mutated.write_text(yaml.safe_dump(spec, sort_keys=False))
    found = {(f["code"], "/".join(map(str, f["path"]))) for f in lint(lint_copy, mutated)}
    codes = {code for code, _ in found}
    assert {rule for _, rule in VIOLATIONS} <= codes
    assert len([p for code, p in found if code == "input-bounds"]) == 2
