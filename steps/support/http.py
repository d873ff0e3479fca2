"""One ``httpx.Client`` per run: keep-alive, bounded timeouts, and every response describable in a failure
message without leaking a token or the secret.

SC-004 (the live-safe set under 60 s at internet latency) is why the connection is reused and requests are few;
the client counts requests and TCP connections so the run report can show it.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterable
from typing import Any

import httpx

from audit.redact import Redactor

USER_AGENT = "tasks-acceptance-suite/1 (behave; read-only or self-cleaning)"
SHOWN_HEADERS = (
    "content-type", "cache-control", "www-authenticate", "retry-after", "vary", "access-control-allow-origin",
    "access-control-allow-credentials", "access-control-allow-methods", "access-control-allow-headers",
    "location", "server",
)
BODY_EXCERPT = 300


REDACT = Redactor()  # every secret value of this run (the shared secret, minted tokens): masked in what we print


class Api:
    """The target service over HTTP. Paths are relative to the base URL; nothing else is ever contacted."""

    def __init__(self, base_url: str, timeout: float = 10.0, verify: ssl.SSLContext | bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.base_url,
            verify=verify,  # the rehearsal's TLS edge: its throwaway CA; live: the system's CAs
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=60),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,  # a redirect (e.g. http→https) is a finding to show, not to hide
        )
        self._lock = threading.Lock()
        self.requests = 0
        self.connections = 0

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, *, token: str | None = None, origin: str | None = None,
                headers: dict[str, str] | None = None, json_body: Any = None, content: bytes | None = None,
                params: dict[str, Any] | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if origin is not None:
            sent["Origin"] = origin
        with self._lock:
            self.requests += 1
        try:
            return self.client.request(method, path, headers=sent, json=json_body, content=content, params=params,
                                       extensions={"trace": self._trace})
        except httpx.TimeoutException:
            raise AssertionError(f"{method} {path}: no answer within {self.client.timeout.read:.0f}s — the service "
                                 "hangs instead of answering (expected a status, even an error one)") from None
        except httpx.TransportError as error:
            raise AssertionError(f"{method} {path}: {self.base_url} unreachable ({type(error).__name__}: "
                                 f"{REDACT(str(error))})") from None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def preflight(self, path: str, origin: str, method: str, request_headers: Iterable[str]) -> httpx.Response:
        """What a browser sends before a cross-origin request with an Authorization header."""
        return self.request("OPTIONS", path, origin=origin, headers={
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ", ".join(request_headers),
        })

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            with self._lock:
                self.connections += 1


def describe(response: httpx.Response) -> str:
    """Status, the headers that matter and a body excerpt; the Authorization header is never shown."""
    request = response.request
    lines = [f"{request.method} {request.url.path}"
             + (f" (Origin: {request.headers['origin']})" if "origin" in request.headers else "")
             + f" → {response.status_code} {response.reason_phrase}"]
    shown = [f"{name}: {response.headers[name]}" for name in SHOWN_HEADERS if name in response.headers]
    lines.append("  headers: " + ("; ".join(shown) if shown else "(none of interest)"))
    lines.append("  body: " + body_excerpt(response))
    return REDACT("\n".join(lines))


def body_excerpt(response: httpx.Response) -> str:
    if response.request.method == "HEAD":
        return "(HEAD: no body)"
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return "(unreadable)"
    if not text:
        return "(empty)"
    text = " ".join(text.split())
    return REDACT(text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "…")


def json_body(response: httpx.Response) -> Any:
    """The parsed body, or an AssertionError that shows what came back instead of JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AssertionError(f"expected a JSON body\n{describe(response)}") from None
