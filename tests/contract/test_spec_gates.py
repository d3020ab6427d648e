"""Gates on the contracts themselves: valid, linted, shared error shape, fresh clients,
no unannounced breaking change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from devstack import breaking, clients
from tests.contract import spec_rules

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


@pytest.fixture(params=SPECS, ids=[s.stem for s in SPECS])
def spec_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_spec_is_valid_openapi_3_1(spec_path: Path) -> None:
    spec = load(spec_path)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


@pytest.mark.parametrize("rule", spec_rules.RULES, ids=lambda r: r.__name__)
def test_spec_follows_lint_rule(spec_path: Path, rule: Any) -> None:
    assert rule(load(spec_path)) == []


def test_spec_carries_the_shared_problem_schema_verbatim(spec_path: Path) -> None:
    shared = load(ROOT / "specs" / "common" / "problem.yaml")
    schemas = load(spec_path)["components"]["schemas"]
    assert {name: schemas.get(name) for name in shared} == shared


def test_spec_has_no_breaking_change_against_its_last_release(spec_path: Path) -> None:
    assert breaking.last_release(spec_path) is not None, (
        "release it: python -m devstack.breaking release"
    )
    assert breaking.check(spec_path) == []


def test_committed_clients_match_a_fresh_generation() -> None:
    assert clients.available(), "no client configured"
    assert clients.stale_clients() == {}, "run `make clients` and commit the result"


def test_every_scope_a_service_checks_can_be_granted_to_an_api_client() -> None:
    """The user service grants the scopes (ApiClientCreate.scopes); each service declares the
    ones it checks under OAuth2ClientCredentials. A scope checked but not grantable could never
    be held; one grantable but checked nowhere would be a promise nothing keeps."""
    users = load(ROOT / "specs" / "user_management.yaml")
    grantable = set(users["components"]["schemas"]["ApiClientCreate"]["properties"]["scopes"]
                    ["items"]["enum"])  # fmt: skip
    checked: set[str] = set()
    for path in SPECS:
        spec = load(path)
        for _, _, operation in spec_rules.operations(spec):
            for requirement in operation.get("security") or []:
                checked.update(requirement.get("OAuth2ClientCredentials", []))
        flows = spec["components"]["securitySchemes"]["OAuth2ClientCredentials"]["flows"]
        assert set(flows["clientCredentials"]["scopes"]) <= grantable, path.name
    assert checked == grantable
