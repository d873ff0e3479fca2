"""The frontend's JSON Web Key Set, cached so that its outages and slowness never become ours.

Spec: US2 scenario 3 (only the token's own user gets in). Decision: history/adr/0007-pyjwt-hs256-and-jwks.md
("Availability of the JWKS", issue 9 item 2).

Rules, each because of a way the JWKS endpoint can fail:
- A token whose ``kid`` is cached is verified at once, never behind a fetch: when the cached set is older than
  ``fresh_for`` a refresh starts in the background and this request uses the keys it has.
- Stale-if-error: a failed fetch keeps the keys we have; they stay trusted until a fetch succeeds.
- At most one fetch at a time (concurrent requests share it), and none sooner than a cool-down after the last
  attempt: ``REFETCH_COOLDOWN_SECONDS`` after a success (made-up kids cost nothing), ``FAILURE_COOLDOWN_SECONDS``
  after a failure (a 503 or a hanging endpoint is not hammered).
- A fetch is bounded: ``timeout`` seconds in all (connect, headers and body), ``MAX_JWKS_BYTES``, no redirects.
- A key that cannot be obtained because the endpoint is failing is ``KeysUnavailable`` (the caller answers 503);
  a kid the endpoint, when it answered, did not publish is ``UnknownKey`` (401).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

logger = logging.getLogger("backend.jwks")

FRESH_SECONDS = 300
REFETCH_COOLDOWN_SECONDS = 2
FAILURE_COOLDOWN_SECONDS = 5
MAX_JWKS_BYTES = 64 * 1024
FETCH_ERRORS = (OSError, http.client.HTTPException, ValueError, jwt.PyJWTError)  # OSError: URLError, timeouts


class KeysUnavailable(Exception):
    """The JWKS endpoint is failing and no cached key matches: nobody can tell whether the token is valid."""


class UnknownKey(Exception):
    """The endpoint answered and does not publish this kid."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def download(url: str, timeout: float) -> bytes:
    """GET ``url`` within ``timeout`` seconds in all: a server trickling bytes is cut off, not waited for."""
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_NoRedirects())
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (http(s) checked by Settings)
    with opener.open(request, timeout=timeout) as response:
        body = bytearray()
        while chunk := response.read(8192):
            body += chunk
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
            if time.monotonic() > deadline:
                raise TimeoutError("JWKS body not received in time")
    return bytes(body)


class JwksKeys:
    """Signing keys by ``kid``, fetched from ``url``. One instance per app; used from its event loop only."""

    def __init__(self, url: str, *, timeout: float, fresh_for: float = FRESH_SECONDS) -> None:
        self.url = url
        self.timeout = timeout
        self.fresh_for = fresh_for
        self._keys: dict[str, PyJWK] | None = None
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self._last_failed = False
        self._fetching: asyncio.Task[None] | None = None

    async def signing_key(self, kid: str) -> PyJWK:
        if self._keys is not None and kid in self._keys:
            if time.monotonic() - self._fetched_at > self.fresh_for:
                self._start_fetch()  # in the background: this request does not wait for it
            return self._keys[kid]
        fetching = self._start_fetch()
        if fetching is not None:
            await asyncio.shield(fetching)  # a client that disconnects does not cancel everyone's fetch
        if self._keys is not None and kid in self._keys:
            return self._keys[kid]
        if self._last_failed:
            raise KeysUnavailable
        raise UnknownKey

    def _start_fetch(self) -> asyncio.Task[None] | None:
        """The fetch under way, a new one if the cool-down allows, else None."""
        if self._fetching is None and self._cooled_down():
            self._last_attempt = time.monotonic()
            self._fetching = asyncio.get_running_loop().create_task(self._fetch())
        return self._fetching

    def _cooled_down(self) -> bool:
        if self._last_attempt is None:
            return True
        pause = FAILURE_COOLDOWN_SECONDS if self._last_failed else REFETCH_COOLDOWN_SECONDS
        return time.monotonic() - self._last_attempt >= pause

    async def _fetch(self) -> None:
        try:
            # The thread also stops by itself: every socket operation and the body have the same deadline.
            body = await asyncio.wait_for(asyncio.to_thread(download, self.url, self.timeout), self.timeout + 1)
            keys = {key.key_id: key for key in PyJWKSet.from_dict(json.loads(body)).keys if key.key_id}
        except (*FETCH_ERRORS, TimeoutError) as error:
            if isinstance(error, urllib.error.HTTPError):
                error.close()
            self._last_failed = True
            logger.warning("JWKS fetch failed (%s); %s", _describe(error),
                           "still trusting the cached keys" if self._keys else "no keys cached: JWKS tokens get 503")
            return
        finally:
            self._fetching = None
        self._keys, self._fetched_at, self._last_failed = keys, time.monotonic(), False


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        return type(error.reason).__name__  # e.g. SSLCertVerificationError, ConnectionRefusedError
    return type(error).__name__
