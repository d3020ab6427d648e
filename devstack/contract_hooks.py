"""schemathesis hooks of `make contract-test`: the state a generator cannot know.

Loaded by the schemathesis subprocess through SCHEMATHESIS_HOOKS=devstack.contract_hooks;
devstack/contract.py passes what they need in CONTRACT_* environment variables (HOOK_ENV).
Without them some operations never reach their success path: a refresh token, a Stripe
signature, a paid payment, a stored or emitted event, a registered webhook endpoint, a URL
that resolves (there is no network) and a token mailed in a link are all things a generator
cannot invent.

Only every other eligible case is changed, so most still go out as generated and keep probing
the 4xx paths. A refresh token or a path id goes in only where that part was generated valid
(a negative one stays negative) and not in the stateful phase (it keeps its links' values);
the webhook signature goes on every other case, valid body or not, so an invalid body must be
refused on its own merits. schemathesis revalidates a case a hook changed, so its checks judge
what was really sent.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import schemathesis
from schemathesis import Case, HookContext, Response
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

from devstack.auth import login, register
from devstack.contract import HOOK_ENV
from mail_sink.mailbox import wait_for_mail

# Refunds are generated up to 99,999,999 minor units: pay the most one payment may be.
PAID_AMOUNT, PAID_CURRENCY = 99_999_999, "USD"
# Each costs a checkout, a sandbox payment and a webhook round trip (~0.1 s here); a full
# refund uses one up. A budget per phase, so fuzzing still meets money after coverage.
PAID_PAYMENTS_PER_PHASE = 5
# Types the payment service acts on (and one it only stores), for signed generated events.
EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.updated",
    "customer.created",
)
# Ids that survive a trip through a URL path unchanged (a generated id may hold `/` or `..`).
SAFE_PATH_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
TIMEOUT = 15.0


def env(name: str) -> str:
    variable = HOOK_ENV[name]
    value = os.environ.get(variable)
    if not value:
        raise RuntimeError(f"{variable} is not set (devstack/contract.py sets it)")
    return value


def stripe_signature(payload: bytes, secret: str, at: int | None = None) -> str:
    """`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`, as Stripe signs."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass
class PaidPayment:
    id: str
    phase: str
    exhausted: bool = False


