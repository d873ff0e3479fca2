"""The backend trusts the tokens a real Better Auth server issues, and only those (US2 scenario 3, ADR 0007).

A real Better Auth (integration/better-auth/, its JWT plugin, its tables on the embedded PostgreSQL) signs users
up and hands out JWTs from /api/auth/token; the backend verifies them through Better Auth's /api/auth/jwks with
`iss`/`aud` required as Better Auth sets them (its base URL). EdDSA is Better Auth's default key; ES256 and RS256
are the other key types it offers that the backend accepts. HS256 is what a frontend gets by signing the same
payload with the shared BETTER_AUTH_SECRET through the plugin's `jwt.sign` hook.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from backend.local.postgres import LocalPostgres
from backend.settings import Settings
from tests.backend.better_auth import (
    BetterAuthServer,
    SignedUpUser,
    impostor_keys,
    missing_tool,
)
from tests.backend.conftest import make_settings, serve
from tests.backend.test_auth_jwks import JwksServer

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(missing_tool() is not None, reason=str(missing_tool()))]

JWKS_ALGORITHMS = ["EdDSA", "ES256", "RS256"]


@pytest.fixture(scope="module", params=[*JWKS_ALGORITHMS, "HS256"])
def better_auth(request: pytest.FixtureRequest, postgres: LocalPostgres,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[BetterAuthServer]:
    server = BetterAuthServer(postgres, request.param, tmp_path_factory.mktemp("better-auth")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def users(better_auth: BetterAuthServer) -> tuple[SignedUpUser, SignedUpUser]:
    """Two users signed up once per server: a sign-up hashes a password (scrypt), seconds on a loaded machine."""
    return better_auth.sign_up(), better_auth.sign_up()


def trusting(postgres: LocalPostgres, better_auth: BetterAuthServer, **overrides: Any) -> Settings:
    """The backend's settings as a deployment trusting this Better Auth would set them."""
    if better_auth.algorithm == "HS256":
        secret, trust = better_auth.secret, {}
    else:
        secret, trust = secrets.token_urlsafe(48), {"better_auth_jwks_url": better_auth.jwks_url}
    claims = {"jwt_issuer": better_auth.base_url, "jwt_audience": better_auth.base_url}
    return make_settings(postgres.url, secret, **{**trust, **claims, **overrides})


@pytest.fixture
async def backend(postgres: LocalPostgres, better_auth: BetterAuthServer) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(trusting(postgres, better_auth)) as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_better_auth_token_reaches_its_users_own_tasks(
        backend: httpx.AsyncClient, users: tuple[SignedUpUser, SignedUpUser]) -> None:
    user = users[0]
    assert user.token.count(".") == 2
    created = await backend.post(f"/api/{user.id}/tasks", json={"title": "From Better Auth"},
                                 headers=bearer(user.token))
    assert created.status_code == 201, created.text
    listed = await backend.get(f"/api/{user.id}/tasks", headers=bearer(user.token))
    assert listed.status_code == 200
    assert [task["title"] for task in listed.json()] == ["From Better Auth"]


async def test_better_auth_token_is_refused_on_another_users_path(
        backend: httpx.AsyncClient, users: tuple[SignedUpUser, SignedUpUser]) -> None:
    alice, bob = users
    response = await backend.get(f"/api/{bob.id}/tasks", headers=bearer(alice.token))
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("claim", ["jwt_issuer", "jwt_audience"])
async def test_issuer_and_audience_are_checked(postgres: LocalPostgres, better_auth: BetterAuthServer,
                                              users: tuple[SignedUpUser, SignedUpUser], claim: str) -> None:
    """Another Better Auth deployment's token (other `iss`/`aud`) is refused even when the signature is good."""
    user = users[0]
    settings = trusting(postgres, better_auth, **{claim: "https://other-app.vercel.app"})
    async with serve(settings) as http:
        response = await http.get(f"/api/{user.id}/tasks", headers=bearer(user.token))
    assert response.status_code == 401, response.text


async def test_a_backend_trusting_another_better_auth_refuses_the_token(
        postgres: LocalPostgres, better_auth: BetterAuthServer, users: tuple[SignedUpUser, SignedUpUser],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The check can fail: pointed at a different Better Auth's JWKS (or secret), the same token gets 401.

    The other server is configured identically, so only its key (or secret) differs; `iss`/`aud` are set to the
    token's own values, so nothing but the signature can cause the refusal.
    """
    user = users[0]
    other = BetterAuthServer(postgres, better_auth.algorithm, tmp_path_factory.mktemp("other")).start()
    try:
        other.sign_up()  # its key set is created on first use, as in production
        overrides = ({"better_auth_secret": other.secret} if better_auth.algorithm == "HS256"
                     else {"better_auth_jwks_url": other.jwks_url})
        async with serve(trusting(postgres, better_auth, **overrides)) as http:
            response = await http.get(f"/api/{user.id}/tasks", headers=bearer(user.token))
    finally:
        other.stop()
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("better_auth", JWKS_ALGORITHMS, indirect=True)
async def test_a_key_set_with_the_same_key_ids_but_other_keys_is_refused(
        postgres: LocalPostgres, better_auth: BetterAuthServer, users: tuple[SignedUpUser, SignedUpUser]) -> None:
    """The signature itself is verified, not only the `kid` look-up: a JWKS whose keys carry Better Auth's key
    ids (so the look-up succeeds) but other key material makes the same token a 401."""
    user = users[0]
    with JwksServer(impostor_keys(better_auth.key_set())).serving() as impostor:
        async with serve(trusting(postgres, better_auth, better_auth_jwks_url=impostor.url)) as http:
            response = await http.get(f"/api/{user.id}/tasks", headers=bearer(user.token))
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "invalid token"}


@pytest.mark.parametrize("better_auth", ["HS256"], indirect=True)
async def test_better_auths_session_cookie_jwt_is_not_a_bearer_token(
        backend: httpx.AsyncClient, users: tuple[SignedUpUser, SignedUpUser]) -> None:
    """Better Auth's own HS256 use of the secret, the session cache cookie, carries no `sub`: refused (401) even
    by a backend holding the same secret. Sharing BETTER_AUTH_SECRET alone does not give the API a bearer token."""
    user = users[0]
    response = await backend.get(f"/api/{user.id}/tasks", headers=bearer(user.session_cookie_jwt))
    assert response.status_code == 401, response.text
