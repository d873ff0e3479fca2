"""Small pure-ASGI guards: request body size and read-time limits, and response headers every API answer should
carry. The request head is bounded one layer down, in backend/transport.py."""

from __future__ import annotations

import asyncio
import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class HttpMiddleware:
    """A pure-ASGI middleware for HTTP requests (``handle``); every other scope (lifespan) passes straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodySizeLimit(HttpMiddleware):
    """Answer 413 before reading more than ``max_bytes``: an oversized body never reaches JSON parsing. Answer 408
    when the body is not received within ``read_timeout`` seconds of the first read: a client trickling its body
    must not hold a request (and what it holds) open indefinitely."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout: float) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send)
            return
        received = 0
        rejected = False
        body_complete = False
        started = False
        deadline: float | None = None

        async def limited_receive() -> Message:
            nonlocal received, rejected, body_complete, deadline
            if body_complete or rejected:
                return await receive()  # waiting for a disconnect after the body is not bounded here
            deadline = deadline or time.monotonic() + self.read_timeout
            try:
                message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0))
            except TimeoutError:
                rejected = True
                if not started:
                    await _answer(send, 408, "request body not received in time")
                return {"type": "http.disconnect"}
            body_complete = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not rejected:
                    # Chunked upload without Content-Length: answer now, and let the app see a disconnect.
                    rejected = True
                    await _too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not rejected:
                started = True
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def _too_large(send: Send) -> None:
    await _answer(send, 413, "request body too large")


async def _answer(send: Send, status: int, detail: str) -> None:
    """A JSON error; ``connection: close`` because the rest of the body was not read."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 408:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