@dataclass
class State:
    """What the hooks have set up or learned in this schemathesis process."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counters: dict[str, Iterator[int]] = field(default_factory=dict)
    refresh_tokens: list[str] = field(default_factory=list)
    payments: list[PaidPayment] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    emitted_ids: list[str] = field(default_factory=list)  # outbound events (GET /events)
    endpoint_id: str | None = None  # a webhook endpoint the hooks registered
    sandbox_events_loaded: bool = False
    # Case id -> the value a hook put in, so after_call knows the answer is about it.
    substituted: dict[str, str] = field(default_factory=dict)

    def next_index(self, name: str) -> int:
        return next(self.counters.setdefault(name, itertools.count()))

    def take_turn(self, operation_id: str) -> bool:
        """True for every other eligible case of an operation (deterministic for a seed)."""
        return self.next_index(operation_id) % 2 == 0


STATE = State()


def operation_id(case: Case[Any]) -> str:
    value = case.operation.definition.raw.get("operationId")
    return str(value) if value else case.operation.label


def phase(case: Case[Any]) -> str:
    return case.meta.phase.name.value if case.meta is not None else "unknown"


def generated_valid(case: Case[Any], location: ParameterLocation) -> bool:
    """Whether `location` was generated valid, outside the stateful phase and not in a check's
    probe of another method."""
    meta = case.meta
    if meta is None or meta.phase.name == TestPhase.STATEFUL:
        return False
    if case.method.upper() != case.operation.method.upper():
        return False  # a check's probe of another method (unsupported_method)
    component = meta.components.get(location)
    mode = component.mode if component is not None else meta.generation.mode
    return mode == GenerationMode.POSITIVE


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {env('admin_token')}"}


def pay_one() -> str:
    """A payment made the way a customer makes one: checkout, pay on the sandbox, webhook."""
    base = env("payment_service")
    created = httpx.post(
        f"{base}/checkout-sessions",
        json={
            "custom_amount": {"amount": PAID_AMOUNT, "currency": PAID_CURRENCY},
            "description": "contract-test refunds",
        },
        headers={**admin_headers(), "Idempotency-Key": uuid.uuid4().hex},
        timeout=TIMEOUT,
    )
    created.raise_for_status()
    session = created.json()
    httpx.post(
        f"{env('sandbox')}/_sandbox/checkout/sessions/{session['session_id']}/complete",
        json={"outcome": "paid"},
        timeout=TIMEOUT,
    ).raise_for_status()
    deadline = time.monotonic() + TIMEOUT
    while True:  # the sandbox's webhook marks it succeeded
        payment = httpx.get(
            f"{base}/payments/{session['payment_id']}", headers=admin_headers(), timeout=TIMEOUT
        )
        payment.raise_for_status()
        status = payment.json()["status"]
        if status == "succeeded":
            return str(session["payment_id"])
        if time.monotonic() > deadline:
            raise RuntimeError(f"payment {session['payment_id']} stayed {status} after paying")
        time.sleep(0.05)


def refundable_payment(phase: str) -> str:
    """The newest paid payment with money left, paying a new one once refunds used it up."""
    live = [p for p in STATE.payments if not p.exhausted]
    if live:
        return live[-1].id
    if sum(p.phase == phase for p in STATE.payments) >= PAID_PAYMENTS_PER_PHASE:
        return STATE.payments[-1].id  # out of budget: the 409 path is tested instead
    STATE.payments.append(PaidPayment(pay_one(), phase))
    return STATE.payments[-1].id


def stored_event_ids() -> list[str]:
    """Events the payment service has stored: the sandbox's deliveries for a paid payment (real
    checkout events, so a replay walks the payment path), then those our signed cases stored."""
    if not STATE.sandbox_events_loaded:
        if not STATE.payments:
            STATE.payments.append(PaidPayment(pay_one(), "setup"))
        deliveries = httpx.get(f"{env('sandbox')}/_sandbox/deliveries", timeout=TIMEOUT)
        deliveries.raise_for_status()
        delivered = [d["event_id"] for d in deliveries.json()["data"] if d["status"] == "delivered"]
        if not delivered:
            raise RuntimeError("the sandbox delivered no event for the paid payment")
        STATE.event_ids[:0] = [i for i in delivered if i not in STATE.event_ids]
        STATE.sandbox_events_loaded = True
    return STATE.event_ids


def emitted_event_ids() -> list[str]:
    """Outbound events the payment service emitted: a paid payment's, paying one first."""
    if not STATE.emitted_ids:
        if not STATE.payments:
            STATE.payments.append(PaidPayment(pay_one(), "setup"))
        page = httpx.get(
            f"{env('payment_service')}/events", headers=admin_headers(), timeout=TIMEOUT
        )
        page.raise_for_status()
        STATE.emitted_ids = [str(e["id"]) for e in page.json()["data"]]
        if not STATE.emitted_ids:
            raise RuntimeError("a paid payment emitted no event")
    return STATE.emitted_ids


def fresh_refresh_token() -> str | None:
    """One nobody else holds: a chain of our own rotations, a new login when it breaks.

    None when that login is throttled (429): the fuzzing phase's failed logins from this same
    address can trip the per-address limit. The case then goes out as generated; the summary
    still fails the run if refreshToken never got its 200.
    """
    if not STATE.refresh_tokens:
        try:
            pair = login(env("user_service"), env("customer_email"), env("customer_password"))
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 429:
                raise
            print("contract_hooks: login throttled (429), case left as generated", file=sys.stderr)
            return None
        STATE.refresh_tokens.append(pair.refresh_token)
    return STATE.refresh_tokens.pop()


