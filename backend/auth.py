"""Who is calling: verify the Better Auth JWT (the bearer scheme and the dependency that keeps a user to their own
path are in ``backend.dependencies``).

Spec: US2 scenario 3 (user isolation), US1 scenario 3 (secret only from the environment). Decision:
history/adr/0007-pyjwt-hs256-and-jwks.md.

Two ways to trust a token:
- HS256 signed with BETTER_AUTH_SECRET, the secret the frontend shares (always on);
- EdDSA / ES256 / RS256 checked against the frontend's JWKS when BETTER_AUTH_JWKS_URL is set.
The algorithm whitelist is explicit in both: a token cannot choose ``none`` or switch HS256/RS256.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt import PyJWK

from backend.jwks import JwksKeys, UnknownKey
from backend.settings import Settings

SHARED_SECRET_ALGORITHMS = ["HS256"]
JWKS_ALGORITHMS = ["EdDSA", "ES256", "RS256"]
KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS = 5
VERIFIED_TOKENS_MAX = 1024


class InvalidToken(Exception):
    """The token is missing, malformed, unsigned, wrongly signed, expired or lacks a subject."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a verified token proved: its subject until ``expires``; for a JWKS-signed token, with which key."""

    subject: str
    expires: int
    kid: str | None = None
    key: PyJWK | None = None  # the key object of the key set it was verified against; None for HS256


class VerifiedTokens:
    """Tokens this process has already verified: the exact token string → its :class:`Verdict`.

    A client sends the same token with every request until it expires; checking its signature and claims again
    was ~5 % of the task list's CPU with HS256 and 115–151 µs per request with the JWKS's EdDSA/ES256/RS256 keys
    (ADR 0018). A verdict can only change by expiring (``iss``, ``aud``, ``nbf`` and ``iat`` were checked at the
    first sight and cannot change) or, for a JWKS-signed token, by the key set changing: so a hit is trusted only
    while ``exp`` still holds, with the same leeway and comparison as PyJWT, and a JWKS verdict only while the key
    set still publishes the very key object it was verified with (``TokenVerifier.subject``). Failures are never
    remembered. The oldest entry makes room for a new one: memory stays bounded whatever tokens arrive.
    """

    def __init__(self, max_entries: int = VERIFIED_TOKENS_MAX) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, Verdict] = {}

    def verdict(self, token: str, leeway: int) -> Verdict | None:
        """The remembered verdict, or None: never seen, evicted, or expired (then forgotten and verified again)."""
        verdict = self._entries.get(token)
        if verdict is None:
            return None
        if verdict.expires <= time.time() - leeway:  # PyJWT's own test for ``exp``
            del self._entries[token]
            return None
        return verdict

    def remember(self, token: str, verdict: Verdict) -> None:
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[token] = verdict

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies tokens with the settings' secret and, if configured, the frontend's JWKS."""

    secret: str = field(repr=False)  # a traceback's locals or a debug print must not show it
    leeway: int
    issuer: str | None
    audience: str | None
    jwks: JwksKeys | None
    verified: VerifiedTokens = field(default_factory=VerifiedTokens, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        # The key *set* is replaced on every successful fetch, so a key the frontend withdraws stops being trusted
        # at the next fetch; how fetches are paced and what happens while the JWKS is down: backend/jwks.py.
        jwks = None
        if settings.better_auth_jwks_url:
            jwks = JwksKeys(settings.better_auth_jwks_url, timeout=settings.better_auth_jwks_timeout)
        return cls(
            secret=settings.jwt_secret,
            leeway=settings.jwt_leeway,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks=jwks,
        )

    async def subject(self, token: str) -> str:
        """The verified ``sub`` claim, or InvalidToken (401), or KeysUnavailable (503: the JWKS is failing)."""
        remembered = self.verified.verdict(token, self.leeway)
        if remembered is not None:
            if remembered.key is None:
                return remembered.subject
            try:
                # The key set as it is now (a stale set starts its refresh here, as for any JWKS token): the verdict
                # stands only while the set still publishes the very key object the token was verified with.
                current = await self._jwks_key(remembered.kid)
            except InvalidToken:
                self.verified.forget(token)  # withdrawn: refused now and every time after
                raise
            if current is remembered.key:
                return remembered.subject
            self.verified.forget(token)  # the set was refetched: verify against its key
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("malformed token") from error
        algorithm = header.get("alg")
        key: PyJWK | None = None
        if algorithm in SHARED_SECRET_ALGORITHMS:
            claims = self._decode(token, self.secret, SHARED_SECRET_ALGORITHMS)
        elif algorithm in JWKS_ALGORITHMS and self.jwks is not None:
            key = await self._jwks_key(header.get("kid"))
            claims = self._decode(token, key, JWKS_ALGORITHMS)
        else:
            raise InvalidToken("unsupported signing algorithm")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidToken("token has no subject")
        self.verified.remember(token, Verdict(subject, int(claims["exp"]), header.get("kid"), key))
        return subject

    async def _jwks_key(self, kid: object) -> PyJWK:
        assert self.jwks is not None
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("signing key not found")
        try:
            # An unknown kid refetches the key set (key rotation), paced by backend/jwks.py.
            signing_key = await self.jwks.signing_key(kid)
        except UnknownKey:
            raise InvalidToken("signing key not found") from None
        # The PyJWK itself, not its bare key: PyJWT then insists that the token's ``alg`` is the key's algorithm.
        # With the bare key, an ES256 header naming an Ed25519 kid reached the crypto layer as a TypeError (a 500).
        return signing_key

    def _decode(self, token: str, key: Any, algorithms: list[str]) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=algorithms,
                leeway=self.leeway,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token expired") from error
        except jwt.PyJWTError as error:
            raise InvalidToken("invalid token") from error
