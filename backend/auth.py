"""Who is calling: verify the Better Auth JWT and enforce that a user only reaches their own path.

Spec: US2 scenario 3 (user isolation), US1 scenario 3 (secret only from the environment). Decision:
history/adr/0007-pyjwt-hs256-and-jwks.md.

Two ways to trust a token:
- HS256 signed with BETTER_AUTH_SECRET, the secret the frontend shares (always on);
- EdDSA / ES256 / RS256 checked against the frontend's JWKS when BETTER_AUTH_JWKS_URL is set.
The algorithm whitelist is explicit in both: a token cannot choose ``none`` or switch HS256/RS256.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.jwks import JwksKeys, KeysUnavailable, UnknownKey
from backend.schemas import UserId
from backend.settings import Settings

SHARED_SECRET_ALGORITHMS = ["HS256"]
JWKS_ALGORITHMS = ["EdDSA", "ES256", "RS256"]
KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS = 5

bearer_scheme = HTTPBearer(auto_error=False, description="Better Auth JWT; `sub` is the user id.")


class InvalidToken(Exception):
    """The token is missing, malformed, unsigned, wrongly signed, expired or lacks a subject."""


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies tokens with the settings' secret and, if configured, the frontend's JWKS."""

    secret: str
    leeway: int
    issuer: str | None
    audience: str | None
    jwks: JwksKeys | None

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
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("malformed token") from error
        algorithm = header.get("alg")
        if algorithm in SHARED_SECRET_ALGORITHMS:
            claims = self._decode(token, self.secret, SHARED_SECRET_ALGORITHMS)
        elif algorithm in JWKS_ALGORITHMS and self.jwks is not None:
            key = await self._jwks_key(header)
            claims = self._decode(token, key, JWKS_ALGORITHMS)
        else:
            raise InvalidToken("unsupported signing algorithm")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise InvalidToken("token has no subject")
        return subject

    async def _jwks_key(self, header: dict[str, Any]) -> Any:
        assert self.jwks is not None
        kid = header.get("kid")
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


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_user_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    """The authenticated user's id (the token's ``sub``); 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("not authenticated")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return await verifier.subject(credentials.credentials)
    except InvalidToken as error:
        raise _unauthorized(str(error)) from None
    except KeysUnavailable:
        # Not the client's fault and not a verdict on the token: retry shortly (ADR 0007).
        raise HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="authentication keys unavailable",
                            headers={"Retry-After": str(KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS)}) from None


async def authorized_user_id(
    user_id: UserId, token_user_id: Annotated[str, Depends(current_user_id)]
) -> str:
    """The path's user id, once proven to be the caller's own: 403 when it is someone else's."""
    if user_id != token_user_id:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="not allowed to access this user's tasks")
    return token_user_id


AuthorizedUserId = Annotated[str, Depends(authorized_user_id)]
