"""Tokens from Better Auth's JWKS (EdDSA, ES256, RS256): accepted for their owner only, rotated keys, forged
algorithms (ADR 0007)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from backend.jwks import REFETCH_COOLDOWN_SECONDS as JWKS_REFETCH_COOLDOWN_SECONDS
from backend.local.postgres import LocalPostgres, free_port
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
from tests.backend.test_auth import assert_rejected, forged

pytestmark = pytest.mark.anyio

# ------------------------------------------------------------------------------------------------ JWKS


@dataclass
class SigningKey:
    algorithm: str
    kid: str
    private: Any

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk = jwt.get_algorithm_by_name(self.algorithm).to_jwk(self.private.public_key(), as_dict=True)
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

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        self.fetches += 1
        send_json(handler, json.dumps({"keys": [key.public_jwk for key in self.keys]}).encode())

    @contextmanager
    def serving(self) -> Iterator[Self]:
        with loopback_server(self.answer, self.port):
            yield self


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, SigningKey]:
    return {algorithm: generate_key(algorithm, f"{algorithm.lower()}-1") for algorithm in ("EdDSA", "ES256", "RS256")}


@pytest.fixture
def jwks(signing_keys: dict[str, SigningKey]) -> Iterator[JwksServer]:
    with JwksServer(keys=list(signing_keys.values())).serving() as state:
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
            await assert_rejected(owner, forged(key.token(owner.user_id), secret_material,
                                                alg="HS256", typ="JWT", kid=key.kid))
    await assert_rejected(owner, make_token(None, owner.user_id, algorithm="none", headers={"kid": "rs256-1"}))


async def test_hs256_with_the_shared_secret_still_works_in_jwks_mode(jwks_http: httpx.AsyncClient, secret: str) -> None:
    user = api_for(jwks_http, secret)

    assert (await user.create()).status_code == 201


async def test_jwks_tokens_are_401_when_no_jwks_is_configured(alice: Api, signing_keys: dict[str, SigningKey]) -> None:
    await alice.created("owned")

    for key in signing_keys.values():
        await assert_rejected(alice, key.token(alice.user_id))
