"""The transport, on the Procfile's real process (issue 9 items 3 and 14; ADRs 0001, 0017): huge request heads and
slow ones are cut off, the client address comes only from the trusted proxy, and no query-string token reaches
the access log. Then the body read deadline, in-process (it is the app's middleware).

Railway's edge cannot exist here: the process trusts 127.0.0.1 as "the edge" (FORWARDED_ALLOW_IPS), and an
attacker connects straight to the app from 127.0.0.2 — another loopback address, so another peer.
"""

from __future__ import annotations

import asyncio
import gc
import secrets
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from backend.local.postgres import LocalPostgres
from backend.local.rehearsal import ROOT
from backend.transport import HEAD_TIMEOUT_SECONDS, MAX_HEAD_BYTES, REDACTED, BoundedHttpToolsProtocol
from tests.backend.conftest import WebProcess, api_for, make_settings, make_token, new_user_id, production_web, serve

HUGE_HEADER_BYTES = 20 * 1024 * 1024
RSS_GROWTH_LIMIT_BYTES = 16 * 1024 * 1024  # unbounded, 5 × 20 MB heads grew the worker by ~130 MB
CLOSE_BOUND_SECONDS = HEAD_TIMEOUT_SECONDS + 20  # generous: the property is "closed", not "closed fast"
ATTACKER = "127.0.0.2"


@pytest.fixture(scope="module")
def web(postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebProcess, str]]:
    with production_web(tmp_path_factory.mktemp("transport"), postgres.url) as started:
        yield started


def rss_bytes(pid: int) -> int:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) * 1024


