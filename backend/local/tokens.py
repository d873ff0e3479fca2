"""Test tokens as Better Auth's frontend signs them: the one minting helper for the suite's steps, the tests, the
benchmark and ``make token``. Secrets are generated at run time by the caller; none is stored here."""

from __future__ import annotations

import time
from typing import Any

import jwt

LIFETIME_SECONDS = 300


def mint_token(secret: Any, sub: str | None, *, algorithm: str = "HS256", expires_in: int | None = LIFETIME_SECONDS,
               headers: dict[str, Any] | None = None, **claims: Any) -> str:
    """A JWT with ``iat``, ``sub`` (the user id; left out when None) and ``exp`` (left out when ``expires_in`` is
    None), plus ``claims``."""
    now = int(time.time())
    payload: dict[str, Any] = {"iat": now, **claims}
    if sub is not None:
        payload["sub"] = sub
    if expires_in is not None:
        payload["exp"] = now + expires_in
    return jwt.encode(payload, secret, algorithm=algorithm, headers=headers)
