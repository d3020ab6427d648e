"""The image and compose.yaml, for real: a Docker engine builds the images, Compose starts
PostgreSQL, the migration, two replicas of each API and of the web, the proxy and the
sandbox, and every check goes through the proxy (or, to pin a replica, to that replica's own
port).

`make container-test` (and .ci/run) prepare the machine: Docker engine, Compose, the
debootstrapped base image local/python-base:bookworm and the wheelhouse. Without a Docker
engine the suite skips with a message (fails under CI=true).
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.message
import email.policy
import html
import json
import os
import re
import shlex
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from payment_api_client.models import Product

from deploy import images as image_builds
from devstack.processes import ROOT
from tests.deploy.compose_stack import ComposeStack, make_stack
from tests.web.helpers import add_to_cart, check_out, sign_in

pytestmark = [pytest.mark.containers, pytest.mark.timeout(900)]

BASE_IMAGE = os.environ.get("CONTAINER_TEST_BASE_IMAGE", "local/python-base:bookworm")
IMAGES = {
    "platform": "local/payment-platform:test",
    "proxy": "local/payment-platform-proxy:test",
    "postgres": "local/payment-platform-postgres:test",
}
ADMIN = ("admin@example.com", "correct-horse-battery-staple-42")
PASSWORD = "correct horse battery staple"
SERVICES = [
    "postgres", "migrate", "user-service-1", "user-service-2",
    "payment-service-1", "payment-service-2", "payment-worker-1", "payment-worker-2", "web-1",
    "web-2", "proxy", "stripe-sandbox", "user-worker-1", "user-worker-2", "mail-sink",
]  # fmt: skip


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the container test must run)")
    pytest.skip(f"{reason}; `make container-test` installs and starts what it needs")


def docker_ready() -> None:
    try:
        subprocess.run(["docker", "info"], capture_output=True, check=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        unavailable("no Docker engine answers")
    present = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True)
    if present.returncode != 0:
        unavailable(f"base image {BASE_IMAGE} is missing (deploy/base-image.sh builds it)")


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    """The three images, built from the working tree on the local base (cached layers make
    a rebuild of unchanged sources take seconds)."""
    docker_ready()
    started = time.monotonic()
    for name, tag in IMAGES.items():
        image_builds.build(name, tag, BASE_IMAGE)
    print(f"images built in {time.monotonic() - started:.0f} s")
    return IMAGES


def stack_settings() -> dict[str, str]:
    return {
        "POSTGRES_PASSWORD": uuid.uuid4().hex,
        "STRIPE_API_KEY": "sk_test_sandbox",
        "STRIPE_WEBHOOK_SECRETS": "whsec_sandbox_local_development_secret",
        "BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
        "USER_SERVICE_WORKERS": "1",  # 2 cores for 10 containers
    }


@contextlib.contextmanager
def running(stack: ComposeStack) -> Iterator[ComposeStack]:
    started = time.monotonic()
    try:
        stack.up()
        print(f"{stack.project} ready in {time.monotonic() - started:.0f} s")
        yield stack
    finally:
        print(f"logs: {stack.save_logs(SERVICES)}")
        stack.down()


@pytest.fixture(scope="module")
def stack(built: dict[str, str]) -> Iterator[ComposeStack]:
    """compose.yaml on the host network (see tests/deploy/compose_stack.py)."""
    with running(make_stack(f"platformtest{os.getpid()}", built, stack_settings())) as up:
        yield up


@pytest.fixture
def bridge_stack(built: dict[str, str]) -> Iterator[ComposeStack]:
    """compose.yaml exactly as written, on Docker's bridge network."""
    project = f"platformbridge{os.getpid()}"
    with running(make_stack(project, built, stack_settings(), host_network=False)) as up:
        yield up


# --- helpers --------------------------------------------------------------------------------


