"""JWT verification (issue 2 "JWT", ADR 0007): HS256 with the shared secret, issuer/audience, and the JWKS mode
against a JWKS served by a real HTTP server on 127.0.0.1 with keys generated for this run.

Every rejected token is a 401 with ``WWW-Authenticate: Bearer``, and afterwards the owner's tasks are unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from backend.jwks import REFETCH_COOLDOWN_SECONDS as JWKS_REFETCH_COOLDOWN_SECONDS
from backend.local.postgres import LocalPostgres, free_port
from backend.settings import Settings
from tests.backend.conftest import (
    Api,
    api_for,
    loopback_server,
    make_settings,
    make_token,
    new_user_id,
    send_json,
    serve,
)

pytestmark = [
    pytest.mark.anyio,
    # The HS512 probe reuses the 48-byte HS256 secret on purpose; PyJWT warns that it is short for SHA-512.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """Built by hand: PyJWT refuses to produce the tokens an attacker would (alg none, HMAC keyed by a public key)."""
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def hmac_forged_token(claims: dict[str, Any], key: bytes, header: dict[str, Any] | None = None) -> str:
    signing_input = unsigned_token(claims, header or {"alg": "HS256", "typ": "JWT"})
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def claims_for(user_id: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": user_id, "iat": now, "exp": now + 300, **extra}


async def assert_rejected(owner: Api, token: str) -> None:
    """Every kind of request with ``token`` is a 401 naming the Bearer scheme, and the owner's data is intact."""
    before = await owner.tasks()
    headers = {"Authorization": f"Bearer {token}"}
    responses = [
        await owner.request("GET", headers=headers),
        await owner.request("POST", headers=headers, json={"title": "planted"}),
    ]
    if before:
        task_id = before[0]["id"]
        responses += [
            await owner.request("GET", task_id, headers=headers),
            await owner.request("PUT", task_id, headers=headers, json={"title": "changed"}),
            await owner.request("PATCH", task_id, headers=headers, suffix="/complete"),
            await owner.request("DELETE", task_id, headers=headers),
        ]
    for response in responses:
        assert response.status_code == 401, (response.request.method, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert isinstance(response.json()["detail"], str)
    assert await owner.tasks() == before


# ------------------------------------------------------------------------------------------------ HS256


async def test_a_valid_hs256_token_is_accepted(alice: Api) -> None:
    assert (await alice.list()).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer not-a-jwt", "Bearer a.b.c", "bearer"],
    ids=["empty", "scheme-only", "scheme-space", "basic", "other-scheme", "garbage", "garbage-segments", "lower"],
)
async def test_missing_or_malformed_authorization_is_401(alice: Api, authorization: str) -> None:
    await alice.created()
    before = await alice.tasks()

    response = await alice.http.get(alice.path(), headers={"Authorization": authorization} if authorization else {})
    created = await alice.http.post(alice.path(), json={"title": "planted"},
                                    headers={"Authorization": authorization} if authorization else {})

    assert (response.status_code, created.status_code) == (401, 401)
    assert response.headers["www-authenticate"] == created.headers["www-authenticate"] == "Bearer"
    assert await alice.tasks() == before


async def test_no_authorization_header_at_all_is_401(alice: Api) -> None:
    response = await alice.http.get(alice.path())

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "not authenticated"}


def _bad_tokens(secret: str, user_id: str) -> dict[str, str]:
    other_secret = "x" * 16 + secret[16:][::-1]
    now = int(time.time())
    return {
        "wrong-signature": make_token(other_secret, user_id),
        "alg-none": unsigned_token(claims_for(user_id), {"alg": "none", "typ": "JWT"}) + ".",
        "alg-none-capital": unsigned_token(claims_for(user_id), {"alg": "None", "typ": "JWT"}) + ".",
        "signature-stripped": make_token(secret, user_id).rsplit(".", 1)[0] + ".",
        "hs512-same-secret": make_token(secret, user_id, algorithm="HS512"),
        "expired-beyond-leeway": make_token(secret, user_id, expires_in=-120),
        "no-sub": make_token(secret, None),
        "empty-sub": make_token(secret, ""),
        "blank-sub": make_token(secret, "   "),
        "numeric-sub": hmac_forged_token({"sub": 42, "exp": now + 300}, secret.encode()),
        "no-exp": make_token(secret, user_id, expires_in=None),
        "exp-not-a-number": hmac_forged_token({"sub": user_id, "exp": "tomorrow"}, secret.encode()),
        "not-yet-valid": make_token(secret, user_id, nbf=now + 3600),
        "tampered-payload": _swap_payload(make_token(secret, "someone-else"), claims_for(user_id)),
    }


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


