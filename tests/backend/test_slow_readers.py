"""A client that never reads its answers must not hold a database connection (issue 9 item 1, ADR 0002).

Reproduced as the attacker did, against the Procfile's ``web`` process in production mode on a real PostgreSQL:
one user with a full page of large tasks opens 12 sockets with a tiny receive buffer, pipelines 8 list requests
on each and never reads. The server blocks writing those bodies. While it does, another user's list and
``/health`` must still answer 200: the connection went back to the pool before the body was sent.
Before the fix each stuck response held its session "idle in transaction" until the body was delivered, the
10-connection pool ran dry and everyone else got 503 for as long as the sockets stayed open.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from backend.database import APPLICATION_NAME
from backend.dependencies import services_of
from backend.local.postgres import LocalPostgres
from backend.local.procfs import tcp_sockets
from backend.main import create_app
from backend.schemas import DESCRIPTION_MAX, TITLE_MAX
from backend.settings import Settings
from tests.backend.conftest import WebProcess, api_for, make_token, new_user_id, production_web

SLOW_SOCKETS = 12  # more than the pool holds (DATABASE_MAX_CONNECTIONS, 10 by default)
PAGE = 100
PAGE_BYTES = PAGE * (TITLE_MAX + DESCRIPTION_MAX)  # a lower bound of one list answer's size


def pipelined_requests() -> int:
    """The issue's 8 requests per socket, or enough answers to overflow the largest send buffer this kernel will
    grow to (``tcp_wmem`` max, 4 MiB by default): only then does the server itself block writing."""
    send_buffer_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    return max(8, send_buffer_max // PAGE_BYTES + 2)


RECEIVE_BUFFER = 4096
STUCK_WAIT_SECONDS = 30  # generous: only how long the server may take to fill 12 send buffers
QUIET_SAMPLES = 5  # 0.1 s apart
ANSWER_TIMEOUT_SECONDS = 15  # the answers are expected in milliseconds; a held pool answers 503 after 5 s


async def seed_large_tasks(database_url: str, user_id: str) -> None:
    """A full page of maximum-size tasks, so each list answer (~130 kB) is far larger than any socket buffer."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.executemany(
            "INSERT INTO tasks (user_id, title, description) VALUES ($1, $2, $3)",
            [(user_id, "t" * TITLE_MAX, "d" * DESCRIPTION_MAX) for _ in range(PAGE)],
        )
    finally:
        await connection.close()


async def sessions_idle_in_transaction(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'",
            APPLICATION_NAME)
    finally:
        await connection.close()


@contextmanager
def non_reading_clients(web: WebProcess, user_id: str, token: str) -> Iterator[list[int]]:
    """Open the sockets, pipeline the requests, never read; yield the sockets' local ports; reset them after."""
    request = (f"GET /api/{user_id}/tasks?limit={PAGE} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode()
    with ExitStack() as stack:
        ports = []
        for _ in range(SLOW_SOCKETS):
            client = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)  # before connect: sets the window
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
            client.connect(("127.0.0.1", web.port))
            client.sendall(request * pipelined_requests())
            ports.append(client.getsockname()[1])
        yield ports


def send_queues(web: WebProcess, client_ports: list[int]) -> dict[int, int]:
    """Per connection, the bytes the server wrote that the client has not taken (``ss``'s Send-Q)."""
    return {sock.remote_port: sock.send_queue for sock in tcp_sockets(web.process.pid)
            if sock.remote_port in client_ports}


def wait_until_stuck(web: WebProcess, client_ports: list[int]) -> int:
    """Wait until the server holds unsent bytes on every connection and has stopped making progress on any
    (the same queues over several samples): it is blocked writing. Returns how many connections are stuck."""
    deadline = time.monotonic() + STUCK_WAIT_SECONDS
    samples: list[dict[int, int]] = []
    while time.monotonic() < deadline:
        samples = [*samples[-(QUIET_SAMPLES - 1):], send_queues(web, client_ports)]
        stuck = sum(1 for queued in samples[-1].values() if queued)
        if stuck == len(client_ports) and len(samples) == QUIET_SAMPLES and all(s == samples[0] for s in samples):
            break
        time.sleep(0.1)
    return sum(1 for queued in samples[-1].values() if queued) if samples else 0


def test_clients_that_never_read_do_not_hold_the_pool(tmp_path: Path, postgres: LocalPostgres) -> None:
    hoarder, other = new_user_id(), new_user_id()
    asyncio.run(seed_large_tasks(postgres.url, hoarder))

    with production_web(tmp_path, postgres.url) as (web, secret):
        with non_reading_clients(web, hoarder, make_token(secret, hoarder)) as client_ports:
            stuck = wait_until_stuck(web, client_ports)
            with httpx.Client(base_url=web.base_url, timeout=ANSWER_TIMEOUT_SECONDS) as http:
                other_auth = {"Authorization": f"Bearer {make_token(secret, other)}"}
                listed = http.get(f"/api/{other}/tasks", headers=other_auth)
                health = http.get("/health")
            held = asyncio.run(sessions_idle_in_transaction(postgres.url))
        with httpx.Client(base_url=web.base_url, timeout=ANSWER_TIMEOUT_SECONDS) as http:
            after = http.get("/health")
        log = web.log

    assert (listed.status_code, listed.json()) == (200, [])
    assert health.status_code == 200, health.text
    assert held == 0, "a response being written still holds its database session open"
    assert stuck == SLOW_SOCKETS, "premise: the server was blocked writing to every non-reading socket"
    assert after.status_code == 200
    assert "database unavailable" not in log  # no request anywhere was turned away for want of a connection


# ------------------------------------------------------------------------------- every route, in process


class PoolAtResponseStart:
    """Wraps the app: records how many pooled connections are checked out as each response starts."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.checked_out: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watching(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.checked_out.append(services_of(self.app).engine.pool.checkedout())
            await send(message)

        await self.app(scope, receive, watching)


@pytest.mark.anyio
async def test_every_route_returns_its_connection_before_the_response_starts(settings: Settings, secret: str) -> None:
    app = create_app(settings)
    watched = PoolAtResponseStart(app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(watched), base_url="http://testserver", timeout=30
    ) as http:
        alice = api_for(http, secret)
        task = await alice.created("watched")
        statuses = [
            (await alice.list()).status_code,
            (await alice.get(task["id"])).status_code,
            (await alice.put(task["id"], title="renamed")).status_code,
            (await alice.toggle(task["id"])).status_code,
            (await alice.put(task["id"], title="")).status_code,
            (await alice.list(limit=0)).status_code,
            (await alice.request("GET", user_id=new_user_id())).status_code,
            (await alice.delete(task["id"])).status_code,
            (await alice.get(task["id"])).status_code,
            (await http.get("/health")).status_code,
        ]

    assert statuses == [200, 200, 200, 200, 422, 422, 403, 204, 404, 200]
    assert watched.checked_out == [0] * 11  # the create above, then each request of the list
