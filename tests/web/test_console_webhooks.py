"""The console's pages for stored Stripe events and webhook endpoints, against the real
processes over plain HTTP: replay, register (the secret shown once), disable and enable,
rotate, deliveries and retry, delete, the URL policy's field error, CSRF, who may see them.

Every endpoint a test registers is deleted at its end: the stack is shared by the session and
a leftover endpoint would be sent every later event.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from payment_api_client import AuthenticatedClient
from payment_api_client.api.events import list_events
from payment_api_client.api.payments import list_payments
from payment_api_client.api.webhook_endpoints import get_webhook_endpoint, list_webhook_endpoints
from payment_api_client.models import (
    EventType,
    OutboundEventList,
    Payment,
    PaymentList,
    WebhookEndpoint,
    WebhookEndpointList,
)

from devstack import services
from tests.fixtures.auth import Customer
from tests.fixtures.web import WebStack
from tests.web.helpers import (
    add_to_cart,
    check_out,
    csrf_of,
    forget_endpoint,
    hidden,
    loopback_url,
    new_product,
    problem_fields,
    signed_in_client,
    wait_for_payment,
)

ADMIN = Customer("", services.DEV_ADMIN_EMAIL, services.DEV_ADMIN_PASSWORD, "")
ENDPOINT_PATH = re.compile(r"^/console/webhooks/([0-9a-f-]{36})$")
SECRET = re.compile(r'id="secret-value">([^<]+)</code>')


def assert_no_inline_code(page: str) -> None:
    """The CSP allows no inline script or style: the pages carry none."""
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page
    assert " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)


def flashes(page: str) -> list[str]:
    return [
        html.unescape(m.group(1))
        for m in re.finditer(r'<div class="flash \w+" role="\w+">([^<]*)</div>', page)
    ]


def paid_payment(
    web_stack: WebStack, customer: Customer, payment_client: AuthenticatedClient
) -> Payment:
    """A customer's order paid at the sandbox, once the worker made it succeeded."""
    product = new_product(payment_client, 1500)
    with signed_in_client(web_stack, customer) as shopper:
        add_to_cart(shopper, product)
        session_id = check_out(shopper).rsplit("/", 1)[1]
    web_stack.pay(session_id)
    page = list_payments.sync_detailed(client=payment_client, user_id=customer.id, limit=100)
    assert isinstance(page.parsed, PaymentList), page.content
    ours = [p for p in page.parsed.data if p.gateway.checkout_session_id == session_id]
    assert len(ours) == 1
    return wait_for_payment(payment_client, ours[0].id, "succeeded", timeout=20)


def register(admin: httpx.Client, url: str, *types: str) -> str:
    """The console's create form; the new endpoint's page path."""
    token = csrf_of(admin, "/console/webhooks")
    form = {"csrf_token": token, "url": url, "description": "web test"}
    form.update({f"event_type.{t}": "on" for t in types or ("*",)})
    response = admin.post("/console/webhooks", data=form)
    assert response.status_code == 303, response.text[:2000]
    location = str(response.headers["location"])
    assert ENDPOINT_PATH.match(location), location
    return location


@contextmanager
def registered(
    admin: httpx.Client, payment_client: AuthenticatedClient, *types: str
) -> Iterator[tuple[str, str]]:
    """(url, page path) of an endpoint registered through the console, deleted at the end."""
    url = loopback_url()
    try:
        yield url, register(admin, url, *types)
    finally:
        forget_endpoint(payment_client, url)


def post_form(admin: httpx.Client, page_path: str, action: str, **fields: str) -> str:
    """Post a form of the page (with its CSRF token); the page it redirects to."""
    token = csrf_of(admin, page_path)
    response = admin.post(action, data={"csrf_token": token, **fields})
    assert response.status_code == 303, response.text[:2000]
    answer = admin.get(response.headers["location"])
    assert answer.status_code == 200, answer.text[:2000]
    return answer.text


