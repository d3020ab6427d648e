"""Access-token verification against a JWKS, in isolation (keys made here, JWKS in a mock)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest

from payment_api import auth
from payment_api.auth import InvalidTokenError, Principal, TokenVerifier
from payment_api.gateways.jwks import JwksKeySource, JwksUnavailableError, parse_jwks
from tests.payment.tokens import AUDIENCE, ISSUER, FakeJwks, SigningKey, new_client_id


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(
    jwks: FakeJwks,
    clock: Clock | None = None,
    *,
    cache: float = 300,
    interval: float = 10,
    wall: Clock | None = None,
    cache_size: int = auth.TOKEN_CACHE_SIZE,
) -> TokenVerifier:
    keys = JwksKeySource(
        "http://users.test/.well-known/jwks.json",
        cache_seconds=cache,
        refresh_interval=interval,
        timeout=1,
        clock=clock or Clock(),
        transport=jwks.transport(),
    )
    return TokenVerifier(
        keys,
        issuer=ISSUER,
        audience=AUDIENCE,
        cache_size=cache_size,
        **({"clock": wall} if wall is not None else {}),
    )


def verify(v: TokenVerifier, token: str) -> Principal:
    return asyncio.run(v.verify(token))


def rejected(v: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidTokenError) as info:
        verify(v, token)
    return str(info.value)


def test_a_valid_token_gives_its_subject_role_and_the_token_itself() -> None:
    key = SigningKey()
    v = verifier(FakeJwks(key))
    token = key.token("user-1", "admin")
    principal = verify(v, token)
    assert (principal.subject, principal.role, principal.bearer_token) == ("user-1", "admin", token)
    assert principal.is_admin


def test_keys_are_cached_between_tokens() -> None:
    key = SigningKey()
    jwks = FakeJwks(key)
    v = verifier(jwks)
    for _ in range(5):
        verify(v, key.token())
    assert jwks.requests == 1


def test_an_expired_token_is_rejected() -> None:
    key = SigningKey()
    v = verifier(FakeJwks(key))
    assert "expired" in rejected(v, key.token(ttl=-120))


def test_a_token_signed_by_another_key_with_a_published_kid_is_rejected() -> None:
    published = SigningKey()
    forger = SigningKey(kid=published.kid)
    v = verifier(FakeJwks(published))
    assert "signature" in rejected(v, forger.token(role="admin"))


def test_a_token_signed_by_an_unpublished_key_is_rejected() -> None:
    v = verifier(FakeJwks(SigningKey()))
    assert "unknown key" in rejected(v, SigningKey().token())


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "urn:someone-else"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"sub": None}, "sub"),
        ({"role": None}, "role"),
        ({"role": "superuser"}, "role"),
        ({"exp": None}, "exp"),
        ({"iat": None}, "iat"),
    ],
)
def test_wrong_audience_issuer_or_missing_claims_are_rejected(
    claims: dict[str, Any], reason: str
) -> None:
    key = SigningKey()
    v = verifier(FakeJwks(key))
    assert reason in rejected(v, key.token(**claims))


def test_tokens_without_kid_unsigned_or_hmac_are_rejected() -> None:
    key = SigningKey()
    v = verifier(FakeJwks(key))
    claims = {"sub": "x", "role": "admin", "iss": ISSUER, "aud": AUDIENCE, "iat": 1, "exp": 2**40}
    assert "kid" in rejected(v, jwt.encode(claims, key.private, algorithm="EdDSA"))
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": key.kid})
    rejected(v, unsigned)
    # HMAC with the public key as secret (the classic algorithm-confusion attack)
    secret = key.jwk()["x"].encode().ljust(32, b"=")
    hmac = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": key.kid})
    rejected(v, hmac)
    assert "malformed" in rejected(v, "not.a.jwt")


def test_a_new_kid_is_fetched_once_after_rotation_and_old_tokens_still_verify() -> None:
    old, new = SigningKey(), SigningKey()
    jwks, clock = FakeJwks(old), Clock()
    v = verifier(jwks, clock)
    old_token = old.token()
    verify(v, old_token)
    jwks.keys = [new, old]  # the user service rotated: new signs, old still published
    clock.now += 11
    assert verify(v, new.token("after-rotation")).subject == "after-rotation"
    assert jwks.requests == 2
    verify(v, old_token)
    verify(v, new.token())
    assert jwks.requests == 2


def test_refetching_for_unknown_kids_is_rate_limited() -> None:
    key = SigningKey()
    jwks, clock = FakeJwks(key), Clock()
    v = verifier(jwks, clock, interval=10)
    verify(v, key.token())
    for _ in range(20):  # a flood of tokens with made-up kids
        rejected(v, SigningKey().token())
    assert jwks.requests == 1  # the first fetch was just now: no refetch within the interval
    clock.now += 10
    for _ in range(20):
        rejected(v, SigningKey().token())
    assert jwks.requests == 2


def test_keys_are_refetched_when_the_cache_expires() -> None:
    key = SigningKey()
    jwks, clock = FakeJwks(key), Clock()
    v = verifier(jwks, clock, cache=60)
    verify(v, key.token())
    clock.now += 61
    verify(v, key.token())
    assert jwks.requests == 2


def test_jwks_unreachable_is_unavailable_not_invalid() -> None:
    key = SigningKey()
    jwks = FakeJwks(key)
    jwks.down = True
    v = verifier(jwks)
    with pytest.raises(JwksUnavailableError):
        verify(v, key.token())
    jwks.down = False
    assert verify(v, key.token()).subject


def test_jwks_down_after_the_cache_expired_is_unavailable() -> None:
    key = SigningKey()
    jwks, clock = FakeJwks(key), Clock()
    v = verifier(jwks, clock, cache=60)
    verify(v, key.token())
    jwks.down = True
    clock.now += 61
    with pytest.raises(JwksUnavailableError):
        verify(v, key.token())


def test_concurrent_cache_misses_share_one_fetch() -> None:
    key = SigningKey()
    jwks = FakeJwks(key)
    v = verifier(jwks)

    async def many() -> list[Principal]:
        return list(await asyncio.gather(*(v.verify(key.token()) for _ in range(20))))

    assert len(asyncio.run(many())) == 20
    assert jwks.requests == 1


def test_parse_jwks_skips_unusable_keys() -> None:
    good = SigningKey()
    document = {
        "keys": [
            good.jwk(),
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
            {**SigningKey().jwk(), "use": "enc"},
            {"kty": "OKP", "crv": "Ed25519", "x": "!!", "kid": "broken"},
            {"kty": "OKP"},
            "junk",
        ]
    }
    assert list(parse_jwks(document)) == [good.kid]
    with pytest.raises(JwksUnavailableError):
        parse_jwks({"nope": []})


class DecodeSpy:
    """Counts signature verifications (jwt.decode); can make the next ones fail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.fail_with: Exception | None = None
        self.real = jwt.decode
        monkeypatch.setattr(jwt, "decode", self)  # as payment_api.auth calls it

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        return self.real(*args, **kwargs)


