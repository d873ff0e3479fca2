"""What a client error costs the log (issue 9 item 7; ADR 0017): one line, never a traceback. Only a real server
fault writes a traceback, and only once. The real process (the Procfile's web line, production mode) and its real
log, over HTTP; the bad inputs are those of test_bad_input.py.
"""

from __future__ import annotations

import secrets
import socket
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from backend.local.postgres import LocalPostgres
from tests.backend.conftest import WebProcess, make_settings, make_token, new_user_id, production_web

JSON = {"Content-Type": "application/json"}
LOG_WAIT_SECONDS = 10


def new_lines(web: WebProcess, before: int, expected: int) -> list[str]:
    """The log lines written since ``before``, once ``expected`` have arrived (then a moment more for strays)."""
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while len(web.log.splitlines()) - before < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return web.log.splitlines()[before:]


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        return connection.recv(4096)


def test_each_client_error_writes_one_log_line_and_no_traceback(postgres: LocalPostgres, tmp_path: Path) -> None:
    user = new_user_id()
    tasks = f"/api/{user}/tasks"
    with production_web(tmp_path, postgres.url) as (web, secret):
        auth = {"Authorization": f"Bearer {make_token(secret, user)}"}
        requests = [
            ("GET", tasks, {}, 401),
            ("GET", tasks, {"headers": {"Authorization": "Bearer not.a.token"}}, 401),
            ("GET", "/api/someone-else/tasks", {"headers": auth}, 403),
            ("GET", f"{tasks}/424242", {"headers": auth}, 404),
            ("PATCH", tasks, {"headers": auth}, 405),
            ("POST", tasks, {"headers": {**auth, **JSON}, "content": b"x" * 70_000}, 413),
            ("POST", tasks, {"headers": {**auth, **JSON}, "content": b'{"title": "\\ud800"}'}, 422),
            ("POST", tasks, {"headers": {**auth, **JSON}, "content": b'{"title": "\xe9t\xe9"}'}, 422),
            ("POST", tasks, {"headers": {**auth, **JSON}, "content": b"[" * 60_000}, 422),
            ("POST", tasks, {"headers": {**auth, **JSON}, "content": b"{"}, 422),
            ("POST", tasks, {"headers": {**auth, "Content-Type": "text/plain"}, "content": b"\xff"}, 422),
            ("GET", f"{tasks}/{2**63}", {"headers": auth}, 422),
            ("DELETE", f"{tasks}/-{2**63 + 1}", {"headers": auth}, 422),
            ("GET", f"{tasks}?complete=true", {"headers": auth}, 422),
        ]
        before = len(web.log.splitlines())
        with httpx.Client(base_url=web.base_url, timeout=10) as http:
            statuses = [http.request(method, path, **options).status_code for method, path, options, _ in requests]
        garbage = raw_request(web.port, b"NOT HTTP AT ALL\r\n\r\n")
        lines = new_lines(web, before, len(requests) + 1)

    assert statuses == [status for *_, status in requests]
    assert garbage.startswith(b"HTTP/1.1 400")
    assert len(lines) == len(requests) + 1, "\n".join(lines)  # one access line each, one for the garbage
    assert not [line for line in lines if "Traceback" in line or line.startswith("ERROR")], "\n".join(lines)
    assert sum(f'HTTP/1.1" {status}' in line for line in lines for *_, status in requests) >= len(requests)


def test_a_real_server_fault_logs_its_traceback_once(postgres: LocalPostgres, tmp_path: Path) -> None:
    """A login without rights on ``tasks`` (a broken grant, the operator's fault): 500, and the traceback is there
    for the operator, once, with where it happened."""
    role, password = f"no_grants_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    postgres.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    user = new_user_id()
    url = postgres.url.replace("postgresql://postgres@", f"postgresql://{role}:{password}@", 1)
    assert role in url
    with production_web(tmp_path, url) as (web, secret):
        before = len(web.log.splitlines())
        response = httpx.get(f"{web.base_url}/api/{user}/tasks", timeout=10,
                             headers={"Authorization": f"Bearer {make_token(secret, user)}"})
        lines = new_lines(web, before, 2)

    log = "\n".join(lines)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert [line for line in lines if line.startswith("ERROR")] == [
        f"ERROR:     backend.errors - unhandled error during GET /api/{user}/tasks"], log
    assert "Traceback (most recent call last)" in log
    assert "InsufficientPrivilegeError" in log
    assert password not in log


@pytest.mark.anyio
async def test_a_fault_outside_the_database_is_answered_once_not_re_raised(postgres: LocalPostgres,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    """Starlette re-raises what its last-resort handler answered, and uvicorn then logs the traceback again; a
    fault answered by the app's own handler is not re-raised (the ASGI transport below would raise it)."""
    from backend.main import create_app

    app = create_app(make_settings(postgres.url, secrets.token_urlsafe(48)))
    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise RuntimeError("a bug")

    app.include_router(broken)
    transport = httpx.ASGITransport(app, raise_app_exceptions=True)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://testserver") as http:
        response = await http.get("/broken")

    assert response.status_code == 500
    faults = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.getMessage() for record in faults] == ["unhandled error during GET /broken"]
    assert faults[0].exc_info is not None