def test_an_admin_sees_the_stored_stripe_event_of_a_paid_payment_and_replays_it(
    web_stack: WebStack, make_customer: Callable[..., Customer], payment_client: AuthenticatedClient
) -> None:
    payment = paid_payment(web_stack, make_customer(), payment_client)
    event_id = next(c.event_id for c in payment.status_history if str(c.to_status) == "succeeded")
    assert isinstance(event_id, str)
    with signed_in_client(web_stack, ADMIN) as admin:
        listed = admin.get("/console/stripe-events?state=processed&type=checkout.session.completed")
        assert listed.status_code == 200
        assert event_id in listed.text  # newest first: the payment just paid is on page one
        assert "<caption" in listed.text
        found = admin.get(f"/console/stripe-events?q={event_id}")
        row = re.search(r"<tbody>(.*?)</tbody>", found.text, re.S)
        assert row
        assert row.group(1).count("<tr>") == 1
        assert event_id in row.group(1)
        assert "checkout.session.completed" in row.group(1)
        assert "processed" in row.group(1)
        assert f'aria-label="Replay event {event_id}"' in found.text

        back = hidden(found.text, "back")
        response = admin.post(
            f"/console/stripe-events/{event_id}/replay",
            data={"csrf_token": hidden(found.text, "csrf_token"), "back": back},
        )
        assert response.status_code == 303
        assert response.headers["location"] == back
        shown = flashes(admin.get(response.headers["location"]).text)
        assert shown == [f"Replayed {event_id}: processed (ignored: succeeded)."]
        off_site = admin.post(
            f"/console/stripe-events/{event_id}/replay",
            data={"csrf_token": hidden(found.text, "csrf_token"), "back": "//evil.example/"},
        )
        assert off_site.headers["location"] == "/console/stripe-events"
        assert_no_inline_code(listed.text)
    # the state machine moved nothing twice
    assert wait_for_payment(payment_client, payment.id, "succeeded").status_history == (
        payment.status_history
    )


def test_the_stripe_events_filters_are_checked_and_an_unknown_id_is_said_so(
    web_stack: WebStack,
) -> None:
    with signed_in_client(web_stack, ADMIN) as admin:
        bad = admin.get("/console/stripe-events?state=lost")
        assert bad.status_code == 422
        assert problem_fields(bad.text) == {"state": "Choose a state."}
        missing = admin.get("/console/stripe-events?q=evt_no_such_event")
        assert missing.status_code == 200
        assert "No stored Stripe event has the id evt_no_such_event." in flashes(missing.text)
        ignored = admin.get("/console/stripe-events?cursor=not-a-cursor")
        assert ignored.status_code == 200  # a cursor not of the API's: the first page


@pytest.mark.parametrize(
    "path",
    [
        "/console/stripe-events",
        "/console/webhooks",
        "/console/webhooks/00000000-0000-0000-0000-000000000000",
        "/console/webhooks/00000000-0000-0000-0000-000000000000/delete",
    ],
)
def test_a_customer_is_refused_the_event_and_webhook_pages_and_a_visitor_must_sign_in(
    web_stack: WebStack, customer: Customer, path: str
) -> None:
    with signed_in_client(web_stack, customer) as client:
        response = client.get(path)
        assert response.status_code == 403
        assert "Not allowed" in response.text
        token = csrf_of(client, "/")
        replay = client.post(
            "/console/stripe-events/evt_anything/replay", data={"csrf_token": token}
        )
        assert replay.status_code == 403
        create = client.post(
            "/console/webhooks",
            data={"csrf_token": token, "url": loopback_url(), "event_type.*": "on"},
        )
        assert create.status_code == 403
    with httpx.Client(base_url=web_stack.url) as visitor:
        response = visitor.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith(f"/account/sign-in?next={path}")


