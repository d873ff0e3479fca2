"""The verified-token cache (backend/auth.py: VerifiedTokens, ADR 0018): a hit is still checked for ``exp``,
failures are never remembered, memory is bounded, one verifier's verdicts are never another's, and a JWKS verdict
lasts only while the key set publishes the key it was made with."""

from __future__ import annotations

import asyncio
import secrets
import time

import jwt
import pytest

from backend.auth import InvalidToken, TokenVerifier, Verdict, VerifiedTokens
from backend.jwks import REFETCH_COOLDOWN_SECONDS as JWKS_REFETCH_COOLDOWN_SECONDS
from backend.jwks import JwksKeys
from tests.backend.conftest import make_token
from tests.backend.test_auth_jwks import JwksServer, generate_key

pytestmark = pytest.mark.anyio


def verifier(secret: str, leeway: int = 0) -> TokenVerifier:
    return TokenVerifier(secret=secret, leeway=leeway, issuer=None, audience=None, jwks=None)


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    secret = secrets.token_urlsafe(48)
    tokens = verifier(secret)
    token = make_token(secret, "alice", expires_in=2)
    assert await tokens.subject(token) == "alice"
    assert len(tokens.verified) == 1  # remembered: the next call is a hit

    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    while time.time() <= expires:  # wait for the property (exp passed), not for a duration
        await asyncio.sleep(0.2)

    with pytest.raises(InvalidToken, match="token expired"):
        await tokens.subject(token)
    assert len(tokens.verified) == 0


async def test_a_refused_token_is_never_remembered() -> None:
    secret = secrets.token_urlsafe(48)
    tokens = verifier(secret)
    wrong = make_token(secrets.token_urlsafe(48), "alice")
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await tokens.subject(wrong)
    assert len(tokens.verified) == 0


async def test_each_verifier_remembers_only_its_own_verdicts() -> None:
    secret = secrets.token_urlsafe(48)
    token = make_token(secret, "alice")
    assert await verifier(secret).subject(token) == "alice"

    with pytest.raises(InvalidToken):
        await verifier(secrets.token_urlsafe(48)).subject(token)


def test_the_cache_is_bounded_and_forgets_the_oldest_first() -> None:
    cache = VerifiedTokens(max_entries=3)
    far = int(time.time()) + 3600
    for number in range(5):
        cache.remember(f"token-{number}", Verdict(f"user-{number}", far))

    assert len(cache) == 3
    found = [cache.verdict(f"token-{number}", 0) for number in range(5)]
    assert [verdict.subject if verdict else None for verdict in found] == [None, None, "user-2", "user-3", "user-4"]


def test_the_verifier_never_shows_its_secret() -> None:
    """A traceback's locals or a debug print of the verifier must not leak the HS256 secret."""
    secret = secrets.token_urlsafe(48)
    assert secret not in repr(verifier(secret)) and secret not in str(verifier(secret))


async def test_a_jwks_verdict_lasts_only_while_the_key_set_publishes_its_key() -> None:
    """Remembered, a JWKS-signed token skips the signature check; once a refetched set publishes another key under
    its kid (the frontend replaced the key), the token is checked against that key and refused."""
    key = generate_key("EdDSA", "k1")
    with JwksServer(keys=[key]).serving() as state:
        keys = JwksKeys(state.url, timeout=3, fresh_for=0)  # every use of a cached kid may start a refresh
        tokens = TokenVerifier(secret=secrets.token_urlsafe(48), leeway=0, issuer=None, audience=None, jwks=keys)
        token = key.token("alice")
        assert await tokens.subject(token) == "alice"
        assert len(tokens.verified) == 1  # remembered

        async def refetched(count: int) -> None:
            await asyncio.sleep(JWKS_REFETCH_COOLDOWN_SECONDS + 0.1)  # refetches are rate-limited
            assert await tokens.subject(token) == "alice"  # a hit on the current set; starts the refresh
            for _ in range(200):  # wait for the property (the refresh landed), generously bounded
                if state.fetches == count and keys._fetching is None:
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("the key set was not refetched")

        await refetched(2)  # the same key published again: a new key object, same material
        assert await tokens.subject(token) == "alice"  # verified afresh against it, remembered again
        state.keys = [generate_key("EdDSA", "k1")]  # another key under the same kid
        await refetched(3)
        with pytest.raises(InvalidToken):
            await tokens.subject(token)
        assert len(tokens.verified) == 0