def register_and_login(base: str, email: str | None = None) -> tuple[str, str]:
    """(user id, access token) of a new customer, through `base` (proxy or a replica)."""
    email = email or f"c-{uuid.uuid4().hex[:10]}@example.com"
    created = httpx.post(
        f"{base}/users", json={"email": email, "full_name": "Ada", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], login(base, email)


def login(base: str, email: str, password: str = PASSWORD) -> str:
    answer = httpx.post(f"{base}/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def kid_of(token: str) -> str:
    header = token.split(".", 1)[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


def until(check: Any, seconds: float = 20, every: float = 0.3) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def custom_checkout(stack: ComposeStack, token: str, key: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{stack.proxy}/checkout-sessions",
        json={"custom_amount": {"amount": 1234, "currency": "EUR"}},
        headers={**bearer(token), "Idempotency-Key": key, **headers},
        timeout=30,
    )


def proxy_log(stack: ComposeStack) -> list[dict[str, Any]]:
    return [line for line in stack.json_logs("proxy") if "upstream" in line]


def addresses(bases: list[str]) -> set[str]:
    """host:port of replicas as the proxy logs its upstreams."""
    return {base.removeprefix("http://") for base in bases}


def new_product(stack: ComposeStack, name: str) -> Product:
    admin = login(stack.proxy, *ADMIN)
    created = httpx.post(
        f"{stack.proxy}/products",
        json={"name": name, "price": {"amount": 1500, "currency": "EUR"}},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    return Product.from_dict(created.json())


def checkouts_logged(stack: ComposeStack, request_id: str) -> list[dict[str, Any]]:
    """The proxy's lines of this checkout (not the payment service's call to the user
    service, which goes through the proxy with the same request id)."""
    return [
        line
        for line in proxy_log(stack)
        if line["request_id"] == request_id and line["path"] == "/checkout-sessions"
    ]


# --- the image ------------------------------------------------------------------------------


def run_in_image(image: str, script: str) -> str:
    done = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/bin/sh", image, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_the_image_runs_as_non_root_without_compilers_pip_or_caches(
    built: dict[str, str],
) -> None:
    image = built["platform"]
    config = json.loads(
        subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, check=True, text=True
        ).stdout
    )[0]["Config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["python", "-m", "deploy.role"]
    assert config["Healthcheck"]["Test"] == ["CMD", "python", "-m", "deploy.role", "healthcheck"]
    labels = config["Labels"]
    for label in ("title", "version", "revision", "created", "source"):
        assert labels.get(f"org.opencontainers.image.{label}"), label
    assert run_in_image(image, "id -u") == "10001"
    assert run_in_image(image, "python --version").startswith("Python 3.11.")
    found = run_in_image(image, "for c in gcc cc g++ c++ clang make; do command -v $c; done; :")
    assert found == "", f"compilers in the image: {found}"
    assert run_in_image(image, "python -c 'import pip' 2>&1 || echo no-pip").endswith("no-pip")
    caches = run_in_image(
        image,
        "find / -xdev \\( -path '*/.cache/pip' -o -path /wheels -o -path /root/.cache \\) "
        "-print 2>/dev/null; :",
    )
    assert caches == "", f"pip caches or wheels left in the image: {caches}"
    size = int(
        subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", image],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    )
    print(f"{image}: {size / 1e6:.0f} MB on {BASE_IMAGE}")


def test_compose_yaml_as_written_runs_the_curl_walkthrough_on_the_bridge_network(
    bridge_stack: ComposeStack,
) -> None:
    """The unmodified compose.yaml (published proxy port, service names, Docker's DNS):
    docs/walkthrough.sh, every operation of both APIs, with both base URLs the proxy's and
    reconcile run inside a payment replica, as docs/deployment.md says. Before the first
    test of the host-network stack, so that the two stacks never run at once."""
    stack = bridge_stack
    reconcile = shlex.join(stack.compose_argv("exec", "-T", "payment-service-1"))
    done = subprocess.run(
        ["bash", "docs/walkthrough.sh"],
        cwd=ROOT,
        env={
            **os.environ,
            "U": stack.proxy,
            "P": stack.proxy,
            "S": stack.sandbox,
            "RECONCILE": f"{reconcile} python -m payment_api reconcile",
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-2000:])
    assert done.stdout.count("== step:") >= 20
    # The sandbox's webhooks reached a payment replica through the proxy, by service name.
    hooks = [e for e in proxy_log(stack) if e["path"] == "/webhooks/stripe"]
    assert hooks
    assert all(e["status"] == 200 for e in hooks)
    # The web on its own published port, reaching the payment service at proxy:8080 by name.
    assert httpx.get(f"{stack.web}/healthz").json() == {"status": "ok"}
    shop = httpx.get(f"{stack.web}/")
    assert shop.status_code == 200, shop.text[:500]
    assert "text/html" in shop.headers["content-type"]


def test_every_running_container_is_non_root_and_healthy(stack: ComposeStack) -> None:
    for service in ("user-service-1", "payment-service-2", "web-1", "proxy", "stripe-sandbox"):
        state = stack.inspect(service)
        assert state["Config"]["User"] not in ("", "0", "root"), service
        assert state["HostConfig"]["ReadonlyRootfs"] is True, service
        assert state["State"]["Health"]["Status"] == "healthy", service
        uid = stack.exec(service, "id", "-u").decode().strip()
        assert uid != "0", service
    migrate = stack.inspect("migrate")["State"]
    assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0)


# --- the platform through the proxy ---------------------------------------------------------


def test_register_login_checkout_and_pay_through_the_proxy(stack: ComposeStack) -> None:
    user_id, token = register_and_login(stack.proxy)
    me = httpx.get(f"{stack.proxy}/users/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["id"] == user_id
    admin = login(stack.proxy, *ADMIN)
    product = httpx.post(
        f"{stack.proxy}/products",
        json={"name": "Green tea", "price": {"amount": 1099, "currency": "USD"}},
        headers=bearer(admin),
    )
    assert product.status_code == 201, product.text
    checkout = httpx.post(
        f"{stack.proxy}/checkout-sessions",
        json={"line_items": [{"product_id": product.json()["id"], "quantity": 2}]},
        headers={**bearer(token), "Idempotency-Key": f"order-{uuid.uuid4().hex}"},
        timeout=30,
    )
    assert checkout.status_code == 201, checkout.text
    session = checkout.json()
    assert session["amount"] == {"amount": 2198, "currency": "USD"}
    assert session["url"].startswith(stack.sandbox)  # the hosted page a browser opens
    paid = httpx.post(
        f"{stack.sandbox}/_sandbox/checkout/sessions/{session['session_id']}/complete",
        json={"outcome": "paid"},
    )
    assert paid.status_code == 200, paid.text

    def status() -> str | None:
        answer = httpx.get(f"{stack.proxy}/payments/{session['payment_id']}", headers=bearer(token))
        value = answer.json()["status"]
        return str(value) if value == "succeeded" else None

    assert until(status) == "succeeded"
    # The sandbox delivered the signed webhook through the proxy to a payment replica.
    hooks = [e for e in proxy_log(stack) if e["path"] == "/webhooks/stripe" and e["status"] == 200]
    assert hooks, "no webhook went through the proxy"
    assert {h["upstream"] for h in hooks} <= addresses(stack.payments)


# --- the web frontend through the proxy -----------------------------------------------------


def test_the_web_renders_the_catalogue_signs_in_and_checks_out_through_the_proxy(
    stack: ComposeStack,
) -> None:
    """A shopper on the proxy's web listener only: the catalogue with a product just created,
    sign-in, a checkout that goes to the sandbox's hosted page and back to the web's success
    state (ALLOWED_REDIRECT_ORIGINS and WEB_HOSTED_CHECKOUT_ORIGINS agree with the stack)."""
    assert httpx.get(f"{stack.web}/healthz").json() == {"status": "ok"}
    product = new_product(stack, f"Gyokuro {uuid.uuid4().hex[:6]}")
    shop = httpx.get(f"{stack.web}/")
    assert shop.status_code == 200, shop.text[:500]
    assert "text/html" in shop.headers["content-type"]
    assert html.escape(product.name) in shop.text  # newest first: on the first page

    email = f"web-{uuid.uuid4().hex[:8]}@example.com"
    register_and_login(stack.proxy, email)
    with httpx.Client(base_url=stack.web, timeout=30) as shopper:
        sign_in(shopper, email, PASSWORD)
        assert email in shopper.get("/account").text
        add_to_cart(shopper, product)
        hosted = check_out(shopper)
        assert hosted.startswith(f"{stack.sandbox}/"), hosted
        session_id = hosted.rsplit("/", 1)[1]
        paid = httpx.post(
            f"{stack.sandbox}/_sandbox/checkout/sessions/{session_id}/complete",
            json={"outcome": "paid"},
        )
        assert paid.status_code == 200, paid.text

        def succeeded() -> bool:
            state = shopper.get("/checkout/status", params={"session_id": session_id})
            return bool(state.status_code == 200 and state.json()["status"] == "succeeded")

        assert until(succeeded)
        cookie = shopper.cookies["web_session"]
    # The session is a row of the web's own database: either replica, asked directly, knows it.
    assert stack.psql("web", "SELECT count(*) FROM web_sessions") != ["0"]
    for replica in stack.webs:
        page = httpx.get(f"{replica}/account", headers={"Cookie": f"web_session={cookie}"})
        assert page.status_code == 200, (replica, page.text[:300])
        assert email in page.text, replica


def test_the_proxy_keeps_a_browser_on_one_web_replica_and_spreads_the_others(
    stack: ComposeStack,
) -> None:
    """One browser, one replica (its token refreshes in one process); the others spread."""
    email = f"aff-{uuid.uuid4().hex[:8]}@example.com"
    register_and_login(stack.proxy, email)
    with httpx.Client(base_url=stack.web, timeout=30) as browser:
        sign_in(browser, email, PASSWORD)
        ids = [f"aff-{uuid.uuid4().hex}" for _ in range(8)]
        for request_id in ids:
            assert browser.get("/account", headers={"X-Request-ID": request_id}).status_code == 200
    anonymous = [f"anon-{uuid.uuid4().hex}" for _ in range(16)]
    for request_id in anonymous:
        assert httpx.get(f"{stack.web}/healthz", headers={"X-Request-ID": request_id}).is_success

    def upstreams(request_ids: list[str]) -> set[str]:
        """The web replicas that served them (not the API calls the web made for them)."""
        wanted, webs = set(request_ids), addresses(stack.webs)
        lines = proxy_log(stack)
        return {e["upstream"] for e in lines if e["request_id"] in wanted and e["upstream"] in webs}

    assert len(upstreams(ids)) == 1
    assert upstreams(anonymous) == addresses(stack.webs)


def test_the_web_gets_the_request_id_and_the_client_address_like_the_apis(
    stack: ComposeStack,
) -> None:
    """Browser (127.0.0.2) -> proxy -> web -> proxy -> payment service, one request id; the
    proxy records the browser's address, not a forged X-Forwarded-For, for the web's request."""
    mine = f"ctest-web-{uuid.uuid4().hex}"
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport) as client:
        page = client.get(
            f"{stack.web}/", headers={"X-Request-ID": mine, "X-Forwarded-For": "203.0.113.7"}
        )
    assert page.status_code == 200, page.text[:500]
    assert page.headers.get_list("x-request-id") == [mine]
    lines = until(lambda: [e for e in proxy_log(stack) if e["request_id"] == mine], 5)
    to_web = [e for e in lines if e["upstream"] in addresses(stack.webs)]
    to_payments = [e for e in lines if e["upstream"] in addresses(stack.payments)]
    assert [e["client"] for e in to_web] == ["127.0.0.2"]
    assert [e["path"] for e in to_payments] == ["/products"]  # the web's listProducts call
    assert mine in stack.logs("payment-service-1") + stack.logs("payment-service-2")


def test_the_proxy_passes_request_ids_and_makes_them_when_absent(stack: ComposeStack) -> None:
    _, token = register_and_login(stack.proxy)
    mine = f"ctest-{uuid.uuid4().hex}"
    answer = httpx.get(f"{stack.proxy}/users/me", headers={**bearer(token), "X-Request-ID": mine})
    assert answer.headers.get_list("x-request-id") == [mine]
    user_logs = stack.logs("user-service-1") + stack.logs("user-service-2")
    assert mine in user_logs

    made = httpx.get(f"{stack.proxy}/users/me", headers=bearer(token))
    generated = made.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
    assert generated in stack.logs("user-service-1") + stack.logs("user-service-2")

    # A checkout's id travels on: proxy -> payment service -> (proxy) -> user service.
    chained = f"ctest-{uuid.uuid4().hex}"
    checkout = custom_checkout(stack, token, uuid.uuid4().hex, **{"X-Request-ID": chained})
    assert checkout.status_code == 201, checkout.text
    assert checkout.headers["x-request-id"] == chained
    payment_logs = stack.logs("payment-service-1") + stack.logs("payment-service-2")
    assert chained in payment_logs
    assert chained in stack.logs("user-service-1") + stack.logs("user-service-2")

    # A value the services would not accept is replaced by the proxy's own.
    odd = httpx.get(f"{stack.proxy}/healthz", headers={"X-Request-ID": "bad id; <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])


def test_the_user_service_sees_the_client_address_not_the_proxy_or_a_forged_one(
    stack: ComposeStack,
) -> None:
    """The client connects from 127.0.0.2 and forges X-Forwarded-For. The service's TCP peer is
    the proxy (127.0.0.1), so 127.0.0.2 in the login throttle can only come from the hop the
    proxy appended, and TRUSTED_PROXY_HOPS=1 trusts that one and not the forged one."""
    email = f"addr-{uuid.uuid4().hex[:8]}@example.com"
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport) as client:
        answer = client.post(
            f"{stack.proxy}/auth/token",
            data={"username": email, "password": "not the password"},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    assert answer.status_code == 401
    proxy_lines = [e for e in proxy_log(stack) if e["path"] == "/auth/token"]
    assert any(e["client"] == "127.0.0.2" for e in proxy_lines)
    keys = stack.psql("users", "SELECT key FROM ums_login_throttle WHERE key LIKE 'address:%'")
    assert "address:127.0.0.2" in keys, keys
    assert "address:203.0.113.7" not in keys  # the forged hop is not trusted


# --- replicas share nothing but PostgreSQL and the keys volume ------------------------------


def test_tokens_verify_on_every_replica_before_and_after_a_key_rotation(
    stack: ComposeStack,
) -> None:
    user_1, user_2 = stack.users
    _, before = register_and_login(user_1)  # issued by replica 1
    everywhere = [*stack.users, *stack.payments, stack.proxy]

    def verifies(token: str, base: str) -> bool:
        path = "/users/me" if base in stack.users else "/payments"
        return httpx.get(f"{base}{path}", headers=bearer(token)).status_code == 200

    assert all(verifies(before, base) for base in everywhere)

    rotated = stack.exec("user-service-2", "python", "-m", "user_management_service", "rotate-key")
    new_kid = re.search(r"new signing key (\S+);", rotated.decode())
    assert new_kid, rotated
    for base in stack.users:  # both replicas publish the new key at once
        kids = [k["kid"] for k in httpx.get(f"{base}/.well-known/jwks.json").json()["keys"]]
        assert kids[0] == new_kid.group(1)
        assert kid_of(before) in kids

    email = f"rot-{uuid.uuid4().hex[:8]}@example.com"
    register_and_login(user_2, email)
    fresh = [login(user_1, email), login(user_2, email)]  # the replica that did not rotate too
    assert {kid_of(token) for token in fresh} == {new_kid.group(1)}
    started = time.monotonic()
    for token in fresh:
        for base in everywhere:
            # The payment service refetches the JWKS for an unknown kid at most once per
            # JWKS_REFRESH_INTERVAL_SECONDS (10 s): allow for it.
            assert until(lambda t=token, b=base: verifies(t, b), seconds=15), base
    print(f"new key accepted everywhere {time.monotonic() - started:.1f} s after the first try")
    assert all(verifies(before, base) for base in everywhere)  # the old key still verifies


def test_login_throttling_counts_failures_on_every_replica(stack: ComposeStack) -> None:
    email = f"thr-{uuid.uuid4().hex[:8]}@example.com"
    register_and_login(stack.proxy, email)
    limit = int(stack.settings["LOGIN_MAX_FAILURES_PER_PAIR"])  # all from this one address
    for attempt in range(limit):  # alternate the replicas: neither sees the limit alone
        base = stack.users[attempt % 2]
        wrong = httpx.post(f"{base}/auth/token", data={"username": email, "password": "nope"})
        assert wrong.status_code == 401, (attempt, wrong.text)
    for base in [*stack.users, stack.proxy]:
        right = httpx.post(f"{base}/auth/token", data={"username": email, "password": PASSWORD})
        assert right.status_code == 429, (base, right.text)
        assert int(right.headers["retry-after"]) > 0


def test_a_password_reset_asked_through_the_proxy_is_mailed_by_a_user_worker(
    stack: ComposeStack,
) -> None:
    address = f"mail-{uuid.uuid4().hex[:8]}@example.com"
    register_and_login(stack.proxy, address)
    asked = httpx.post(f"{stack.proxy}/auth/password-reset", json={"email": address}, timeout=10)
    assert asked.status_code == 202
    deadline = time.monotonic() + 60
    while True:  # the dev profile's sink keeps each mail as a file in its container
        listing = stack.exec(
            "mail-sink", "sh", "-c", f"grep -l 'To: {address}' /tmp/mail/*.eml || true"
        )
        found = [name for name in listing.decode().split() if name.endswith(".eml")]
        mails = [stack.exec("mail-sink", "cat", name).decode() for name in found]
        if any("Reset your password" in m for m in mails):
            break
        assert time.monotonic() < deadline, "no reset mail reached the sink"
        time.sleep(1)
    (reset,) = [m for m in mails if "Reset your password" in m]
    body = email.message_from_string(reset, policy=email.policy.default)
    assert isinstance(body, email.message.EmailMessage)
    text = body.get_body(preferencelist=("plain",))
    assert text is not None
    assert f"{stack.settings['ACCOUNT_LINKS_URL']}/reset-password?token=" in text.get_content()


def test_a_retried_checkout_is_one_payment_whichever_replica_answers(
    stack: ComposeStack,
) -> None:
    _, token = register_and_login(stack.proxy)
    key = f"retry-{uuid.uuid4().hex}"
    payments_before = int(stack.psql("payments", "SELECT count(*) FROM pay_payments")[0])
    sessions_before = len(httpx.get(f"{stack.sandbox}/_sandbox/checkout/sessions").json()["data"])
    answers, upstreams = [], set()
    for attempt in range(12):  # until both replicas have answered this key at least once
        request_id = f"{key}-{attempt}"
        answer = custom_checkout(stack, token, key, **{"X-Request-ID": request_id})
        assert answer.status_code == 201, answer.text
        answers.append(answer.json())
        lines = until(lambda r=request_id: checkouts_logged(stack, r), 5)
        upstreams |= {line["upstream"] for line in lines}
        if len(upstreams) == 2 and attempt >= 2:
            break
    assert upstreams == addresses(stack.payments), upstreams
    assert len({(a["payment_id"], a["session_id"]) for a in answers}) == 1
    payments_after = int(stack.psql("payments", "SELECT count(*) FROM pay_payments")[0])
    sessions_after = len(httpx.get(f"{stack.sandbox}/_sandbox/checkout/sessions").json()["data"])
    assert (payments_after - payments_before, sessions_after - sessions_before) == (1, 1)


def keyed_checkout_until_answered(stack: ComposeStack, token: str, key: str) -> str:
    """A client's checkout: retried with the same Idempotency-Key until it is answered (a
    dead replica's connection error or 502, a key still in progress: 409)."""
    for _ in range(60):
        try:
            answer = custom_checkout(stack, token, key)
        except httpx.HTTPError:
            time.sleep(0.3)
            continue
        if answer.status_code == 201:
            return str(answer.json()["payment_id"])
        assert answer.status_code in (409, 502, 503, 504), answer.text
        time.sleep(0.3)
    raise AssertionError(f"checkout {key} was never answered")


def test_a_payment_replica_killed_mid_stream_loses_and_doubles_no_keyed_checkout(
    stack: ComposeStack,
) -> None:
    _, token = register_and_login(stack.proxy)
    before = int(stack.psql("payments", "SELECT count(*) FROM pay_payments")[0])
    keys = [f"kill-{uuid.uuid4().hex}" for _ in range(24)]
    paid: dict[str, str] = {}
    try:
        for n, key in enumerate(keys):
            if n == 6:  # mid-stream, without warning
                stack.compose("kill", "payment-service-1")
            paid[key] = keyed_checkout_until_answered(stack, token, key)
        after = int(stack.psql("payments", "SELECT count(*) FROM pay_payments")[0])
        assert len(set(paid.values())) == len(keys)  # one payment per key: none lost
        assert after - before == len(keys)  # and none doubled
        # the proxy no longer sends to the dead replica: every read answers
        reads = [httpx.get(f"{stack.proxy}/payments/{p}",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code
                 for p in list(paid.values())[:20]]  # fmt: skip
        assert reads == [200] * 20
    finally:
        stack.compose("up", "-d", "--no-build", "payment-service-1")
        until(lambda: answers(f"{stack.payments[0]}/healthz"), 90)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:  # not listening yet
        return False


# --- operations -----------------------------------------------------------------------------


def test_backup_and_restore_with_pg_dump_and_pg_restore(stack: ComposeStack) -> None:
    """The commands of docs/deployment.md, against the compose services."""
    register_and_login(stack.proxy)
    dump = stack.exec("postgres", "pg_dump", "-U", "platform", "-Fc", "users")
    assert dump.startswith(b"PGDMP")
    stack.exec("postgres", "dropdb", "-U", "platform", "--if-exists", "restore_check")
    stack.exec("postgres", "createdb", "-U", "platform", "restore_check")
    stack.exec("postgres", "pg_restore", "-U", "platform", "-d", "restore_check", stdin=dump)
    count = "SELECT count(*) FROM ums_users"
    assert stack.psql("restore_check", count) == stack.psql("users", count)
    # Over an existing copy, as the restore of docs/deployment.md does.
    clean = ["pg_restore", "-U", "platform", "-d", "restore_check", "--clean", "--if-exists"]
    stack.exec("postgres", *clean, stdin=dump)
    assert stack.psql("restore_check", count) == stack.psql("users", count)
    stack.exec("postgres", "dropdb", "-U", "platform", "restore_check")
    # The signing keys, streamed out of a running replica.
    keys = stack.exec("user-service-1", "tar", "-C", "/var/lib/platform/keys", "-czf", "-", ".")
    listing = subprocess.run(
        ["tar", "-tzf", "-"], input=keys, capture_output=True, check=True
    ).stdout.decode()
    assert any(name.endswith(".pem") for name in listing.split())


def run_role(
    stack: ComposeStack, role: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """A one-off container of the image on the host network, as the Kubernetes Job,
    CronJob and init containers run it."""
    flags = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    docker = ["docker", "run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp"]  # noqa: S108
    return subprocess.run(
        [*docker, *flags, stack.settings["PLATFORM_IMAGE"], role, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_kubernetes_roles_wait_migrations_and_reconcile_work_against_the_stack(
    stack: ComposeStack,
) -> None:
    for target, variable in (
        ("users", "USERS_DATABASE_URL"),
        ("payments", "PAYMENTS_DATABASE_URL"),
        ("web", "WEB_DATABASE_URL"),
    ):
        waited = run_role(stack, "wait-migrations", target, DATABASE_URL=stack.settings[variable])
        assert waited.returncode == 0, waited.stderr
        assert f"{target}: database at head" in waited.stdout
    reconciled = run_role(
        stack,
        "reconcile",
        DATABASE_URL=stack.settings["PAYMENTS_DATABASE_URL"],
        STRIPE_API_KEY=stack.settings["STRIPE_API_KEY"],
        STRIPE_API_BASE=stack.settings["STRIPE_API_BASE"],
        RECONCILE_AFTER_SECONDS="0",
    )
    assert reconciled.returncode == 0, reconciled.stderr[-2000:]
    report = json.loads(reconciled.stdout)
    assert report["errors"] == [], report


def test_a_rolling_restart_of_every_replica_drops_no_read(stack: ComposeStack) -> None:
    """docs/deployment.md's upgrade, replica by replica: recreate it (SIGTERM, drain, a new
    container), wait until it is healthy, reload the proxy, next. Reads keep answering 200
    all along, the web's catalogue too: the proxy passes a refused connection to the other
    replica. The last test of the host-network stack: the recreated containers' logs start
    afresh."""
    _, token = register_and_login(stack.proxy)
    answers: dict[int | str, int] = {}
    stop = threading.Event()
    # A new connection per request: a reload makes nginx's old workers close their idle
    # keep-alive connections, and a client that reuses one at that instant must resend
    # (browsers do for reads); what is measured here is whether the platform refuses or
    # fails a request.
    fresh = httpx.Limits(max_keepalive_connections=0)

    reads = [f"{stack.proxy}/users/me", f"{stack.proxy}/payments", f"{stack.web}/"]

    def traffic() -> None:
        with httpx.Client(timeout=15, headers=bearer(token), limits=fresh) as client:
            while not stop.is_set():
                for url in reads:
                    status: int | str
                    try:
                        status = client.get(url).status_code
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    answers[status] = answers.get(status, 0) + 1

    reader = threading.Thread(target=traffic)
    reader.start()
    started = time.monotonic()
    try:
        for replica in (
            "user-service-1",
            "user-service-2",
            "payment-service-1",
            "payment-service-2",
            "web-1",
            "web-2",
        ):
            stack.compose("up", "-d", "--no-deps", "--force-recreate", replica)
            healthy = until(
                lambda r=replica: stack.inspect(r)["State"]["Health"]["Status"] == "healthy", 60
            )
            assert healthy, replica
            stack.exec("proxy", "/usr/local/bin/entrypoint.sh", "reload")
    finally:
        stop.set()
        reader.join()
    print(f"rolling restart of 6 replicas in {time.monotonic() - started:.0f} s: {answers}")
    assert set(answers) == {200}, answers
    assert answers[200] > 50


def test_compose_down_and_up_again_keeps_every_user_and_payment(stack: ComposeStack) -> None:
    """Last: the sandbox keeps its sessions in its container, which `down` removes."""
    email = f"persist-{uuid.uuid4().hex[:8]}@example.com"
    register_and_login(stack.proxy, email)
    counts = {
        "users": stack.psql("users", "SELECT count(*) FROM ums_users"),
        "payments": stack.psql("payments", "SELECT count(*) FROM pay_payments"),
    }
    stack.compose("down", "--timeout", "10")  # containers and network; the volumes stay
    stack.forget_containers()
    stack.up()
    assert stack.psql("users", "SELECT count(*) FROM ums_users") == counts["users"]
    assert stack.psql("payments", "SELECT count(*) FROM pay_payments") == counts["payments"]
    assert login(stack.proxy, email)  # the signing keys volume stayed too: tokens verify
