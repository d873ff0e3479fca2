"""A client that hangs up costs the log one line at most, never a traceback (issue 9 item 7; ADR 0017).

The attacker of test_slow_readers.py: sockets with a tiny receive buffer pipeline large list requests and never
read, so the server is blocked writing to each; then they reset the connection (SO_LINGER 0). The Procfile's real
process, in production mode, on a real PostgreSQL. Before the fix every such connection wrote uvicorn's
"Exception in ASGI application" traceback (a RuntimeError from writing to the closed transport): a few sockets a
second filled the disk. After it, /health still answers 200: nothing was left stuck.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import httpx

from backend.local.postgres import LocalPostgres
from tests.backend.conftest import make_token, new_user_id, web_process
from tests.backend.test_process import production_environment
from tests.backend.test_slow_readers import SLOW_SOCKETS, non_reading_clients, seed_large_tasks, wait_until_stuck

SETTLE_SECONDS = 3  # generous: the reset reaches the server in microseconds; its log lines follow at once
ANSWER_TIMEOUT_SECONDS = 15


def test_clients_that_hang_up_mid_answer_write_no_traceback(tmp_path: Path, postgres: LocalPostgres) -> None:
    secret = secrets.token_urlsafe(48)
    hoarder = new_user_id()
    asyncio.run(seed_large_tasks(postgres.url, hoarder))

    with web_process(tmp_path, production_environment(postgres, secret)) as web:
        web.wait_until_healthy()
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
