"""The domain layers import no framework, ORM, driver or SDK, and none of their own adapters.

An AST walk over every module of `payment_api/domain` and `user_management_service/domain`
(every import, TYPE_CHECKING ones too; relative imports resolved). docs/architecture.md says
what each layer may use.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = (
    "sqlalchemy", "stripe", "fastapi", "starlette", "flask", "flask_smorest", "marshmallow",
    "httpx", "psycopg", "pyotp", "jwt", "argon2",
    "service_kit",  # the services' shared infrastructure (engine, logs, metrics): an adapter
)  # fmt: skip
# The outer layers of each service: adapters, web, wiring.
ADAPTERS = {
    "payment_api": (
        "payment_api.db", "payment_api.gateways", "payment_api.api", "payment_api.views",
        "payment_api.container", "payment_api.main", "payment_api.migrations",
    ),
    "user_management_service": (
        "user_management_service.db", "user_management_service.api",
        "user_management_service.adapters", "user_management_service.container",
        "user_management_service.app", "user_management_service.wsgi",
        "user_management_service.migrations",
    ),
}  # fmt: skip
# Modules known to break the rule, each with the import it may still make. Empty for now; a
# user-service module listed here is being fixed in the user-service rewiring.
ALLOWED: dict[str, set[str]] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str) -> set[str]:
    """Every module that `path`, the module `name`, imports (absolute names)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def violations(path: Path, service: str, name: str | None = None) -> set[str]:
    banned = (*FORBIDDEN, *ADAPTERS[service])
    return {
        imported
        for imported in imports(path, name or module_name(path))
        if any(imported == b or imported.startswith(f"{b}.") for b in banned)
    }


def domain_modules() -> list[tuple[str, Path]]:
    return [
        (service, path)
        for service in ADAPTERS
        for path in sorted((ROOT / service / "domain").rglob("*.py"))
    ]


@pytest.mark.parametrize(
    ("service", "path"), domain_modules(), ids=[module_name(p) for _, p in domain_modules()]
)
def test_domain_module_imports_no_framework_and_no_adapter(service: str, path: Path) -> None:
    found = violations(path, service) - ALLOWED.get(module_name(path), set())
    assert not found, f"{module_name(path)} imports {sorted(found)}"


def test_both_domains_are_walked() -> None:
    walked = {module_name(p) for _, p in domain_modules()}
    assert {"payment_api.domain.ports", "user_management_service.domain.users"} <= walked


def test_the_walk_catches_every_form_of_import(tmp_path: Path) -> None:
    source = (
        "from __future__ import annotations\n"
        "import stripe\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sqlalchemy.orm import Session\n"
        "def f() -> None:\n"
        "    import httpx\n"
        "from ..db import models\n"
        "from payment_api.gateways.payment_gateway import StripeGateway\n"
        "from . import money\n"
    )
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    found = violations(probe, "payment_api", "payment_api.domain.probe")
    assert {"stripe", "sqlalchemy.orm", "httpx", "payment_api.db.models"} <= found
    assert "payment_api.gateways.payment_gateway" in found
    assert not any(name.startswith("payment_api.domain") for name in found)
