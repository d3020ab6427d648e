"""Delivery of one outbound event: a signed HTTP POST to a URL a merchant registered.

A merchant chooses the URL, so it must not aim our servers at our own network (SSRF). The URL
is checked at registration (`check_url`) and its host is resolved and checked AGAIN at every
delivery, then the POST goes to the very address that was checked (pinned), so a DNS answer
that changes between check and connect cannot redirect the request. Redirects are not followed
and the answer is read only up to a bound.
"""

from __future__ import annotations

import base64
import ipaddress
import math
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from secrets import token_bytes

import httpx
from standardwebhooks import Webhook

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
# Refused whatever the policy: the cloud instance metadata service hands out credentials.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
# IPv6 prefixes whose last 32 bits are an IPv4 address the packet ends up at (RFC 6052, 8215).
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
LOCAL_NAME_SUFFIXES = (".localhost", ".internal")
# Framing headers are ours to set: a caller's value could desynchronise the request.
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class UnsafeUrlError(Exception):
    """The URL may not receive webhooks; `reason` says why in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableHostError(UnsafeUrlError):
    """The host has no address (at delivery time a network problem, not a policy refusal)."""


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False
    allow_private: bool = False


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None
    ok: bool
    refused: bool = False


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for TCP, each once, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 one actually reaches, with the name of the wrapping form."""
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped form", address.ipv4_mapped
    if any(address in prefix for prefix in NAT64):
        return "a NAT64 form", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return "a 6to4 form", address.sixtofour
    return None


def _always_refused(address: IPAddress) -> str | None:
    if address.is_unspecified:
        return "the unspecified address"
    if address in METADATA_ADDRESSES:
        return "the cloud metadata address"
    return None