def test_an_endpoint_shows_its_secret_once_and_is_disabled_enabled_rotated_and_deleted(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    locations: list[str] = []
    with (
        signed_in_client(web_stack, ADMIN) as admin,
        registered(admin, payment_client, "payment.succeeded", "refund.succeeded") as (url, path),
    ):
        admin.event_hooks["response"] = [lambda r: locations.append(r.headers.get("location", ""))]
        endpoint_id = path.rsplit("/", 1)[1]
        first = admin.get(path).text
        secret = SECRET.search(first)
        assert secret
        assert secret.group(1).startswith("whsec_")
        assert "shown only this once" in first
        again = admin.get(path).text
        assert secret.group(1) not in again  # a second look does not show it
        assert 'id="secret-value"' not in again
        assert "payment.succeeded, refund.succeeded" in again
        assert url in admin.get("/console/webhooks").text

        disabled = post_form(admin, path, f"{path}/enabled", enabled="false")
        assert "is disabled" in flashes(disabled)[0]
        assert "disabled by an admin" in disabled
        assert "Enable endpoint" in disabled
        enabled = post_form(admin, path, f"{path}/enabled", enabled="true")
        assert "is enabled" in flashes(enabled)[0]
        assert "disabled by an admin" not in enabled
        assert "Disable endpoint" in enabled

        rotated = post_form(
            admin, path, f"{path}/rotate-secret", expire_previous_after_seconds="3600"
        )
        new_secret = SECRET.search(rotated)
        assert new_secret
        assert new_secret.group(1).startswith("whsec_")
        assert new_secret.group(1) != secret.group(1)
        assert "The new signing secret" in rotated
        assert "also signs until" in rotated  # the old secret overlaps for an hour
        assert new_secret.group(1) not in admin.get(path).text

        confirm = admin.get(f"{path}/delete")
        assert confirm.status_code == 200
        for page in (first, again, rotated, confirm.text):
            assert_no_inline_code(page)
        assert "This cannot be undone" in confirm.text
        response = admin.post(
            f"{path}/delete", data={"csrf_token": hidden(confirm.text, "csrf_token")}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/console/webhooks"
        listing = admin.get("/console/webhooks").text
        assert f"Deleted the endpoint for {url} with its deliveries." in flashes(listing)
        assert url not in listing.replace(f"Deleted the endpoint for {url}", "")
        assert admin.get(path).status_code == 404
    gone = get_webhook_endpoint.sync_detailed(endpoint_id, client=payment_client)
    assert int(gone.status_code) == 404
    assert not [loc for loc in locations if "whsec_" in loc]  # never in a URL


def test_a_later_payments_event_shows_as_a_delivery_with_its_attempts_and_is_retried(
    web_stack: WebStack, make_customer: Callable[..., Customer], payment_client: AuthenticatedClient
) -> None:
    with (
        signed_in_client(web_stack, ADMIN) as admin,
        registered(admin, payment_client, "payment.succeeded") as (_, path),
    ):
        payment = paid_payment(web_stack, make_customer(), payment_client)
        events = list_events.sync_detailed(
            client=payment_client, object_id=payment.id, type_=EventType.PAYMENT_SUCCEEDED
        )
        assert isinstance(events.parsed, OutboundEventList), events.content
        event_id = events.parsed.data[0].id
        retry_action = f"{path}/deliveries/{event_id}/retry"
        deadline = time.monotonic() + 20
        while True:  # the worker tries it (nothing listens there) and records the attempt
            page = admin.get(path).text
            attempts = re.search(r'<table class="list" id="attempts">(.*?)</table>', page, re.S)
            assert attempts
            if retry_action in page and event_id in attempts.group(1):
                break
            assert time.monotonic() < deadline, "no delivery attempt shown"
            time.sleep(0.3)
        deliveries = re.search(r'<table class="list" id="deliveries">(.*?)</table>', page, re.S)
        assert deliveries
        assert "payment.succeeded" in deliveries.group(1)
        assert f'aria-label="Retry event {event_id} (payment.succeeded)"' in page
        assert "ms</td>" in attempts.group(1)  # the latency of the attempt

        retried = post_form(admin, path, retry_action)
        assert f"Event {event_id} is queued again: the worker sends it now." in flashes(retried)

        post_form(admin, path, f"{path}/enabled", enabled="false")
        refused = post_form(admin, path, retry_action)  # 409 while disabled
        assert any("disabled" in text for text in flashes(refused))
        assert 'class="flash error"' in refused


def test_a_url_the_policy_refuses_shows_the_error_next_to_the_url_field_and_registers_nothing(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    url = "http://169.254.169.254/x"  # the cloud metadata address: always refused
    with signed_in_client(web_stack, ADMIN) as admin:
        token = csrf_of(admin, "/console/webhooks")
        response = admin.post(
            "/console/webhooks",
            data={"csrf_token": token, "url": url, "event_type.*": "on", "description": "x"},
        )
        assert response.status_code == 422
        fields = problem_fields(response.text)
        assert list(fields) == ["url"]
        assert fields["url"]
        assert 'aria-describedby="f-url-hint f-url-error"' in response.text
        assert f'value="{url}"' in response.text  # what was typed is kept
        none_chosen = admin.post(
            "/console/webhooks", data={"csrf_token": token, "url": loopback_url()}
        )
        assert none_chosen.status_code == 422
        assert list(problem_fields(none_chosen.text)) == ["event_types"]
    page = list_webhook_endpoints.sync_detailed(client=payment_client, limit=100)
    assert isinstance(page.parsed, WebhookEndpointList)
    assert url not in [e.url for e in page.parsed.data]


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_webhook_form_without_its_csrf_token_is_refused_and_does_nothing(
    web_stack: WebStack, payment_client: AuthenticatedClient, token: str | None
) -> None:
    url = loopback_url()
    with signed_in_client(web_stack, ADMIN) as admin:
        with registered(admin, payment_client, "refund.failed") as (_, path):
            assert 'id="secret-value"' in admin.get(path).text  # the secret, seen once
            data = {} if token is None else {"csrf_token": token}
            for action in [f"{path}/enabled", f"{path}/delete", f"{path}/rotate-secret"]:
                response = admin.post(action, data={**data, "enabled": "false"})
                assert response.status_code == 403
                assert "This form has expired" in response.text
            page = admin.get(path).text
            assert "Disable endpoint" in page  # still enabled, not deleted
            assert 'id="secret-value"' not in page  # no new secret: not rotated
        try:
            form = {**data, "url": url, "event_type.*": "on"}
            response = admin.post("/console/webhooks", data=form)
            assert response.status_code == 403
        finally:
            forget_endpoint(payment_client, url)
    page_of = list_webhook_endpoints.sync_detailed(client=payment_client, limit=100)
    assert isinstance(page_of.parsed, WebhookEndpointList)
    assert url not in [e.url for e in page_of.parsed.data]


@pytest.mark.parametrize(
    "path",
    [
        "/console/webhooks/not-a-uuid",
        "/console/webhooks/00000000-0000-0000-0000-000000000000",
        "/console/webhooks/00000000-0000-0000-0000-000000000000/delete",
        "/console/webhooks/%00",
    ],
)
def test_a_bad_or_unknown_endpoint_id_is_a_404_page(web_stack: WebStack, path: str) -> None:
    with signed_in_client(web_stack, ADMIN) as admin:
        response = admin.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.text
        token = csrf_of(admin, "/console/webhooks")
        for action in [
            "/console/webhooks/not-a-uuid/enabled",
            "/console/webhooks/not-a-uuid/deliveries/x/retry",
            "/console/webhooks/00000000-0000-0000-0000-000000000000/deliveries/a%20b/retry",
            "/console/stripe-events/evt%20bad/replay",
            "/console/stripe-events/evt_no_such_event/replay",
        ]:
            posted = admin.post(action, data={"csrf_token": token})
            assert posted.status_code == 404, action
            assert "Traceback" not in posted.text


def test_an_endpoints_url_types_and_description_are_changed_and_a_refused_url_is_kept_out(
    web_stack: WebStack, payment_client: AuthenticatedClient
) -> None:
    with (
        signed_in_client(web_stack, ADMIN) as admin,
        registered(admin, payment_client, "refund.failed") as (url, path),
    ):
        page = admin.get(path).text
        assert 'name="event_type.refund.failed" value="on" checked' in page
        token = hidden(page, "csrf_token")
        refused = admin.post(
            path,
            data={"csrf_token": token, "url": "http://169.254.169.254/x", "description": "",
                  "event_type.refund.failed": "on"},
        )  # fmt: skip
        assert refused.status_code == 422
        assert list(problem_fields(refused.text)) == ["url"]
        endpoint = get_webhook_endpoint.sync_detailed(path.rsplit("/", 1)[1], client=payment_client)
        assert isinstance(endpoint.parsed, WebhookEndpoint)
        assert endpoint.parsed.url == url  # unchanged

        new_url = loopback_url()
        try:
            saved = post_form(
                admin, path, path, url=new_url, description="Fulfilment",
                **{"event_type.payment.refunded": "on", "event_type.refund.succeeded": "on"},
            )  # fmt: skip
            assert f"Saved {new_url}." in flashes(saved)
            assert "payment.refunded, refund.succeeded" in saved
            assert "Fulfilment" in saved
        finally:
            forget_endpoint(payment_client, new_url)