def send_huge_head(port: int) -> bytes:
    """A request whose one header is 20 MB; returns what the server answered before closing (maybe nothing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        try:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: app\r\nX-Padding: ")
            chunk = b"a" * 65536
            for _ in range(HUGE_HEADER_BYTES // len(chunk)):
                conn.sendall(chunk)
            conn.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed mid-send: what we want
        try:
            return conn.recv(4096)
        except ConnectionResetError:
            return b""


def test_huge_request_heads_are_refused_and_memory_does_not_grow(web: tuple[WebProcess, str]) -> None:
    process, _ = web
    before = rss_bytes(process.process.pid)

    answers = [send_huge_head(process.port) for _ in range(5)]

    growth = rss_bytes(process.process.pid) - before
    for answer in answers:
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert any(answer.startswith(b"HTTP/1.1 431 ") for answer in answers)
    assert growth < RSS_GROWTH_LIMIT_BYTES, f"RSS grew by {growth / 2**20:.1f} MiB"
    with httpx.Client(base_url=process.base_url, timeout=10) as http:
        assert http.get("/health").status_code == 200
    # A head just under the limit is fine: the limit is not in the way of real requests.
    with httpx.Client(base_url=process.base_url, timeout=10) as http:
        assert http.get("/health", headers={"X-Padding": "a" * (MAX_HEAD_BYTES // 2)}).status_code == 200


def test_a_slowloris_head_is_closed_within_a_bound(web: tuple[WebProcess, str]) -> None:
    process, _ = web
    with socket.create_connection(("127.0.0.1", process.port), timeout=5) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: app\r\n")
        started = time.monotonic()
        answer = b""
        closed = False
        while time.monotonic() - started < CLOSE_BOUND_SECONDS:
            try:
                conn.sendall(b"X")  # one header byte at a time, never finishing the head
                conn.settimeout(1)
                answer = conn.recv(4096)
                closed = True
                break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break

    assert closed, f"the connection was still open after {CLOSE_BOUND_SECONDS} s"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def access_lines(process: WebProcess, marker: str) -> list[str]:
    return [line for line in process.log.splitlines() if marker in line and '"GET ' in line]


def wait_for_access_line(process: WebProcess, marker: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if lines := access_lines(process, marker):
            return lines[-1]
        time.sleep(0.05)
    raise AssertionError(f"no access line for {marker}:\n{process.log[-2000:]}")


def test_only_the_trusted_proxy_chooses_the_client_address(web: tuple[WebProcess, str]) -> None:
    process, _ = web
    spoofed, real = "203.0.113.66", "198.51.100.7"
    direct = httpx.Client(base_url=process.base_url, timeout=10,
                          transport=httpx.HTTPTransport(local_address=ATTACKER))
    with direct, httpx.Client(base_url=process.base_url, timeout=10) as edge:
        assert direct.get("/health", headers={"X-Forwarded-For": spoofed}).status_code == 200
        assert edge.get("/health", headers={"X-Forwarded-For": f"{spoofed}, {real}"}).status_code == 200

    wait_for_access_line(process, f"{ATTACKER}:")  # the attacker, as the socket says, not as its header claims
    wait_for_access_line(process, f"{real}:")  # behind the edge: the right-most entry, the one the edge appended
    assert spoofed not in process.log, "a client chose its own address"


def test_the_procfile_trusts_railways_edge_by_default_never_everyone() -> None:
    procfile = (ROOT / "Procfile").read_text()

    assert "--forwarded-allow-ips '*'" not in procfile and '--forwarded-allow-ips "*"' not in procfile
    assert '--forwarded-allow-ips ${FORWARDED_ALLOW_IPS:-100.64.0.0/10}' in procfile


def test_a_token_in_the_query_string_never_reaches_the_access_log(web: tuple[WebProcess, str]) -> None:
    process, secret = web
    user_id = new_user_id()
    token = make_token(secret, user_id)
    marker = secrets.token_hex(4)

    with httpx.Client(base_url=process.base_url, timeout=10) as http:
        http.get(f"/api/{user_id}/tasks", params={"limit": 5, "token": token, "access_token": token, marker: "x"},
                 headers={"Authorization": f"Bearer {token}"})
        http.get(f"/api/{user_id}/tasks?{token}")

    wait_for_access_line(process, f"/api/{user_id}/tasks?{REDACTED}")
    assert any("limit=5" in line for line in access_lines(process, user_id))  # the API's own parameters stay
    assert token not in process.log
    assert token.split(".")[1] not in process.log  # not even the payload


# ------------------------------------------------------------------------------------------------ body deadline


@pytest.fixture
async def slow_body_http(postgres: LocalPostgres, secret: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(postgres.url, secret, request_body_timeout=0.5)) as http:
        yield http


@pytest.mark.anyio
async def test_a_body_trickled_past_the_deadline_is_408_and_nothing_is_stored(
    slow_body_http: httpx.AsyncClient, secret: str
) -> None:
    user = api_for(slow_body_http, secret)

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"title": "slow'
        await asyncio.sleep(3)
        yield b'"}'

    response = await user.request("POST", content=trickle(), headers={"Content-Type": "application/json"})

    assert response.status_code == 408
    assert response.json() == {"detail": "request body not received in time"}
    assert await user.tasks() == []
    assert (await user.create("on time")).status_code == 201


class _RecordingTransport(asyncio.Transport):
    """Stands in for uvloop's TCP transport: remembers what was written, nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.anyio
async def test_a_finished_request_is_freed_at_once_not_left_to_the_garbage_collector() -> None:
    """Each request's ``send`` wrapper must not tie the request into a reference cycle: a cycle leaves every finished
    request (scope, headers, cycle) to the collector, which cost ~30 µs of CPU per request under load (ADR 0018
    step 18). Served in process, 500 keep-alive requests leave no more cyclic garbage than uvicorn's own protocol."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"[]"})

    config = Config(app=app, access_log=False, proxy_headers=False)
    config.load()
    protocol = BoundedHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    transport = _RecordingTransport()
    protocol.connection_made(transport)
    requests = 500
    gc.collect()
    gc.disable()
    try:
        for _ in range(requests):
            protocol.data_received(b"GET /health HTTP/1.1\r\nHost: app\r\n\r\n")
            while protocol.tasks:  # the request's task has answered and finished
                await asyncio.sleep(0)
        left_for_the_collector = gc.collect()
    finally:
        gc.enable()
        protocol.connection_lost(None)
    assert transport.written.count(b"HTTP/1.1 200 OK") == requests
    assert left_for_the_collector < requests / 10, f"{left_for_the_collector} cyclic objects after {requests} requests"
