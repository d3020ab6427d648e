"""Console → Audit against the real processes over plain HTTP: an admin's actions through the
APIs (a role change, an unlock, a price change) appear with their action, who, request id and
details; filters narrow the list; a bad filter is a field error, never a 500; pages follow
`next_cursor` with the filters; a customer gets the not-admin page; an admin whose tokens carry
a customer's rights (ADMIN_MFA_REQUIRED, no second factor) gets the two-step sign-in hint.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from payment_api_client import AuthenticatedClient as PaymentClient
from payment_api_client.api.products import update_product
from payment_api_client.models import Currency, Money, Product, ProductUpdate
from user_management_client import AuthenticatedClient as UsersClient
from user_management_client.api.users import get_current_user, unlock_user, update_user
from user_management_client.models import User, UserUpdate
from user_management_client.models.user_update_role import check_user_update_role

from devstack import services
from devstack.processes import ServerProcess, free_port
from tests.fixtures.auth import Customer
from tests.fixtures.web import WEB_TEST_PAGE_SIZE, WebStack, start_web
from tests.web.helpers import new_product, problem_fields, sign_in, signed_in_client

ADMIN = Customer("", services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD, "")
ROW = re.compile(r'<tr class="audit-event">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
COLUMNS = ("when", "action", "who", "address", "request_id", "target", "details")
NEXT = re.compile(r'href="(/console/audit\?[^"]+)" rel="next"')


def text_of(fragment: str) -> str:
    spaced = re.sub(r"<br>|</li>", " ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", spaced)).split())


def rows(page: str) -> list[dict[str, str]]:
    """The audit table's rows as `{column: text}`, plus `html` (the row's markup)."""
    found = []
    for row in ROW.finditer(page):
        cells = [text_of(c) for c in CELL.findall(row.group(1))]
        assert len(cells) == len(COLUMNS), row.group(0)
        found.append({**dict(zip(COLUMNS, cells, strict=True)), "html": row.group(1)})
    return found


def request_id() -> str:
    return f"audit-test-{uuid.uuid4().hex[:12]}"


def users_client(user_service: ServerProcess, token: str, rid: str) -> UsersClient:
    return UsersClient(
        base_url=user_service.url, token=token, headers={"X-Request-ID": rid}, timeout=10.0
    )


def admin_id(user_service: ServerProcess, admin_token: str) -> str:
    me = get_current_user.sync_detailed(client=users_client(user_service, admin_token, "me"))
    assert isinstance(me.parsed, User), me.content
    return str(me.parsed.id)


def change_role(user_service: ServerProcess, token: str, user_id: str, role: str, rid: str) -> None:
    response = update_user.sync_detailed(
        uuid.UUID(user_id),
        client=users_client(user_service, token, rid),
        body=UserUpdate(role=check_user_update_role(role)),
    )
    assert isinstance(response.parsed, User), response.content


def change_price(
    payment_stack_url: str, token: str, product: Product, amount: int, rid: str
) -> None:
    client = PaymentClient(
        base_url=payment_stack_url, token=token, headers={"X-Request-ID": rid}, timeout=15.0
    )
    response = update_product.sync_detailed(
        product.id, client=client, body=ProductUpdate(price=Money(amount, Currency("USD")))
    )
    assert isinstance(response.parsed, Product), response.content


def test_an_admins_role_change_and_unlock_through_the_api_appear_on_the_access_tab(
    web_stack: WebStack,
    user_service: ServerProcess,
    admin_token: str,
    make_customer: Callable[..., Customer],
) -> None:
    target = make_customer()
    role_rid, unlock_rid = request_id(), request_id()
    change_role(user_service, admin_token, target.id, "admin", role_rid)
    unlocked = unlock_user.sync_detailed(
        uuid.UUID(target.id), client=users_client(user_service, admin_token, unlock_rid)
    )
    assert int(unlocked.status_code) in (200, 204), unlocked.content
    acting = admin_id(user_service, admin_token)
    with signed_in_client(web_stack, ADMIN) as admin:
        page = admin.get("/console/audit", params={"target_id": target.id})
        assert page.status_code == 200, page.text[:1000]
        assert 'href="/console/audit"' in page.text  # the console navigation links it
        events = rows(page.text)
        by_rid = {e["request_id"]: e for e in events}
        role = by_rid[role_rid]
        assert role["action"] == "user.role_changed"
        assert role["who"] == f"User {acting}"
        assert f'href="/console/users/{acting}"' in role["html"]
        assert role["target"] == target.id
        assert "from: customer" in role["details"]
        assert "to: admin" in role["details"]
        assert role["address"] == "127.0.0.1"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", role["when"])
        assert by_rid[unlock_rid]["action"] == "user.unlocked"
        # oldest first: the account's creation, then the role change, then the unlock
        actions = [e["action"] for e in events]
        assert actions.index("user.role_changed") < actions.index("user.unlocked")

        # the actor's link opens the console's users list at that user
        opened = admin.get(f"/console/users/{acting}")
        assert opened.status_code == 303
        listed = admin.get(opened.headers["location"]).text
        assert services.DEV_ADMIN_EMAIL in listed


def test_a_product_price_change_appears_newest_first_on_the_money_tab(
    web_stack: WebStack,
    user_service: ServerProcess,
    payment_client: PaymentClient,
    admin_token: str,
) -> None:
    product = new_product(payment_client, 1250)
    rid = request_id()
    change_price(web_stack.payments.url, admin_token, product, 1500, rid)
    acting = admin_id(user_service, admin_token)
    with signed_in_client(web_stack, ADMIN) as admin:
        page = admin.get("/console/audit", params={"log": "money", "action": "product.updated"})
        assert page.status_code == 200, page.text[:1000]
        newest = rows(page.text)[0]
        assert newest["action"] == "product.updated"
        assert newest["request_id"] == rid
        assert newest["target"] == product.id
        assert f'href="/console/products/{product.id}"' in newest["html"]
        assert "price: 1250 USD -> 1500 USD" in newest["details"]
        assert newest["who"] == f"User {acting}"
        assert f'href="/console/users/{acting}"' in newest["html"]


def test_the_filters_narrow_each_tab_to_the_chosen_action_actor_and_target(
    web_stack: WebStack,
    user_service: ServerProcess,
    admin_token: str,
    payment_client: PaymentClient,
    make_customer: Callable[..., Customer],
) -> None:
    target = make_customer()
    change_role(user_service, admin_token, target.id, "admin", request_id())
    change_role(user_service, admin_token, target.id, "customer", request_id())
    product = new_product(payment_client)
    change_price(web_stack.payments.url, admin_token, product, 990, request_id())
    acting = admin_id(user_service, admin_token)
    with signed_in_client(web_stack, ADMIN) as admin:
        by_action = rows(admin.get("/console/audit?action=user.role_changed").text)
        assert by_action
        assert {e["action"] for e in by_action} == {"user.role_changed"}
        by_actor = rows(admin.get(f"/console/audit?actor_id={acting}").text)
        assert by_actor
        assert {e["who"] for e in by_actor} == {f"User {acting}"}
        by_target = rows(admin.get(f"/console/audit?target_id={target.id}").text)
        assert {e["target"] for e in by_target} == {target.id}
        assert [e["action"] for e in by_target].count("user.role_changed") == 2
        both = rows(
            admin.get(
                "/console/audit",
                params={"action": "user.role_changed", "target_id": target.id},
            ).text
        )
        assert [e["details"] for e in both] == [
            "from: customer to: admin",
            "from: admin to: customer",
        ]

        money = admin.get("/console/audit", params={"log": "money", "target_id": product.id})
        assert [e["action"] for e in rows(money.text)] == ["product.updated", "product.created"]
        assert 'name="log" value="money"' in money.text  # the form keeps the tab
        created = rows(
            admin.get(
                "/console/audit",
                params={"log": "money", "target_id": product.id, "action": "product.created"},
            ).text
        )
        assert [e["action"] for e in created] == ["product.created"]


def test_a_bad_filter_is_a_field_error_next_to_its_field_never_a_500(
    web_stack: WebStack,
) -> None:
    with signed_in_client(web_stack, ADMIN) as admin:
        not_uuid = admin.get("/console/audit", params={"actor_id": "not-a-user-id"})
        assert not_uuid.status_code == 422
        assert set(problem_fields(not_uuid.text)) == {"actor_id"}
        assert 'aria-invalid="true"' in not_uuid.text
        assert 'value="not-a-user-id"' in not_uuid.text  # what was typed stays
        assert rows(not_uuid.text) == []

        targets = admin.get("/console/audit", params={"target_id": "x", "action": "user.nope"})
        assert targets.status_code == 422
        assert set(problem_fields(targets.text)) == {"target_id", "action"}

        money = admin.get("/console/audit", params={"log": "money", "actor_id": "cli_\x01"})
        assert money.status_code == 422
        assert set(problem_fields(money.text)) == {"actor_id"}
        too_long = admin.get("/console/audit", params={"log": "money", "target_id": "p" * 256})
        assert too_long.status_code == 422
        assert set(problem_fields(too_long.text)) == {"target_id"}

        # an API client's id is a fine actor on the money tab: no error, just no events
        machine = admin.get(
            "/console/audit", params={"log": "money", "actor_id": "cli_" + "0" * 24}
        )
        assert machine.status_code == 200
        assert "No events match." in machine.text
        # a cursor that is not one of the API's is the first page, not an error
        assert admin.get("/console/audit?cursor=%27;--").status_code == 200
        assert admin.get("/console/audit?log=money&cursor=zz").status_code == 200


def test_the_pages_follow_next_cursor_and_keep_the_filters(
    web_stack: WebStack,
    user_service: ServerProcess,
    admin_token: str,
    payment_client: PaymentClient,
    make_customer: Callable[..., Customer],
) -> None:
    target = make_customer()
    role = "customer"
    for _ in range(WEB_TEST_PAGE_SIZE + 1):
        role = "admin" if role == "customer" else "customer"
        change_role(user_service, admin_token, target.id, role, request_id())
    product = new_product(payment_client, 100)
    for n in range(WEB_TEST_PAGE_SIZE):
        change_price(web_stack.payments.url, admin_token, product, 200 + n, request_id())
    with signed_in_client(web_stack, ADMIN) as admin:
        for query, total in (
            ({"action": "user.role_changed", "target_id": target.id}, WEB_TEST_PAGE_SIZE + 1),
            ({"log": "money", "target_id": product.id}, WEB_TEST_PAGE_SIZE + 1),
        ):
            first = admin.get("/console/audit", params=query).text
            seen = [e["request_id"] for e in rows(first)]
            assert len(seen) == WEB_TEST_PAGE_SIZE
            more = NEXT.search(first)
            assert more, "no Next page link"
            link = html.unescape(more.group(1))
            for key, value in query.items():
                assert f"{key}={value}" in link  # the filters travel with the cursor
            second = admin.get(link)
            assert second.status_code == 200
            assert "First page" in second.text
            later = [e["request_id"] for e in rows(second.text)]
            assert len(seen) + len(later) == total
            assert not set(seen) & set(later)
            assert NEXT.search(second.text) is None


def test_a_customer_gets_the_not_admin_page_without_the_two_step_hint(
    web_stack: WebStack, customer: Customer
) -> None:
    with signed_in_client(web_stack, customer) as client:
        for path in ("/console/audit", "/console/audit?log=money"):
            response = client.get(path)
            assert response.status_code == 403
            assert "Not allowed" in response.text
            assert 'id="mfa-hint"' not in response.text
            assert "audit-event" not in response.text


def test_an_admin_whose_tokens_carry_a_customers_rights_is_told_to_turn_on_two_step_sign_in(
    web_stack: WebStack,
    user_service_database_url: str,
    user_service_keys_dir: Path,
    admin_client: Any,
    make_customer: Callable[..., Customer],
    tmp_path: Path,
    logs_dir: Path,
) -> None:
    """A user service with ADMIN_MFA_REQUIRED on the session's database and keys (the
    payment service trusts its tokens): an admin without a second factor signs in, the web
    shows them the console (their record says admin), both APIs refuse them (their token says
    customer), and the 403 page says what to do."""
    person = make_customer()
    promoted = update_user.sync_detailed(
        uuid.UUID(person.id),
        client=admin_client,
        body=UserUpdate(role=check_user_update_role("admin")),
    )
    assert isinstance(promoted.parsed, User), promoted.content
    strict = services.user_service(
        free_port(), user_service_database_url, workers=1, keys_dir=user_service_keys_dir,
        log_path=logs_dir / "users-admin-mfa.log",
        env={"ADMIN_MFA_REQUIRED": "true", "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000"},
    ).start()  # fmt: skip
    web = None
    try:
        web = start_web(
            free_port(), web_stack.payments, tmp_path / "web.sqlite3",
            logs_dir / "web-admin-mfa.log", user_service_url=strict.url, workers=1,
        )  # fmt: skip
        with httpx.Client(base_url=web.url, timeout=15) as client:
            sign_in(client, person.email, person.password)
            for path in ("/console/audit", "/console/audit?log=money", "/console/users"):
                refused = client.get(path)
                assert refused.status_code == 403, (path, refused.text[:500])
                hint = re.search(r'<p id="mfa-hint">(.*?)</p>', refused.text, re.S)
                assert hint, path
                assert text_of(hint.group(1)) == (
                    "If your platform requires two-step sign-in for admins, turn it on under "
                    "Account → Security, then sign in again."
                )
                assert 'href="/account/security"' in hint.group(1)
    finally:
        if web is not None:
            web.stop()
        strict.stop()
    # the session's own services, without the requirement: the same admin sees the trail
    with signed_in_client(web_stack, person) as client:
        page = client.get("/console/audit")
        assert page.status_code == 200
        assert 'id="mfa-hint"' not in page.text
