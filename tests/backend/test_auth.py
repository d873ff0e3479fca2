"""JWT verification (issue 2 "JWT", ADR 0007): HS256 with the shared secret, issuer/audience, and the JWKS mode
against a JWKS served by a real HTTP server on 127.0.0.1 with keys generated for this run.

Every rejected token is a 401 with ``WWW-Authenticate: Bearer``, and afterwards the owner's tasks are unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from jwt.utils import base64url_encode

from backend.local.postgres import LocalPostgres
from backend.settings import Settings
from tests.backend.conftest import (
    Api,
    api_for,
    make_settings,
    make_token,
    new_user_id,
    serve,
)

pytestmark = [
    pytest.mark.anyio,
    # The HS512 probe reuses the 48-byte HS256 secret on purpose; PyJWT warns that it is short for SHA-512.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


def forged(token: str, key: bytes | None = None, **header: Any) -> str:
    """``token``'s claims under ``header``, signed by hand with HMAC-SHA256 and ``key`` (unsigned without one):
    PyJWT refuses to produce what an attacker would (alg "None", HMAC keyed by a public key)."""
    signing_input = f"{base64url_encode(json.dumps(header).encode()).decode()}.{token.split('.')[1]}"
    signature = base64url_encode(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) if key else b""
    return f"{signing_input}.{signature.decode()}"


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
    return {
        "wrong-signature": make_token(other_secret, user_id),
        "alg-none": make_token(None, user_id, algorithm="none"),
        "alg-none-capital": forged(make_token(secret, user_id), alg="None", typ="JWT"),
        "signature-stripped": make_token(secret, user_id).rsplit(".", 1)[0] + ".",
        "hs512-same-secret": make_token(secret, user_id, algorithm="HS512"),
        "expired-beyond-leeway": make_token(secret, user_id, expires_in=-120),
        "no-sub": make_token(secret, None),
        "empty-sub": make_token(secret, ""),
        "blank-sub": make_token(secret, "   "),
        "numeric-sub": make_token(secret, 42),  # type: ignore[arg-type]  # the wrong type is the point
        "no-exp": make_token(secret, user_id, expires_in=None),
        "exp-not-a-number": make_token(secret, user_id, expires_in=None, exp="tomorrow"),
        "not-yet-valid": make_token(secret, user_id, nbf=int(time.time()) + 3600),
        "tampered-payload": _swap_payload(make_token(secret, "someone-else"), make_token(secret, user_id)),
    }


def _swap_payload(token: str, other: str) -> str:
    """``token``'s header and signature around ``other``'s claims."""
    header, _, signature = token.split(".")
    return f"{header}.{other.split('.')[1]}.{signature}"


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