BAD_TOKEN_KINDS = list(_bad_tokens("s" * 64, "u"))  # only the names; tokens are made per test


@pytest.mark.parametrize("kind", BAD_TOKEN_KINDS)
async def test_invalid_tokens_are_401_on_every_route_and_change_nothing(alice: Api, secret: str, kind: str) -> None:
    await alice.created("untouchable")

    await assert_rejected(alice, _bad_tokens(secret, alice.user_id)[kind])


async def test_a_token_expired_within_the_leeway_is_still_accepted(alice: Api, secret: str) -> None:
    """Small clock skew between Vercel and Railway must not log users out (leeway 30 s)."""
    token = make_token(secret, alice.user_id, expires_in=-5)

    response = await alice.request("GET", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


async def test_jwt_secret_is_accepted_as_an_alias(postgres: LocalPostgres, secret: str) -> None:
    settings = Settings(environment="test", database_url=postgres.url, JWT_SECRET=secret)
    assert settings.jwt_secret == secret

    async with serve(settings) as http:
        user = api_for(http, secret)
        assert (await user.create()).status_code == 201
        assert len(await user.tasks()) == 1


# ------------------------------------------------------------------------------------------------ iss / aud


async def test_issuer_and_audience_are_checked_when_configured(postgres: LocalPostgres, secret: str) -> None:
    issuer, audience = "https://tasks-frontend.vercel.app", "tasks-api"
    settings = make_settings(postgres.url, secret, jwt_issuer=issuer, jwt_audience=audience)
    user_id = new_user_id()

    async with serve(settings) as http:
        owner = Api(http, user_id, make_token(secret, user_id, iss=issuer, aud=audience))
        await owner.created()
        assert (await Api(http, user_id, make_token(secret, user_id, iss=issuer, aud=["other", audience]))
                .list()).status_code == 200
        for token in (
            make_token(secret, user_id),
            make_token(secret, user_id, aud=audience),
            make_token(secret, user_id, iss=issuer),
            make_token(secret, user_id, iss="https://evil.example", aud=audience),
            make_token(secret, user_id, iss=issuer, aud="another-api"),
        ):
            await assert_rejected(owner, token)


async def test_issuer_and_audience_are_not_required_when_unset(alice: Api, secret: str) -> None:
    token = make_token(secret, alice.user_id, iss="anything", aud="anyone")

    assert (await alice.request("GET", headers={"Authorization": f"Bearer {token}"})).status_code == 200


# ------------------------------------------------------------------------------------------------ JWKS


@dataclass
class SigningKey:
    algorithm: str
    kid: str
    private: Any

    @property
    def public_jwk(self) -> dict[str, Any]:
        converter = {"EdDSA": OKPAlgorithm, "ES256": ECAlgorithm, "RS256": RSAAlgorithm}[self.algorithm]
        jwk = converter.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def token(self, user_id: str, kid: str | None = None, **claims: Any) -> str:
        return make_token(self.private, user_id, algorithm=self.algorithm, headers={"kid": kid or self.kid}, **claims)


def generate_key(algorithm: str, kid: str) -> SigningKey:
    private = {
        "EdDSA": ed25519.Ed25519PrivateKey.generate,
        "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }[algorithm]()
    return SigningKey(algorithm, kid, private)


@dataclass
class JwksServer:
    """A real HTTP server on loopback serving ``keys`` as Better Auth serves /api/auth/jwks; counts fetches."""

    keys: list[SigningKey]
    port: int = field(default_factory=free_port)
    fetches: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/auth/jwks"

    def body(self) -> bytes:
        self.fetches += 1
        return json.dumps({"keys": [key.public_jwk for key in self.keys]}).encode()


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, SigningKey]:
    return {algorithm: generate_key(algorithm, f"{algorithm.lower()}-1") for algorithm in ("EdDSA", "ES256", "RS256")}


@pytest.fixture
def jwks(signing_keys: dict[str, SigningKey]) -> Iterator[JwksServer]:
    state = JwksServer(keys=list(signing_keys.values()))
    with loopback_server(lambda handler: send_json(handler, state.body()), state.port):
        yield state


@pytest.fixture
async def jwks_http(postgres: LocalPostgres, secret: str, jwks: JwksServer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(postgres.url, secret, better_auth_jwks_url=jwks.url)) as http:
        yield http


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
async def test_jwks_tokens_of_each_algorithm_are_accepted(jwks_http: httpx.AsyncClient,
                                                          signing_keys: dict[str, SigningKey], algorithm: str) -> None:
    user_id = new_user_id()
    user = Api(jwks_http, user_id, signing_keys[algorithm].token(user_id))

    created = await user.create("signed with " + algorithm)

    assert created.status_code == 201
    assert created.json()["user_id"] == user_id
    assert await user.tasks() == [created.json()]


async def test_the_key_set_is_cached_between_requests(jwks_http: httpx.AsyncClient, jwks: JwksServer,
                                                      signing_keys: dict[str, SigningKey]) -> None:
    user_id = new_user_id()
    user = Api(jwks_http, user_id, signing_keys["EdDSA"].token(user_id))

    statuses = [(await user.list()).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert jwks.fetches == 1


async def test_an_unknown_kid_refetches_the_key_set_so_rotation_works_and_withdrawn_keys_stop_working(
    jwks_http: httpx.AsyncClient, jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    user_id = new_user_id()
    old = Api(jwks_http, user_id, signing_keys["EdDSA"].token(user_id))
    assert (await old.create("before rotation")).status_code == 201
    fetches_before = jwks.fetches

    rotated = generate_key("EdDSA", "eddsa-2")
    jwks.keys = [rotated, signing_keys["ES256"], signing_keys["RS256"]]  # the frontend rotated its key
    new = Api(jwks_http, user_id, rotated.token(user_id))
    await anyio.sleep(JWKS_REFETCH_COOLDOWN_SECONDS + 0.1)  # refetches are rate-limited (made-up kids are free)

    response = await new.list()

    assert response.status_code == 200
    assert [task["title"] for task in response.json()] == ["before rotation"]
    assert jwks.fetches == fetches_before + 1
    await assert_rejected(new, old.token)  # withdrawn from the JWKS: no longer trusted


async def owner_signing_with(http: httpx.AsyncClient, key: SigningKey) -> Api:
    """A new user who owns a task and calls with tokens ``key`` signs."""
    user_id = new_user_id()
    owner = Api(http, user_id, key.token(user_id))
    await owner.created("owned")
    return owner


async def test_a_token_signed_by_a_key_outside_the_jwks_is_401(
    jwks_http: httpx.AsyncClient, signing_keys: dict[str, SigningKey]
) -> None:
    owner = await owner_signing_with(jwks_http, signing_keys["ES256"])
    stranger = generate_key("ES256", "es256-1")  # same kid as a published key, different key
    unpublished = generate_key("EdDSA", "not-published")

    await assert_rejected(owner, stranger.token(owner.user_id))
    await assert_rejected(owner, unpublished.token(owner.user_id))
    await assert_rejected(owner, signing_keys["ES256"].token(owner.user_id, kid="eddsa-1"))  # kid of another type


async def test_hs256_forged_with_the_published_public_key_is_401(
    jwks_http: httpx.AsyncClient, signing_keys: dict[str, SigningKey]
) -> None:
    """The classic algorithm-confusion attack: the public key is public, so it must never work as an HMAC secret."""
    owner = await owner_signing_with(jwks_http, signing_keys["RS256"])

    for key in signing_keys.values():
        for secret_material in (key.public_pem, json.dumps(key.public_jwk).encode()):
            forged = hmac_forged_token(claims_for(owner.user_id), secret_material,
                                       {"alg": "HS256", "typ": "JWT", "kid": key.kid})
            await assert_rejected(owner, forged)
    await assert_rejected(owner, unsigned_token(claims_for(owner.user_id), {"alg": "none", "kid": "rs256-1"}) + ".")


async def test_hs256_with_the_shared_secret_still_works_in_jwks_mode(jwks_http: httpx.AsyncClient, secret: str) -> None:
    user = api_for(jwks_http, secret)

    assert (await user.create()).status_code == 201


async def test_jwks_tokens_are_401_when_no_jwks_is_configured(alice: Api, signing_keys: dict[str, SigningKey]) -> None:
    await alice.created("owned")

    for key in signing_keys.values():
        await assert_rejected(alice, key.token(alice.user_id))