def wall_clock() -> Clock:
    clock = Clock()
    clock.now = time.time()
    return clock


def test_a_repeated_token_is_answered_from_the_cache_without_checking_its_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = SigningKey()
    v = verifier(FakeJwks(key), wall=wall_clock())
    spy = DecodeSpy(monkeypatch)
    token = key.token("user-1", "admin")
    first = verify(v, token)
    for _ in range(5):
        assert verify(v, token) == first
    assert spy.calls == 1
    assert verify(v, key.token("user-2")).subject == "user-2"  # another token: its own check
    assert spy.calls == 2


def test_a_cached_token_is_checked_again_once_past_its_exp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = SigningKey()
    wall = wall_clock()
    v = verifier(FakeJwks(key), wall=wall)
    spy = DecodeSpy(monkeypatch)
    token = key.token(ttl=60)
    verify(v, token)
    wall.now += 59
    verify(v, token)
    assert spy.calls == 1
    wall.now += 1  # at exp: the cache no longer answers, the verification decides
    spy.fail_with = jwt.ExpiredSignatureError("Signature has expired")
    assert "expired" in rejected(v, token)
    assert spy.calls == 2


def test_a_cached_token_of_an_unpublished_key_lasts_no_longer_than_the_jwks_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = SigningKey(), SigningKey()
    jwks, clock = FakeJwks(old), Clock()
    v = verifier(jwks, clock, cache=60, wall=wall_clock())
    spy = DecodeSpy(monkeypatch)
    token = old.token()
    verify(v, token)
    jwks.keys = [new]  # rotated and the old key withdrawn
    clock.now += 59
    verify(v, token)  # the key set cached 59 s ago still publishes it, as without the cache
    assert (spy.calls, jwks.requests) == (1, 1)
    clock.now += 1
    assert "unknown key" in rejected(v, token)
    assert jwks.requests == 2