def sign_webhook(case: Case[Any], kwargs: dict[str, Any]) -> None:
    """Sign the generated body (valid or not) with the secret the service trusts: a valid one
    must then be stored (200), an invalid one still rejected."""
    if case.method.upper() != "POST" or not STATE.take_turn("receiveStripeWebhook"):
        return
    if not isinstance(case.body, dict | list | str | int | float | bool):
        return  # no JSON spelling to sign (NotSet, bytes)
    if (
        isinstance(case.body, dict)
        and generated_valid(case, ParameterLocation.BODY)
        and STATE.take_turn("webhook_envelope")
    ):
        # StripeEvent lets `id`/`type` be any string ("" too, which the service refuses), so
        # a signed valid body alone may never be stored: every other one gets a fresh id and
        # a type the service acts on around its generated `data`, which must not break it.
        n = STATE.next_index("webhook_ids")
        case.body = {
            **case.body,
            "id": f"evt_contract_{n}",
            "type": EVENT_TYPES[n % len(EVENT_TYPES)],
        }
    payload = json.dumps(case.body).encode()
    kwargs["data"] = payload  # sent verbatim: the signature covers these exact bytes
    case.headers["Stripe-Signature"] = stripe_signature(payload, env("webhook_secret"))


def use_refresh_token(case: Case[Any], kwargs: dict[str, Any]) -> None:
    if not isinstance(case.body, dict) or not generated_valid(case, ParameterLocation.BODY):
        return
    if STATE.take_turn("refreshToken") and (token := fresh_refresh_token()) is not None:
        case.body = {**case.body, "refresh_token": token}
        STATE.substituted[case.id] = "refresh_token"


def use_paid_payment(case: Case[Any], kwargs: dict[str, Any]) -> None:
    if generated_valid(case, ParameterLocation.PATH) and STATE.take_turn("createRefund"):
        payment_id = refundable_payment(phase(case))
        case.path_parameters = {**case.path_parameters, "payment_id": payment_id}
        STATE.substituted[case.id] = payment_id


def use_stored_event(case: Case[Any], kwargs: dict[str, Any]) -> None:
    """replayWebhookEvent, getWebhookEvent: a stored event in every other valid case."""
    if generated_valid(case, ParameterLocation.PATH) and STATE.take_turn(operation_id(case)):
        ids = stored_event_ids()
        event_id = ids[STATE.next_index("event_ids") % len(ids)]  # each in turn
        case.path_parameters = {**case.path_parameters, "event_id": event_id}


def use_emitted_event(case: Case[Any], kwargs: dict[str, Any]) -> None:
    if generated_valid(case, ParameterLocation.PATH) and STATE.take_turn("getEvent"):
        ids = emitted_event_ids()
        event_id = ids[STATE.next_index("emitted_ids") % len(ids)]
        case.path_parameters = {**case.path_parameters, "event_id": event_id}


def loopback_url() -> str:
    """A URL the contract stack's policy accepts (loopback over HTTP), unique: one endpoint per
    URL. Nothing listens on port 9 (discard): deliveries fail and are retried, harmlessly."""
    return f"http://127.0.0.1:9/contract/{uuid.uuid4().hex}"


