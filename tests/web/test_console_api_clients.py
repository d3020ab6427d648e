"""Console → API clients against the real processes over plain HTTP: create one (its secret
shown once, with a curl line, and it really gets tokens), list it, revoke it after a
confirmation page (then its token request is refused), field errors, pagination, who may see
the pages.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shlex
import uuid
from typing import Any

import httpx
import pytest
from user_management_client.api.api_clients import create_api_client, revoke_api_client
from user_management_client.models import ApiClientCreate, ApiClientCreated

from devstack import services
from devstack.processes import ServerProcess
from tests.fixtures.auth import Customer
from tests.fixtures.web import WEB_TEST_PAGE_SIZE, WebStack
from tests.web.helpers import csrf_of, hidden, problem_fields, sign_in, signed_in_client

ADMIN = Customer("", services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD, "")
SECRET = re.compile(r'id="secret-value">([^<]+)</code>')
CLIENT_ID = re.compile(r'id="client-id">(cli_[0-9a-f]{24})</dd>')
CURL = re.compile(r'id="token-request"[^>]*>([^<]+)</pre>')


def flashes(page: str) -> list[str]:
    return [
        html.unescape(m.group(1))
        for m in re.finditer(r'<div class="flash \w+" role="\w+">([^<]*)</div>', page)
    ]


def create(client: httpx.Client, **fields: str) -> httpx.Response:
    data = {"csrf_token": csrf_of(client, "/console/api-clients"), **fields}
    return client.post("/console/api-clients", data=data)


def shown(page: str) -> tuple[str, str]:
    """The new client's id and secret, as the page after create shows them."""
    secret = SECRET.search(page)
    client_id = CLIENT_ID.search(page)
    assert secret, page[:2000]
    assert client_id, page[:2000]
    return client_id.group(1), html.unescape(secret.group(1))


def token_request(users_url: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{users_url}/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )


def test_an_admin_creates_an_api_client_whose_secret_is_shown_once_and_gets_tokens(
    web_stack: WebStack, user_service: ServerProcess
) -> None:
    name = f"Reconciler {uuid.uuid4().hex[:6]}"
    expires = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    with signed_in_client(web_stack, ADMIN) as admin:
        made = create(
            admin,
            name=name,
            **{"scope.payments:read": "on", "scope.users:read": "on"},
            expires_on=expires,
        )
        assert made.status_code == 200, made.text[:1000]
        page = made.text
        assert "cannot be shown again" in page
        client_id, secret = shown(page)
        curl_match = CURL.search(page)
        assert curl_match
        curl = shlex.split(html.unescape(curl_match.group(1)))
        token_url = f"{user_service.url}/auth/token"
        assert curl == [
            "curl", "-u", f"{client_id}:{secret}", "-d", "grant_type=client_credentials", token_url
        ]  # fmt: skip

        answer = token_request(user_service.url, client_id, secret)
        assert answer.status_code == 200, answer.text
        assert set(answer.json()["scope"].split()) == {"payments:read", "users:read"}

        listing = admin.get("/console/api-clients").text
        for _ in range(50):  # the clients are in creation order: to the last page
            more = re.search(r'href="(/console/api-clients\?cursor=[^"]+)" rel="next"', listing)
            if f'id="client-{client_id}"' in listing or not more:
                break
            listing = admin.get(html.unescape(more.group(1))).text
        row = re.search(rf'<tr id="client-{client_id}">(.*?)</tr>', listing, re.S)
        assert row, "the new client is not listed"
        cells = html.unescape(row.group(1))
        assert name in cells
        assert "payments:read" in cells
        assert "users:read" in cells
        assert "active" in cells
        assert f"{expires} 00:00 UTC" in cells
        assert secret not in listing  # shown once: never again
        assert secret not in str(web_stack.sessions())  # and never kept by the web


