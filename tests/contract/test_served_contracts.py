"""Each running service serves its file from specs/ as written, and explains its problem types.

Only deployment addresses may differ from the file: `servers` (this server) and, in the
payment spec, the OAuth2 `tokenUrl`s (the user service this instance trusts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from devstack.processes import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_TYPES: dict[str, Any] = yaml.safe_load(
    (ROOT / "specs" / "common" / "problem-types.yaml").read_text()
)


@pytest.fixture(params=["user_management", "payment_api"])
def served(request: pytest.FixtureRequest) -> tuple[ServerProcess, dict[str, Any]]:
    fixture = "user_service" if request.param == "user_management" else "payment_service"
    server: ServerProcess = request.getfixturevalue(fixture)
    written = yaml.safe_load((ROOT / "specs" / f"{request.param}.yaml").read_text())
    return server, written


def without_addresses(document: dict[str, Any], token_url: str | None) -> dict[str, Any]:
    copy: dict[str, Any] = yaml.safe_load(yaml.safe_dump(document))
    copy.pop("servers")
    schemes = copy["components"]["securitySchemes"]
    if token_url is not None:  # both OAuth2 flows of the payment spec: people's and machines'
        for scheme, flow in (
            ("OAuth2Password", "password"),
            ("OAuth2ClientCredentials", "clientCredentials"),
        ):
            trusted = schemes[scheme]["flows"][flow]
            assert trusted.pop("tokenUrl") == token_url
            trusted["tokenUrl"] = "<the trusted user service>"
    return copy


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_the_served_contract_is_the_spec_file_as_written(
    served: tuple[ServerProcess, dict[str, Any]], suffix: str, user_service: ServerProcess
) -> None:
    server, written = served
    answer = httpx.get(f"{server.url}/openapi.{suffix}")
    assert answer.status_code == 200
    document = answer.json() if suffix == "json" else yaml.safe_load(answer.text)
    assert document["servers"] == [{"url": server.url}]
    is_payment = written["info"]["title"] == "Payment API"
    token_url = f"{user_service.url}/auth/token" if is_payment else None
    written_token_url = "http://127.0.0.1:5000/auth/token" if is_payment else None
    assert without_addresses(document, token_url) == without_addresses(written, written_token_url)


def test_swagger_ui_renders_the_served_document(
    served: tuple[ServerProcess, dict[str, Any]],
) -> None:
    server, _ = served
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text


def test_every_problem_type_has_a_page_and_the_index_lists_all(
    served: tuple[ServerProcess, dict[str, Any]],
) -> None:
    server, _ = served
    index = httpx.get(f"{server.url}/problems")
    assert index.status_code == 200
    for slug, kind in PROBLEM_TYPES.items():
        assert f'id="{slug}"' in index.text
        page = httpx.get(f"{server.url}/problems/{slug}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert kind["title"] in page.text
    assert httpx.get(f"{server.url}/problems/no-such-type").status_code == 404


def test_an_error_answer_names_a_platform_problem_type_with_its_title(
    served: tuple[ServerProcess, dict[str, Any]],
) -> None:
    server, _ = served
    answer = httpx.get(f"{server.url}/no/such/path")
    assert answer.status_code == 404
    problem = answer.json()
    assert problem["type"] == "/problems/not-found"
    assert problem["title"] == PROBLEM_TYPES["not-found"]["title"]
    assert httpx.get(f"{server.url}{problem['type']}").status_code == 200
