"""Test tokens the way Better Auth's frontend signs them (HS256 with the shared secret), and the bad ones an
attacker would try. Minted at run time from BETTER_AUTH_SECRET; never stored, never printed (see Redactor).
Decision: history/adr/0007-pyjwt-hs256-and-jwks.md.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from steps.support.http import REDACT

LIFETIME_SECONDS = 300
EXPIRED_AGO_SECONDS = 3600  # far beyond any sane clock-skew leeway


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class ThrowawayUser:
    """A user id nobody real has (``verify-<uuid>``): whatever the suite creates under it, it deletes."""

    id: str
    token: str


class TokenMint:
    def __init__(self, secret: str) -> None:
        self._secret = secret
        REDACT.add(secret)

    def _sign(self, claims: dict[str, object], key: str, algorithm: str = "HS256") -> str:
        token = jwt.encode(claims, key, algorithm=algorithm)
        REDACT.add(token)
        return token

    @staticmethod
    def claims(subject: str, expires_in: int = LIFETIME_SECONDS) -> dict[str, object]:
        now = int(time.time())
        return {"sub": subject, "iat": now, "exp": now + expires_in}

    def user(self) -> ThrowawayUser:
        user_id = f"verify-{uuid.uuid4()}"
        return ThrowawayUser(id=user_id, token=self.valid(user_id))

    def valid(self, subject: str) -> str:
        return self._sign(self.claims(subject), self._secret)

    def expired(self, subject: str) -> str:
        return self._sign(self.claims(subject, expires_in=-EXPIRED_AGO_SECONDS), self._secret)

    def wrong_signature(self, subject: str) -> str:
        """Well-formed, unexpired, signed with a key that is not the deployment's."""
        return self._sign(self.claims(subject), secrets.token_urlsafe(48))

    def unsigned(self, subject: str) -> str:
        """``alg: none``: the classic bypass. Built by hand, as an attacker would."""
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(self.claims(subject))}."
        REDACT.add(token)
        return token

    def without_expiry(self, subject: str) -> str:
        return self._sign({"sub": subject, "iat": int(time.time())}, self._secret)

    @staticmethod
    def garbage() -> str:
        return "not-a-jwt." + secrets.token_urlsafe(12)

    def bad_tokens(self, subject: str) -> dict[str, str | None]:
        """Each way a request must be refused with 401; None means "no Authorization header at all"."""
        return {
            "no token": None,
            "garbage": self.garbage(),
            "wrong signature": self.wrong_signature(subject),
            "alg none (unsigned)": self.unsigned(subject),
            "expired": self.expired(subject),
            "no exp claim": self.without_expiry(subject),
        }
