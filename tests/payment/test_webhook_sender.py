"""The webhook sender: which URLs it refuses, and how one delivery behaves against a real
HTTP(S) receiver on loopback (pinned address, no redirects, bounded answer, timeout, signing)."""

from __future__ import annotations

import base64
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from payment_api.gateways.webhook_sender import (
    Attempt,
    Resolver,
    UnsafeUrlError,
    UrlPolicy,
    WebhookSender,
    check_url,
    new_secret,
    sign,
    system_resolver,
)

LOOPBACK_OK = UrlPolicy(allow_http=True, allow_private=True)
PUBLIC_IP = "93.184.216.34"
BIG_ANSWER = 1024 * 1024
TIMEOUT = 0.5


def resolver(*addresses: str) -> Resolver:
    """A fake DNS: every name resolves to `addresses`."""
    return lambda host, port: list(addresses)


def no_resolution(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def must_not_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"an IP literal was resolved: {host}")


def refusal(url: str, policy: UrlPolicy, resolve: Resolver = must_not_resolve) -> str:
    with pytest.raises(UnsafeUrlError) as caught:
        check_url(url, policy, resolve=resolve)
    return caught.value.reason


# --- the receiver ------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A threaded HTTP(S) server on 127.0.0.1 that records every request it reads."""

    server: ThreadingHTTPServer
    scheme: str = "http"
    requests: list[Received] = field(default_factory=list)
    verify_secret: str | None = None
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the sender's pool really reuses connections
    server: ReceiverServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
        if self.path == "/ok":
            self.answer(200, b"thanks \xe2\x9c\x93")
        elif self.path == "/fail":
            self.answer(500, b"boom")
        elif self.path == "/redirect":
            self.answer(302, headers={"Location": receiver.url("/target")})
        elif self.path == "/slow":
            receiver.release.wait(10)
            self.answer(200, b"late")
        elif self.path == "/big":
            self.answer(200, b"x" * BIG_ANSWER)
        elif self.path == "/verify":
            assert receiver.verify_secret is not None
            try:
                Webhook(receiver.verify_secret).verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                self.answer(401, str(exc).encode())
            else:
                self.answer(204)
        else:
            self.answer(404)


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the sender hanging up on a big or slow answer is expected


@pytest.fixture
def start_receiver() -> Iterator[Any]:
    started: list[tuple[Receiver, threading.Thread]] = []

    def start(context: ssl.SSLContext | None = None) -> Receiver:
        server = ReceiverServer(("127.0.0.1", 0), Handler)
        receiver = Receiver(server)
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
            receiver.scheme = "https"
        server.receiver = receiver
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        started.append((receiver, thread))
        return receiver

    yield start
    for receiver, thread in started:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(5)


@pytest.fixture
def receiver(start_receiver: Any) -> Receiver:
    started: Receiver = start_receiver()
    return started


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    made = WebhookSender(LOOPBACK_OK, timeout_seconds=TIMEOUT)
    yield made
    made.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- check_url -----------------------------------------------------------------------------------


def test_check_url_refuses_plain_http_unless_allowed() -> None:
    assert refusal(f"http://{PUBLIC_IP}/hooks", UrlPolicy()) == "must use https"
    check_url(f"http://{PUBLIC_IP}/hooks", UrlPolicy(allow_http=True), resolve=must_not_resolve)


def test_check_url_refuses_credentials_in_the_url() -> None:
    assert "credentials" in refusal(f"https://user:pass@{PUBLIC_IP}/hooks", UrlPolicy())


