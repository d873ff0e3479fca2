"""Test tokens the way Better Auth's frontend signs them (HS256 with the shared secret), and the bad ones an
attacker would try. Minted at run time from BETTER_AUTH_SECRET; never stored, never printed (see Redactor).
Decision: history/adr/0007-pyjwt-hs256-and-jwks.md.
"""

from __future__ import annotations

import secrets
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from jwt.algorithms import HMACAlgorithm

from backend.local.tokens import mint_token
from steps.support.http import REDACT

SECRET = object()  # _sign's default key: the deployment's secret
EXPIRED_AGO_SECONDS = 3600  # far beyond any sane clock-skew leeway
PAST_LEEWAY_SECONDS = 600  # twice the largest leeway the service allows (JWT_LEEWAY ≤ 300 s)
# Signing keys that tutorials, generators and framework templates ship with: public words, not secrets. A service
# that trusts a token signed with any of them kept a hard-coded fallback (US1.3). The list is the attacker's
# dictionary, not any one fault's value.
WELL_KNOWN_KEYS = [
    "secret", "changeme", "change-me", "change_me", "changeit", "your-secret-key", "your_secret_key",
    "your-256-bit-secret", "secretkey", "secret-key", "secret_key", "mysecret", "my-secret", "my_secret",
    "supersecret", "super-secret", "jwt-secret", "jwt_secret", "jwtsecret", "better-auth-secret", "development",
    "dev", "test", "testing", "password", "default", "key", "123456", "qwerty",
]


@dataclass(frozen=True)
class ThrowawayUser:
    """A user id nobody real has (``verify-<uuid>``): whatever the suite creates under it, it deletes."""

    id: str
    token: str


class TokenMint:
    def __init__(self, secret: str) -> None:
        self._secret = secret
        REDACT.add(secret)

    def _sign(self, subject: str | None, key: Any = SECRET, **options: Any) -> str:
        token = mint_token(self._secret if key is SECRET else key, subject, **options)
        REDACT.add(token)
        return token

    def user(self) -> ThrowawayUser:
        user_id = f"verify-{uuid.uuid4()}"
        return ThrowawayUser(id=user_id, token=self.valid(user_id))

    def valid(self, subject: str) -> str:
        return self._sign(subject)

    def wrong_signature(self, subject: str) -> str:
        """Well-formed, unexpired, signed with a key that is not the deployment's."""
        return self._sign(subject, secrets.token_urlsafe(48))

    def foreign_key_tokens(self, subject: str) -> dict[str, str]:
        """Valid-looking tokens signed with any key but the deployment's: each well-known default (short keys:
        PyJWT's length warning is the point here), and a fresh key the token carries in its own ``jwk`` header
        (CVE-2018-0114's pattern)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tokens = {f"signed with the well-known key #{number}": self._sign(subject, key)
                      for number, key in enumerate(WELL_KNOWN_KEYS, 1)}
        own_key = secrets.token_bytes(32)
        jwk = HMACAlgorithm.to_jwk(own_key, as_dict=True)
        return {**tokens, "self-keyed (jwk header)": self._sign(subject, own_key, headers={"jwk": jwk})}

    def bad_tokens(self, subject: str) -> dict[str, str | None]:
        """Each way a request must be refused with 401; None means "no Authorization header at all"."""
        return {
            "no token": None,
            "garbage": "not-a-jwt." + secrets.token_urlsafe(12),
            "wrong signature": self.wrong_signature(subject),
            "alg none (unsigned)": self._sign(subject, None, algorithm="none"),
            "expired": self._sign(subject, expires_in=-EXPIRED_AGO_SECONDS),
            "expired past any allowed leeway": self._sign(subject, expires_in=-PAST_LEEWAY_SECONDS),
            "no exp claim": self._sign(subject, expires_in=None),
            "no sub claim": self._sign(None),
        }