def new_endpoint() -> str:
    answer = httpx.post(
        f"{env('payment_service')}/webhook-endpoints",
        json={"url": loopback_url(), "event_types": ["*"], "description": "contract-test"},
        headers=admin_headers(),
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


def shared_endpoint() -> str:
    if STATE.endpoint_id is None:
        STATE.endpoint_id = new_endpoint()
    return STATE.endpoint_id


def use_loopback_url(case: Case[Any], kwargs: dict[str, Any]) -> None:
    """createWebhookEndpoint, updateWebhookEndpoint: a generated host does not resolve here (no
    network), so every other valid body gets a URL that does; a PATCH keeps its own id."""
    if (
        isinstance(case.body, dict)
        and generated_valid(case, ParameterLocation.BODY)
        and STATE.take_turn(f"{operation_id(case)}:url")
        and (operation_id(case) == "createWebhookEndpoint" or "url" in case.body)
    ):
        case.body = {**case.body, "url": loopback_url()}
    if operation_id(case) == "updateWebhookEndpoint":
        use_endpoint(case, kwargs)


def use_endpoint(case: Case[Any], kwargs: dict[str, Any]) -> None:
    """An endpoint that exists in every other valid case: one shared by the reads and changes;
    a new one for each delete and retry (a delete removes it, a PATCH may disable it)."""
    if not generated_valid(case, ParameterLocation.PATH) or not STATE.take_turn(operation_id(case)):
        return
    name = operation_id(case)
    fresh = name in ("deleteWebhookEndpoint", "retryWebhookDelivery")
    chosen = {"endpoint_id": new_endpoint() if fresh else shared_endpoint()}
    if name == "retryWebhookDelivery":
        ids = emitted_event_ids()
        chosen["event_id"] = ids[STATE.next_index("emitted_ids") % len(ids)]
    case.path_parameters = {**case.path_parameters, **chosen}


# Each costs a registration (an Argon2 hash), a queued mail and its trip through the sink.
MAILED_TOKENS_PER_OPERATION = 6
MAIL_SUBJECTS = {"resetPassword": "Reset your password", "verifyEmail": "Confirm your email"}


def mailed_token(name: str) -> str:
    """A fresh account's reset or verification token, read from the link mailed to it (a
    fresh account each time: reset links are limited per address and hour)."""
    email = f"contract-{uuid.uuid4().hex[:12]}@example.com"
    base = env("user_service")
    register(base, email, secrets.token_urlsafe(18), "Contract Mail")
    if name == "resetPassword":
        asked = httpx.post(f"{base}/auth/password-reset", json={"email": email}, timeout=TIMEOUT)
        asked.raise_for_status()
    mail = wait_for_mail(Path(env("mail_dir")), email, MAIL_SUBJECTS[name], timeout=TIMEOUT)
    return mail.link_token("reset-password" if name == "resetPassword" else "verify-email")


def use_mailed_token(case: Case[Any], kwargs: dict[str, Any]) -> None:
    """resetPassword, verifyEmail: a token no generator can guess, in every other valid body,
    up to a budget per operation."""
    name = operation_id(case)
    if not isinstance(case.body, dict) or not generated_valid(case, ParameterLocation.BODY):
        return
    if STATE.take_turn(name) and STATE.next_index(f"{name}:mailed") < MAILED_TOKENS_PER_OPERATION:
        case.body = {**case.body, "token": mailed_token(name)}


# Each costs a registration and a login (two Argon2 hashes) and, past the first step, an
# enrolment: a fresh account per case, because a factor changes what its owner's calls do.
MFA_ACCOUNTS_PER_OPERATION = 6


@dataclass
class MfaAccount:
    id: str
    password: str
    token: str
    secret: str | None = None
    recovery_codes: list[str] = field(default_factory=list)


def mfa_account(steps: int) -> MfaAccount:
    """A fresh account: signed in (steps 0), its enrolment started (1), or confirmed (2)."""
    base = env("user_service")
    email, password = f"contract-mfa-{uuid.uuid4().hex[:12]}@example.com", secrets.token_urlsafe(18)
    user_id = register(base, email, password, "Contract MFA")
    account = MfaAccount(user_id, password, login(base, email, password).access_token)
    headers = {"Authorization": f"Bearer {account.token}"}
    if steps >= 1:
        started = httpx.post(f"{base}/users/me/mfa/totp", headers=headers,
                             json={"current_password": password}, timeout=TIMEOUT)  # fmt: skip
        started.raise_for_status()
        account.secret = str(started.json()["secret"])
    if steps >= 2 and account.secret is not None:
        confirmed = httpx.post(f"{base}/users/me/mfa/totp/confirm", headers=headers,
                               json={"code": pyotp.TOTP(account.secret).now()},
                               timeout=TIMEOUT)  # fmt: skip
        confirmed.raise_for_status()
        account.recovery_codes = list(confirmed.json()["recovery_codes"])
    return account


def act_as(case: Case[Any], kwargs: dict[str, Any], token: str) -> None:
    """Send the case with another account's token instead of the admin's: the run's `-H`
    header wins over the case's, but requests applies `auth` after every header."""
    bearer = f"Bearer {token}"

    def sign(request: Any) -> Any:
        request.headers["Authorization"] = bearer
        return request

    case.headers["Authorization"] = bearer  # what the checks see
    kwargs["auth"] = sign


def use_mfa_account(case: Case[Any], kwargs: dict[str, Any]) -> None:
    """The TOTP operations: in every other valid case, up to a budget, a fresh account at the
    step the operation needs, with what only its owner knows (password, a current code, a
    recovery code). resetUserMfa keeps the admin's token and names the enrolled account."""
    name = operation_id(case)
    location = ParameterLocation.PATH if name == "resetUserMfa" else ParameterLocation.BODY
    if not generated_valid(case, location) or not STATE.take_turn(name):
        return
    if STATE.next_index(f"{name}:accounts") >= MFA_ACCOUNTS_PER_OPERATION:
        return
    if name == "resetUserMfa":
        case.path_parameters = {**case.path_parameters, "user_id": mfa_account(2).id}
        return
    if not isinstance(case.body, dict):
        return
    if name == "startTotpEnrolment":
        account = mfa_account(0)
        case.body = {**case.body, "current_password": account.password}
    elif name == "confirmTotpEnrolment":
        account = mfa_account(1)
        case.body = {**case.body, "code": pyotp.TOTP(account.secret or "").now()}
    else:  # disableTotp: a recovery code (the current step's code was spent confirming)
        account = mfa_account(2)
        case.body = {**case.body, "code": account.recovery_codes[0]}
    act_as(case, kwargs, account.token)


BEFORE_CALL = {
    "receiveStripeWebhook": sign_webhook,
    "refreshToken": use_refresh_token,
    "resetPassword": use_mailed_token,
    "verifyEmail": use_mailed_token,
    "startTotpEnrolment": use_mfa_account,
    "confirmTotpEnrolment": use_mfa_account,
    "disableTotp": use_mfa_account,
    "resetUserMfa": use_mfa_account,
    "createRefund": use_paid_payment,
    "replayWebhookEvent": use_stored_event,
    "getWebhookEvent": use_stored_event,
    "getEvent": use_emitted_event,
    "createWebhookEndpoint": use_loopback_url,
    "updateWebhookEndpoint": use_loopback_url,
    "getWebhookEndpoint": use_endpoint,
    "deleteWebhookEndpoint": use_endpoint,
    "rotateWebhookEndpointSecret": use_endpoint,
    "listWebhookDeliveries": use_endpoint,
    "listDeliveryAttempts": use_endpoint,
    "retryWebhookDelivery": use_endpoint,
}


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """Put the state in before the request goes out (see the module docstring for the rule)."""
    prepare = BEFORE_CALL.get(operation_id(case))
    if prepare is not None:
        with STATE.lock:
            prepare(case, kwargs)


@schemathesis.hook
def after_call(context: HookContext, case: Case[Any], response: Response) -> None:
    """Learn from the answers: rotated refresh tokens, used-up payments, stored events."""
    name = operation_id(case)
    with STATE.lock:
        substituted = STATE.substituted.pop(case.id, None)
        if name == "refreshToken" and substituted and response.status_code == 200:
            STATE.refresh_tokens.append(str(response.json()["refresh_token"]))
        elif name == "createRefund" and substituted and response.status_code in (409, 422):
            for payment in STATE.payments:
                if payment.id == substituted and not payment.exhausted:
                    payment.exhausted = used_up(payment.id)
        elif name == "receiveStripeWebhook" and response.status_code == 200:
            event_id = str(response.json().get("event_id", ""))
            if SAFE_PATH_ID.match(event_id) and event_id not in STATE.event_ids:
                STATE.event_ids.append(event_id)


def used_up(payment_id: str) -> bool:
    """Whether refunds have (all but) emptied it. A 409 or 422 alone does not say: it is also a
    reused Idempotency-Key or an invalid body."""
    answer = httpx.get(
        f"{env('payment_service')}/payments/{payment_id}", headers=admin_headers(), timeout=TIMEOUT
    )
    answer.raise_for_status()
    payment = answer.json()
    left = int(payment["amount"]["amount"]) - int(payment["refunded_amount"]["amount"])
    return payment["status"] == "refunded" or left < PAID_AMOUNT // 100
