"""A loopback TCP proxy that adds a fixed one-way delay to every byte, in both directions.

100 ms each way gives the 200 ms round trip of a distant Railway region, without ``tc netem`` (which needs
root and a network namespace). Each chunk is released ``delay`` seconds after it arrived, in order, so the
proxy adds latency without limiting throughput: a pipe, not a queue that serializes chunks behind sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

CHUNK_BYTES = 65536


class DelayProxy:
    def __init__(self, target_host: str, target_port: int, delay_seconds: float = 0.1) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.delay = delay_seconds
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()
        self.handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> DelayProxy:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Close the listener and every open socket, then let each handler end by itself (no cancellation)."""
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.close()
        if self.handlers:
            await asyncio.wait(self.handlers, timeout=self.delay * 4 + 1)

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        if handler is not None:
            self.handlers.add(handler)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.close()
            return
        self.writers |= {client_writer, upstream_writer}
        try:
            await asyncio.gather(self._pipe(client_reader, upstream_writer),
                                 self._pipe(upstream_reader, client_writer), return_exceptions=True)
        finally:
            self.writers -= {client_writer, upstream_writer}
            if handler is not None:
                self.handlers.discard(handler)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not chunk:
                    return
                writer.write(chunk)
                await writer.drain()

        delivering = asyncio.ensure_future(deliver())
        try:
            while True:
                chunk = await reader.read(CHUNK_BYTES)
                queue.put_nowait((time.monotonic() + self.delay, chunk))
                if not chunk:  # end of stream travels with the same delay
                    break
            await delivering
        finally:
            delivering.cancel()
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()