def test_revoking_an_api_client_after_its_confirmation_page_stops_its_token_requests(
    web_stack: WebStack, user_service: ServerProcess
) -> None:
    with signed_in_client(web_stack, ADMIN) as admin:
        made = create(admin, name="Short-lived backend", **{"scope.events:read": "on"})
        page = made.text
        client_id, secret = shown(page)
        assert token_request(user_service.url, client_id, secret).status_code == 200

        confirm = admin.get(f"/console/api-clients/{client_id}/revoke")
        assert confirm.status_code == 200
        assert "Revoke the API client Short-lived backend?" in html.unescape(confirm.text)
        assert "cannot be undone" in confirm.text
        revoked = admin.post(
            f"/console/api-clients/{client_id}/revoke",
            data={"csrf_token": hidden(confirm.text, "csrf_token")},
        )
        assert revoked.status_code == 303
        assert revoked.headers["location"] == "/console/api-clients"
        listing = admin.get("/console/api-clients").text
        assert any(f.startswith(f"Revoked the API client {client_id}") for f in flashes(listing))
        assert token_request(user_service.url, client_id, secret).status_code == 401


def test_the_create_forms_field_errors_appear_next_to_their_fields(
    web_stack: WebStack,
) -> None:
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    with signed_in_client(web_stack, ADMIN) as admin:
        refused = create(admin, name="  ", expires_on=yesterday)
        assert refused.status_code == 422
        assert set(problem_fields(refused.text)) == {"name", "scopes", "expires_on"}
        bad_date = create(admin, name="Kept name", expires_on="31/12/2027", **{"scope.x": "on"})
        assert problem_fields(bad_date.text) == {
            "scopes": "Choose at least one scope.",
            "expires_on": "Enter a date, e.g. 2027-12-31.",
        }
        assert 'value="Kept name"' in bad_date.text  # what was typed stays


def test_every_scope_of_the_api_is_a_checkbox_on_the_create_form(web_stack: WebStack) -> None:
    from user_management_client.models.api_client_create_scopes_item import (
        API_CLIENT_CREATE_SCOPES_ITEM_VALUES,
    )

    with signed_in_client(web_stack, ADMIN) as admin:
        page = admin.get("/console/api-clients").text
    boxes = set(re.findall(r'type="checkbox" name="scope\.([a-z:]+)"', page))
    assert boxes == set(API_CLIENT_CREATE_SCOPES_ITEM_VALUES)


def test_the_list_paginates_with_the_apis_next_cursor(
    web_stack: WebStack, admin_client: Any
) -> None:
    made: list[str] = []
    for n in range(WEB_TEST_PAGE_SIZE + 1):
        response = create_api_client.sync_detailed(
            client=admin_client,
            body=ApiClientCreate(name=f"Paged {n} {uuid.uuid4().hex[:4]}", scopes=["audit:read"]),
        )
        assert isinstance(response.parsed, ApiClientCreated), response.content
        made.append(response.parsed.id)
    try:
        with signed_in_client(web_stack, ADMIN) as admin:
            first = admin.get("/console/api-clients").text
            assert first.count('<tr id="client-') == WEB_TEST_PAGE_SIZE
            more = re.search(r'href="(/console/api-clients\?cursor=[^"]+)" rel="next"', first)
            assert more
            second = admin.get(html.unescape(more.group(1)))
            assert second.status_code == 200
            assert "First page" in second.text
            firsts = set(re.findall(r'<tr id="client-(cli_\w+)">', first))
            seconds = set(re.findall(r'<tr id="client-(cli_\w+)">', second.text))
            assert seconds
            assert not firsts & seconds
    finally:
        for client_id in made:
            revoke_api_client.sync_detailed(client_id, client=admin_client)


@pytest.mark.parametrize(
    "path", ["/console/api-clients", "/console/api-clients/cli_000000000000000000000000/revoke"]
)
def test_a_customer_gets_a_friendly_403_on_the_api_client_pages(
    web_stack: WebStack, customer: Customer, path: str
) -> None:
    with signed_in_client(web_stack, customer) as client:
        response = client.get(path)
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_unknown_or_malformed_client_ids_are_friendly_404_pages(web_stack: WebStack) -> None:
    with httpx.Client(base_url=web_stack.url, timeout=15) as admin:
        sign_in(admin, ADMIN.email, ADMIN.password, "/console")
        for client_id in ["cli_000000000000000000000000", "not-an-id", "cli_ZZ"]:
            response = admin.get(f"/console/api-clients/{client_id}/revoke")
            assert response.status_code == 404, client_id
            assert "Page not found" in response.text