def test_a_cached_token_is_rejected_as_soon_as_a_refetch_drops_its_key() -> None:
    old, new = SigningKey(), SigningKey()
    jwks, clock = FakeJwks(old), Clock()
    v = verifier(jwks, clock, interval=10, wall=wall_clock())
    token = old.token()
    verify(v, token)
    jwks.keys = [new]
    clock.now += 10
    verify(v, new.token())  # unknown kid: refetch, the old key is gone
    assert "unknown key" in rejected(v, token)


def test_the_token_cache_is_bounded_and_forgets_the_least_recently_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = SigningKey()
    v = verifier(FakeJwks(key), wall=wall_clock(), cache_size=2)
    spy = DecodeSpy(monkeypatch)
    a, b, c = key.token(), key.token(), key.token()
    verify(v, a)
    verify(v, b)
    verify(v, a)  # a is now the most recently used
    verify(v, c)  # evicts b
    assert spy.calls == 3
    verify(v, a)
    assert spy.calls == 3
    verify(v, b)
    assert spy.calls == 4


# -- API clients (client credentials) ------------------------------------------------------


def test_an_api_clients_token_gives_its_client_id_and_scopes_and_no_role_or_user() -> None:
    key = SigningKey()
    client_id = new_client_id()
    token = key.client_token("payments:read  audit:read", client_id)
    principal = verify(verifier(FakeJwks(key)), token)
    assert (principal.subject, principal.client_id, principal.role) == (client_id, client_id, None)
    assert principal.scopes == frozenset({"payments:read", "audit:read"})
    assert principal.is_machine
    assert principal.is_authenticated
    assert not principal.is_admin
    assert principal.user_id is None  # never taken for a user
    assert principal.bearer_token == token


def test_a_persons_token_is_no_machine_and_has_no_scopes() -> None:
    key = SigningKey()
    principal = verify(verifier(FakeJwks(key)), key.token("user-1", "admin", scope="audit:read"))
    assert not principal.is_machine
    assert (principal.user_id, principal.client_id, principal.scopes) == ("user-1", None, set())


def test_an_api_clients_token_without_a_scope_claim_grants_nothing() -> None:
    key = SigningKey()
    client_id = new_client_id()
    token = key.token(client_id, None, client_id=client_id)
    assert verify(verifier(FakeJwks(key)), token).scopes == frozenset()


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"role": "admin"}, "both a role and a client_id"),
        ({"role": "customer"}, "both a role and a client_id"),
        ({"client_id": "cli_short"}, "client_id"),
        ({"client_id": "CLI_" + "a" * 24}, "client_id"),
        ({"client_id": 7}, "client_id"),
        ({"sub": "cli_" + "b" * 24}, "subject"),
        ({"scope": ["payments:read"]}, "scope"),
    ],
)
def test_malformed_api_client_tokens_are_rejected(claims: dict[str, Any], reason: str) -> None:
    key = SigningKey()
    client_id = new_client_id()
    base: dict[str, Any] = {"client_id": client_id, "scope": "payments:read", "role": None}
    token = key.token(claims.pop("sub", client_id), **{**base, **claims})
    assert reason in rejected(verifier(FakeJwks(key)), token)


def test_a_token_with_neither_a_role_nor_a_client_id_is_rejected() -> None:
    key = SigningKey()
    assert "neither a role" in rejected(verifier(FakeJwks(key)), key.token("x", None))