def _non_public(address: IPAddress) -> str | None:
    """Why the address is not a public one (loopback, private, ...), or None when it is."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "a shared (CGNAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


def address_problem(address: IPAddress, policy: UrlPolicy) -> str | None:
    """Why `policy` refuses the address, as a noun phrase ("a private address"), or None."""
    target: IPAddress = address
    wrapper = ""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            form, target = embedded
            wrapper = f"{form} of {target}, "
    problem = _always_refused(target) or _always_refused(address)
    if problem is None and not policy.allow_private:
        problem = _non_public(target)
    return None if problem is None else wrapper + problem


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # ASCII (IDNA) form, without IPv6 brackets
    port: int
    literal: IPAddress | None


def _parse(url: str, policy: UrlPolicy) -> _Target:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeUrlError(f"is not a valid URL ({exc})") from exc
    if parsed.scheme not in ("http", "https") or not parsed.is_absolute_url:
        raise UnsafeUrlError("must be an absolute http(s) URL")
    if parsed.scheme == "http" and not policy.allow_http:
        raise UnsafeUrlError("must use https")
    if parsed.userinfo:
        raise UnsafeUrlError("must not contain credentials (user:pass@)")
    if parsed.fragment or "#" in url:
        raise UnsafeUrlError("must not contain a fragment (#...)")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise UnsafeUrlError("has no host")
    name = host.rstrip(".").lower()
    if not policy.allow_private and (name == "localhost" or name.endswith(LOCAL_NAME_SUFFIXES)):
        raise UnsafeUrlError(f"{name} is a local-only name")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return _Target(url=parsed, host=host, port=port, literal=literal)


def _checked_addresses(target: _Target, policy: UrlPolicy, resolve: Resolver) -> list[IPAddress]:
    """Every address of the host, each allowed by the policy; raises UnsafeUrlError."""
    if target.literal is not None:
        problem = address_problem(target.literal, policy)
        if problem is not None:
            raise UnsafeUrlError(f"{target.literal} is {problem}")
        return [target.literal]
    try:
        answers = resolve(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHostError(f"{target.host} does not resolve") from exc
    if not answers:
        raise UnresolvableHostError(f"{target.host} does not resolve")
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError as exc:
            raise UnsafeUrlError(f"resolves to {answer!r}, not an IP address") from exc
        problem = address_problem(address, policy)
        if problem is not None:
            raise UnsafeUrlError(f"resolves to {address}, {problem}")
        addresses.append(address)
    return addresses


def check_url(url: str, policy: UrlPolicy, *, resolve: Resolver = system_resolver) -> None:
    """Raise UnsafeUrlError unless `url` may be registered to receive webhooks under `policy`."""
    _checked_addresses(_parse(url, policy), policy, resolve)


def _refused_connection(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "refused" in str(exc).lower()


class WebhookSender:
    """POSTs events to merchants' URLs through one pooled, thread-safe httpx client."""

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        timeout_seconds: float = 10.0,
        max_response_bytes: int = 64 * 1024,
        max_excerpt: int = 1024,
        user_agent: str = "payment-platform-webhooks/3",
        resolve: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.timeout_seconds = timeout_seconds
        self.max_response_bytes = max_response_bytes
        self.max_excerpt = max_excerpt
        self.user_agent = user_agent
        self.resolve = resolve
        # trust_env=False: a proxy from the environment would connect to the NAME, not the
        # address we checked, and would be the one to follow where it leads.
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_seconds),
            trust_env=False,
            headers={"User-Agent": user_agent},
        )

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        """Deliver `body` to `url` once; every outcome, network failures too, is an Attempt."""
        started = time.monotonic()

        def attempt(
            error: str | None,
            *,
            status: int | None = None,
            excerpt: str | None = None,
            refused: bool = False,
        ) -> Attempt:
            latency = round((time.monotonic() - started) * 1000)
            ok = status is not None and 200 <= status < 300
            return Attempt(status, latency, error, excerpt, ok, refused)

        try:
            target = _parse(url, self.policy)
            addresses = _checked_addresses(target, self.policy, self.resolve)
        except UnresolvableHostError as exc:
            return attempt(exc.reason)
        except UnsafeUrlError as exc:
            return attempt(f"refused: {exc.reason}", refused=True)

        try:
            request = self._build_request(target, addresses[0], body, headers)
        except httpx.InvalidURL as exc:  # e.g. a scoped IPv6 address cannot be a URL host
            return attempt(f"cannot address {addresses[0]}: {exc}")
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            return attempt(f"timeout after {self.timeout_seconds} s")
        except httpx.ConnectError as exc:
            if _refused_connection(exc):
                return attempt("connection refused")
            return attempt(f"cannot connect: {exc or type(exc).__name__}")
        except httpx.HTTPError as exc:
            return attempt(f"{type(exc).__name__}: {exc}")
        try:
            excerpt = self._read_excerpt(response, deadline=started + self.timeout_seconds)
        finally:
            response.close()  # an unfinished stream closes the connection instead of pooling it
        status = response.status_code
        if 200 <= status < 300:
            error = None
        elif 300 <= status < 400:
            error = f"redirect ({status}) not followed"
        else:
            error = f"answered {status}"
        return attempt(error, status=status, excerpt=excerpt)

    def _build_request(
        self, target: _Target, address: IPAddress, body: bytes, headers: Mapping[str, str]
    ) -> httpx.Request:
        https = target.url.scheme == "https"
        host_header = f"[{target.host}]" if ":" in target.host else target.host
        if target.url.port is not None:
            host_header = f"{host_header}:{target.url.port}"
        merged = httpx.Headers({"Content-Type": "application/json"})
        for name, value in headers.items():
            if name.lower() not in RESERVED_HEADERS:
                merged[name] = value
        merged["User-Agent"] = self.user_agent
        merged["Host"] = host_header
        # Raw bytes are read and bounded: a compressed answer could inflate past the bound.
        merged["Accept-Encoding"] = "identity"
        if https:
            # The pool keys connections by address only: one verified for another name that
            # shares the address must not carry this request, so TLS connections are not kept.
            merged["Connection"] = "close"
        return self._client.build_request(
            "POST",
            target.url.copy_with(host=str(address)),
            content=body,
            headers=merged,
            extensions={"sni_hostname": target.host} if https else {},
        )

    def _read_excerpt(self, response: httpx.Response, *, deadline: float) -> str:
        """The start of the answer, read up to max_response_bytes and no later than `deadline`."""
        received = bytearray()
        try:
            for chunk in response.iter_raw():
                received += chunk
                if len(received) >= self.max_response_bytes or time.monotonic() > deadline:
                    break
        except httpx.StreamConsumed:  # a transport that hands over an already-read answer
            received = bytearray(response.content[: self.max_response_bytes])
        except httpx.HTTPError:
            pass  # the status already says what the receiver decided; the body is only a hint
        text = bytes(received[: self.max_response_bytes]).decode("utf-8", errors="replace")
        return text[: self.max_excerpt]

    def close(self) -> None:
        self._client.close()


def sign(secrets: Sequence[str], msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of `body` (the exact text sent), signed under every secret.

    During a rotation the old and the new secret both sign, so receivers that know either verify.
    """
    if isinstance(secrets, str):
        raise TypeError("secrets must be a sequence of secrets, not one string")
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    # The library replaces tzinfo with UTC rather than converting: hand it UTC already.
    when = timestamp.replace(tzinfo=UTC) if timestamp.tzinfo is None else timestamp.astimezone(UTC)
    signatures = " ".join(Webhook(secret).sign(msg_id, when, body) for secret in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(when.timestamp())),
        "webhook-signature": signatures,
    }


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form."""
    return "whsec_" + base64.b64encode(token_bytes(32)).decode("ascii")


class SignedWebhookTransport:
    """The domain's WebhookTransport: the URL policy, signing and one POST per attempt."""

    def __init__(self, sender: WebhookSender) -> None:
        self.sender = sender

    def url_problem(self, url: str) -> str | None:
        try:
            check_url(url, self.sender.policy, resolve=self.sender.resolve)
        except UnsafeUrlError as exc:
            return exc.reason
        return None

    def deliver(
        self, url: str, payload: str, secrets: Sequence[str], msg_id: str, timestamp: datetime
    ) -> Attempt:
        headers = sign(secrets, msg_id, timestamp, payload)
        return self.sender.send(url, payload.encode(), headers)

    def new_secret(self) -> str:
        return new_secret()
