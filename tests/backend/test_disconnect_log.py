"""A client that hangs up costs the log one line at most, never a traceback (issue 9 item 7; ADR 0017).

The attacker of test_slow_readers.py: sockets with a tiny receive buffer pipeline large list requests and never
read, so the server is blocked writing to each; then they reset the connection (SO_LINGER 0). The Procfile's real
process, in production mode, on a real PostgreSQL. Before the fix every such connection wrote uvicorn's
"Exception in ASGI application" traceback (a RuntimeError from writing to the closed transport): a few sockets a
second filled the disk. After it, /health still answers 200: nothing was left stuck.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from backend.local.postgres import LocalPostgres, free_port
from backend.transport import BoundedHttpToolsProtocol
from tests.backend.conftest import make_token, new_user_id, production_web
from tests.backend.test_slow_readers import SLOW_SOCKETS, non_reading_clients, seed_large_tasks, wait_until_stuck

SETTLE_SECONDS = 3  # generous: the reset reaches the server in microseconds; its log lines follow at once
ANSWER_TIMEOUT_SECONDS = 15


def test_clients_that_hang_up_mid_answer_write_no_traceback(tmp_path: Path, postgres: LocalPostgres) -> None:
    hoarder = new_user_id()
    asyncio.run(seed_large_tasks(postgres.url, hoarder))

    with production_web(tmp_path, postgres.url) as (web, secret):
        before = len(web.log.splitlines())
        with non_reading_clients(web, hoarder, make_token(secret, hoarder)) as client_ports:
            stuck = wait_until_stuck(web, client_ports)
        time.sleep(SETTLE_SECONDS)  # the sockets were reset on leaving the block
        lines = web.log.splitlines()[before:]
        with httpx.Client(base_url=web.base_url, timeout=ANSWER_TIMEOUT_SECONDS) as http:
            health = http.get("/health")

    log = "\n".join(lines)
    assert stuck == SLOW_SOCKETS, "premise: the server was blocked writing to every non-reading socket"
    assert "Traceback" not in log, log[:4000]
    assert not [line for line in lines if line.startswith("ERROR")], log[:4000]
    # Every request answered in full logs its access line; the cut-off ones log at most one line per connection.
    cut_off = [line for line in lines if 'HTTP/1.1" 200' not in line]
    assert len(cut_off) <= SLOW_SOCKETS, log[:4000]
    assert health.status_code == 200


async def fails_mid_answer(scope: Scope, receive: Receive, send: Send) -> None:
    """A bug uvicorn's ``send`` itself detects, the client still connected: a real server fault, which a fix that
    silenced every failing send (or called every send after the start "disconnected") would hide."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"0123456789"})


@pytest.mark.anyio
async def test_a_fault_while_the_client_is_connected_still_logs_its_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    """The disconnect rule drops writes only once the transport is closing: a fault on a live connection is not
    mistaken for a hang-up (the Procfile's protocol class in process, on the test's event loop; no app middleware
    in the way, so what is logged is uvicorn's own fault report)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fails_mid_answer, host="127.0.0.1", port=port, lifespan="off",
                                          http=BoundedHttpToolsProtocol, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(timeout=10) as http:
            with pytest.raises(httpx.RemoteProtocolError):  # closed after the head: no body at all
                await http.get(f"http://127.0.0.1:{port}/")
    finally:
        server.should_exit = True
        await serving

    faults = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.getMessage() for record in faults] == ["Exception in ASGI application\n"]
    assert faults[0].exc_info is not None
    assert str(faults[0].exc_info[1]) == "Response content longer than Content-Length"