def test_check_url_refuses_a_fragment_a_relative_url_another_scheme_and_a_long_url() -> None:
    assert "fragment" in refusal(f"https://{PUBLIC_IP}/hooks#top", UrlPolicy())
    assert "absolute" in refusal("/hooks", UrlPolicy())
    assert "absolute" in refusal(f"ftp://{PUBLIC_IP}/hooks", UrlPolicy())
    assert "2048" in refusal(f"https://{PUBLIC_IP}/" + "a" * 2048, UrlPolicy())


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("172.16.0.9", "172.16.0.9 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("[::1]", "::1 is a loopback address"),
        ("[fe80::1]", "fe80::1 is a link-local address"),
        ("[fc00::5]", "fc00::5 is a private address"),
        ("169.254.10.10", "169.254.10.10 is a link-local address"),
        ("[::ffff:10.0.0.1]", "an IPv4-mapped form of 10.0.0.1, a private address"),
        ("[64:ff9b::10.0.0.1]", "a NAT64 form of 10.0.0.1, a private address"),
        ("100.64.0.1", "100.64.0.1 is a shared (CGNAT) address"),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("[::]", ":: is the unspecified address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
    ],
)
def test_check_url_refuses_each_non_public_address_class(host: str, expected: str) -> None:
    assert expected in refusal(f"https://{host}/hooks", UrlPolicy())


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]", "0.0.0.0", "[::]"]
)
def test_check_url_refuses_metadata_and_unspecified_even_with_allow_private(host: str) -> None:
    reason = refusal(f"http://{host}/latest/meta-data/", LOOPBACK_OK)
    assert "metadata" in reason or "unspecified" in reason


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST.", "api.localhost", "db.internal"])
def test_check_url_refuses_local_only_names_before_resolving(name: str) -> None:
    assert "local-only name" in refusal(f"https://{name}/hooks", UrlPolicy())


def test_check_url_refuses_a_name_when_any_of_its_addresses_is_private() -> None:
    reason = refusal(
        "https://hooks.example.com/x", UrlPolicy(), resolver(PUBLIC_IP, "192.168.7.7", "8.8.8.8")
    )
    assert reason == "resolves to 192.168.7.7, a private address"


def test_check_url_refuses_the_metadata_address_behind_a_name_even_with_allow_private() -> None:
    reason = refusal("http://hooks.example.com/x", LOOPBACK_OK, resolver("169.254.169.254"))
    assert reason == "resolves to 169.254.169.254, the cloud metadata address"


def test_check_url_refuses_a_name_that_does_not_resolve() -> None:
    assert refusal("https://nowhere.example/x", UrlPolicy(), no_resolution) == (
        "nowhere.example does not resolve"
    )
    assert "does not resolve" in refusal("https://empty.example/x", UrlPolicy(), resolver())


def test_check_url_catches_obfuscated_ipv4_forms_through_the_system_resolver() -> None:
    # Not IP literals to the URL parser, but the C resolver reads them as 127.0.0.1.
    for host in ("2130706433", "127.1", "0x7f.0.0.1"):
        reason = refusal(f"http://{host}/x", UrlPolicy(allow_http=True), resolve=system_resolver)
        assert reason == "resolves to 127.0.0.1, a loopback address"


def test_check_url_allows_a_public_address_and_a_name_resolving_to_public_ones() -> None:
    check_url(f"https://{PUBLIC_IP}/hooks?v=1", UrlPolicy(), resolve=must_not_resolve)
    check_url(
        "https://hooks.example.com:8443/in",
        UrlPolicy(),
        resolve=resolver(PUBLIC_IP, "2606:2800:220:1:248:1893:25c8:1946"),
    )


def test_check_url_allows_loopback_http_with_allow_private_and_allow_http() -> None:
    check_url(f"http://127.0.0.1:{free_port()}/hooks", LOOPBACK_OK, resolve=must_not_resolve)
    check_url("http://localhost:8080/hooks", LOOPBACK_OK, resolve=resolver("127.0.0.1", "::1"))


# --- send() against a real receiver ------------------------------------------------------------


def test_send_a_2xx_answer_is_ok_with_the_body_as_excerpt(
    sender: WebhookSender, receiver: Receiver
) -> None:
    attempt = sender.send(receiver.url("/ok"), b'{"type":"payment.succeeded"}', {"X-Extra": "1"})

    assert (attempt.ok, attempt.status_code, attempt.error) == (True, 200, None)
    assert attempt.excerpt == "thanks \u2713"
    assert attempt.latency_ms >= 0
    assert not attempt.refused
    [seen] = receiver.requests
    assert seen.body == b'{"type":"payment.succeeded"}'
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"] == "payment-platform-webhooks/3"
    assert seen.headers["X-Extra"] == "1"


def test_send_a_500_answer_is_not_ok(sender: WebhookSender, receiver: Receiver) -> None:
    attempt = sender.send(receiver.url("/fail"), b"{}", {})
    assert (attempt.ok, attempt.status_code, attempt.error) == (False, 500, "answered 500")
    assert attempt.excerpt == "boom"


