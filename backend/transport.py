"""What the HTTP server itself must bound before the app sees a request (issue 9 items 3 and 14; ADRs 0001, 0017).

uvicorn's httptools protocol has no limit on the request head (5 × 20 MB headers grew a worker from 92 to 221 MB)
and no deadline for receiving it (its keep-alive timer stops at the first byte, so a client sending one header
byte every few seconds holds a connection forever). ``BoundedHttpToolsProtocol`` — the Procfile's ``--http`` —
adds both: a head over ``MAX_HEAD_BYTES`` is answered 431 and the connection closed; a head not complete within
``HEAD_TIMEOUT_SECONDS`` of its first byte (or of the connection's opening) is answered 408 and closed. The body
has its own limits in ``backend/middleware.py`` (size, read time).

A client that hangs up mid-answer is a client event, not a server fault: uvicorn marks only the newest *pipelined*
request as disconnected, so the one actually being written — parked in ``flow.drain()`` on a non-reading client —
woke on the reset, wrote to the closed uvloop transport and logged a RuntimeError traceback per connection.
``_start_asgi_task`` gives each running request a ``send`` that drops what it writes once the transport is closing.

``AccessLogRedaction`` keeps query-string values out of the access log except the API's own parameters: a token
sent in a URL (``?token=…``, ``?access_token=…``) must not end up in Railway's log drain.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from uvicorn._types import ASGI3Application, ASGISendEvent
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.utils import get_client_addr

logger = logging.getLogger("backend.transport")

MAX_HEAD_BYTES = 32 * 1024  # request line + headers; a Better Auth JWT is ~1 KiB, nginx allows 4 × 8 KiB
HEAD_TIMEOUT_SECONDS = 10.0  # from the first byte of a request to the end of its headers
SAFE_QUERY_PARAMETERS = frozenset({"completed", "limit", "offset"})  # the task list's; nothing secret
REDACTED = "[redacted]"


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a size limit and a deadline on each request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True  # from a connection's or request's first byte to the end of its headers
        self._head_bytes = 0
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_deadline()  # a connection that never sends a byte is bounded too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._reading_head and not self.transport.is_closing():
            # Counted after parsing: a chunk that also completed the head does not count. Memory stays bounded by
            # the limit plus one read (httptools buffers an incomplete header in full). A chunk that ends one
            # request and starts a pipelined one counts whole: at most one read of slack, on the safe side.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, "request header fields too large")

    def on_message_begin(self) -> None:
        """The first byte of a request (the next one on a kept-alive connection, too): its head starts here."""
        super().on_message_begin()
        self._reading_head = True
        self._start_head_deadline()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._head_bytes = 0
        self._cancel_head_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        """Every request's ``send`` checks the transport after waiting to write: once it is closing (the client reset,
        or this server closed it), the answer can reach no one and the request is disconnected — as ASGI says, its
        later sends are dropped and ``receive`` answers ``http.disconnect``. (uvicorn 0.54's private hook; pinned.)"""
        # The wrapper holds the cycle weakly: stored on the cycle, a strong reference would make a reference cycle, and
        # every finished request (its scope, headers, cycle: ~14 objects) would wait for the garbage collector instead
        # of being freed on the spot — ~30 µs of CPU per request under load (ADR 0018 step 18). The running task holds
        # the cycle while the app can call ``send``.
        transport, cycle_ref = self.transport, weakref.ref(cycle)

        async def send(message: ASGISendEvent) -> None:
            current = cycle_ref()
            if current is None:  # the request's task is gone: nobody is left to answer
                return
            if current.flow.write_paused and not current.disconnected:
                await current.flow.drain()  # woken by connection_lost too: look at the transport after, not before
            if transport.is_closing() and not current.response_complete:
                current.disconnected = True
            await RequestResponseCycle.send(current, message)

        cycle.send = send  # type: ignore[method-assign]  # run_asgi hands the app ``self.send``
        super()._start_asgi_task(cycle, app)

    def _start_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self._reading_head and not self.transport.is_closing():
            self._refuse(408, "request headers not received in time")

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _refuse(self, status: int, reason: str) -> None:
        """One log line (never the bytes received), a short plain answer, and the connection closed."""
        client = get_client_addr({"client": self.client}) if self.client else "-"  # type: ignore[typeddict-item]
        logger.warning("%s - closed: %s", client, reason)
        body = reason.encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (status, _REASONS[status], len(body), body))
        self.transport.close()
        self._cancel_head_deadline()


_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class AccessLogRedaction(logging.Filter):
    """Rewrites uvicorn's access record: query values other than the API's own parameters become [redacted]."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def redact_query(path_with_query: str) -> str:
    path, _, query = path_with_query.partition("?")
    kept = [pair if pair.partition("=")[0] in SAFE_QUERY_PARAMETERS else REDACTED for pair in query.split("&")]
    return f"{path}?{'&'.join(kept)}"


def install_access_log_redaction() -> None:
    """Called by the app factory, after uvicorn configured its loggers and before the first request."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, AccessLogRedaction) for existing in access.filters):
        access.addFilter(AccessLogRedaction())