def test_send_does_not_follow_a_redirect(sender: WebhookSender, receiver: Receiver) -> None:
    attempt = sender.send(receiver.url("/redirect"), b"{}", {})

    assert (attempt.ok, attempt.status_code) == (False, 302)
    assert attempt.error == "redirect (302) not followed"
    assert receiver.paths() == ["/redirect"]  # the target received nothing


def test_send_gives_up_on_a_receiver_slower_than_the_timeout(
    sender: WebhookSender, receiver: Receiver
) -> None:
    attempt = sender.send(receiver.url("/slow"), b"{}", {})

    assert attempt == Attempt(None, attempt.latency_ms, f"timeout after {TIMEOUT} s", None, False)
    assert receiver.paths() == ["/slow"]


class CountingTransport(httpx.BaseTransport):
    """The real transport, counting the answer bytes the sender actually pulled."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.pulled = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        inner_stream = response.stream
        counter = self

        class Counting(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                for chunk in inner_stream:
                    counter.pulled += len(chunk)
                    yield chunk

            def close(self) -> None:
                inner_stream.close()

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=Counting(),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


def test_send_reads_a_big_answer_only_up_to_max_response_bytes(receiver: Receiver) -> None:
    transport = CountingTransport()
    sender = WebhookSender(
        LOOPBACK_OK, max_response_bytes=16 * 1024, max_excerpt=100, transport=transport
    )
    try:
        attempt = sender.send(receiver.url("/big"), b"{}", {})
        again = sender.send(receiver.url("/ok"), b"{}", {})  # the cut connection is not reused
    finally:
        sender.close()

    assert (attempt.ok, attempt.status_code) == (True, 200)
    assert attempt.excerpt == "x" * 100
    # At most one transport read past the bound, far from the whole megabyte.
    assert transport.pulled <= 16 * 1024 + 64 * 1024 + len(b"thanks \xe2\x9c\x93")
    assert again.ok


def test_send_to_a_closed_port_is_connection_refused(sender: WebhookSender) -> None:
    attempt = sender.send(f"http://127.0.0.1:{free_port()}/hooks", b"{}", {})
    assert attempt == Attempt(None, attempt.latency_ms, "connection refused", None, False)


def test_send_refuses_when_the_name_now_resolves_to_a_private_address(receiver: Receiver) -> None:
    sender = WebhookSender(UrlPolicy(allow_http=True), resolve=resolver("10.0.0.5"))
    try:
        attempt = sender.send(receiver.url("/ok", host="hooks.example.test"), b"{}", {})
    finally:
        sender.close()

    assert attempt.refused
    assert (attempt.ok, attempt.status_code, attempt.excerpt) == (False, None, None)
    assert attempt.error == "refused: resolves to 10.0.0.5, a private address"
    assert receiver.requests == []


def test_send_refuses_when_any_address_is_refused_even_if_the_first_is_the_receiver(
    receiver: Receiver,
) -> None:
    sender = WebhookSender(LOOPBACK_OK, resolve=resolver("127.0.0.1", "169.254.169.254"))
    try:
        attempt = sender.send(receiver.url("/ok", host="hooks.example.test"), b"{}", {})
    finally:
        sender.close()

    assert attempt.refused
    assert attempt.error == "refused: resolves to 169.254.169.254, the cloud metadata address"
    assert receiver.requests == []


def test_send_a_name_that_no_longer_resolves_is_an_error_not_a_refusal() -> None:
    sender = WebhookSender(UrlPolicy(), resolve=no_resolution)
    try:
        attempt = sender.send("https://gone.example/hooks", b"{}", {})
    finally:
        sender.close()
    assert (attempt.refused, attempt.error) == (False, "gone.example does not resolve")


def test_send_pins_the_resolved_address_and_keeps_the_name_in_the_host_header(
    receiver: Receiver,
) -> None:
    sender = WebhookSender(LOOPBACK_OK, resolve=resolver("127.0.0.1"))
    try:
        attempt = sender.send(
            receiver.url("/ok", host="hooks.example.test"), b"{}", {"Host": "evil.example"}
        )
    finally:
        sender.close()

    assert attempt.ok
    [seen] = receiver.requests
    assert seen.headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_send_https_request_targets_the_ip_with_the_name_as_host_and_sni() -> None:
    captured: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(204)

    sender = WebhookSender(
        UrlPolicy(), resolve=resolver(PUBLIC_IP), transport=httpx.MockTransport(answer)
    )
    try:
        attempt = sender.send(
            "https://hooks.example.com/in?x=1", b"{}", {"Content-Length": "999", "X-A": "b"}
        )
    finally:
        sender.close()

    assert attempt.ok
    [request] = captured
    assert str(request.url) == f"https://{PUBLIC_IP}/in?x=1"
    assert request.headers["Host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["Content-Length"] == "2"
    assert request.headers["Connection"] == "close"
    assert request.headers["X-A"] == "b"


# --- https: the certificate is verified for the name, not the pinned address -------------------


@dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A throwaway CA and a certificate for hooks.example.test only."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test webhooks CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("hooks.example.test")]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Tls(server=server, client=client)


def test_send_https_verifies_the_certificate_for_each_name_on_a_shared_address(
    tls: Tls, start_receiver: Any
) -> None:
    receiver: Receiver = start_receiver(tls.server)
    sender = WebhookSender(
        UrlPolicy(allow_private=True),
        resolve=resolver("127.0.0.1"),
        transport=httpx.HTTPTransport(verify=tls.client),
    )
    try:
        good = sender.send(receiver.url("/ok", host="hooks.example.test"), b"{}", {})
        # Same pinned address right after: must not ride the connection verified for the other
        # name, so the certificate (not valid for this name) is checked and fails.
        wrong = sender.send(receiver.url("/ok", host="other.example.test"), b"{}", {})
    finally:
        sender.close()

    assert (good.ok, good.status_code) == (True, 200)
    assert good.excerpt == "thanks \u2713"
    assert wrong.status_code is None
    assert wrong.error is not None
    assert wrong.error.startswith("cannot connect:")
    assert "certificate" in wrong.error.lower()
    assert [r.headers["Host"] for r in receiver.requests] == [f"hooks.example.test:{receiver.port}"]


# --- signing -------------------------------------------------------------------------------------


def test_sign_during_rotation_verifies_under_the_old_and_the_new_secret(
    sender: WebhookSender, receiver: Receiver
) -> None:
    old, new = new_secret(), new_secret()
    body = '{"id":"evt_1","type":"refund.succeeded"}'
    headers = sign([old, new], "msg_1", dt.datetime.now(dt.UTC), body)
    assert len(headers["webhook-signature"].split(" ")) == 2

    verdicts = []
    for secret in (old, new):
        receiver.verify_secret = secret
        verdicts.append(sender.send(receiver.url("/verify"), body.encode(), headers).status_code)
    assert verdicts == [204, 204]
    assert Webhook(new).verify(body, headers) == {"id": "evt_1", "type": "refund.succeeded"}


def test_sign_with_a_wrong_secret_fails_verification(
    sender: WebhookSender, receiver: Receiver
) -> None:
    body = '{"id":"evt_2"}'
    headers = sign([new_secret()], "msg_2", dt.datetime.now(dt.UTC), body)
    receiver.verify_secret = new_secret()

    attempt = sender.send(receiver.url("/verify"), body.encode(), headers)

    assert (attempt.ok, attempt.status_code) == (False, 401)
    assert attempt.excerpt == "No matching signature found"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_sign_a_non_utc_timestamp_is_converted_so_the_signature_matches() -> None:
    secret = new_secret()
    when = dt.datetime.now(dt.timezone(dt.timedelta(hours=2)))
    headers = sign([secret], "msg_3", when, "{}")

    assert headers["webhook-id"] == "msg_3"
    assert headers["webhook-timestamp"] == str(int(when.timestamp()))
    Webhook(secret).verify("{}", headers)


def test_sign_refuses_a_bare_string_or_no_secret() -> None:
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(TypeError):
        sign(new_secret(), "msg", now, "{}")
    with pytest.raises(ValueError, match="at least one"):
        sign([], "msg", now, "{}")


def test_new_secret_is_32_random_bytes_in_the_whsec_form() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second
