"""The real process: the Procfile's ``web`` line run with ``sh -c`` as Railway's start command is (FR-001, FR-002,
ADRs 0001, 0005). Fail fast before binding, bind only $PORT, exit clearly when the port is taken, finish in-flight
requests on SIGTERM and dispose of the engine. Started sparingly: each start costs about a second.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from backend.database import APPLICATION_NAME
from backend.local.postgres import LocalPostgres, free_port
from backend.local.processes import port_accepts
from backend.local.procfs import TCP_ESTABLISHED, listening_addresses, tcp_sockets
from backend.local.rehearsal import ROOT
from tests.backend.conftest import (
    ALLOWED,
    WebProcess,
    make_token,
    new_user_id,
    production_environment,
    production_web,
    web_process,
)

FAIL_FAST_SECONDS = 10


def listening_ports(pid: int) -> set[tuple[str, int]]:
    return set(listening_addresses(pid))


def database_client_ports(pid: int, database_port: int) -> list[int]:
    return [sock.port for sock in tcp_sockets(pid)
            if sock.remote_port == database_port and sock.state == TCP_ESTABLISHED]


def run_until_exit(tmp_path: Path, environment: dict[str, str], port: int) -> tuple[WebProcess, bool, float]:
    """Start the web command, watch whether ``port`` ever accepts a connection, and wait for the exit."""
    with web_process(tmp_path, environment, port) as web:
        started = time.monotonic()
        bound = False
        while web.process.poll() is None and time.monotonic() - started < FAIL_FAST_SECONDS:
            bound = bound or port_accepts(port)
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        assert web.process.poll() is not None, f"still running after {FAIL_FAST_SECONDS}s:\n{web.log}"
    return web, bound, elapsed


# ------------------------------------------------------------------------------------------------ fail fast


SHORT_SECRET = "fail-fast-probe-" + "7" * 8  # too short on purpose; asserted never to be echoed
NEON_PASSWORD = "npg_" + "w" * 12
AT_SIGN_TAIL = "S" + secrets.token_hex(8)  # the rest of a password whose "@" was not percent-encoded
AT_SIGN_URL = f"postgresql://owner:p@ss:{AT_SIGN_TAIL}@ep-x-123456-pooler.us-east-2.aws.neon.tech/neondb"


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"ENVIRONMENT": "production"}, ["DATABASE_URL", "BETTER_AUTH_SECRET", "CORS_ORIGINS"]),
        ({"RAILWAY_ENVIRONMENT_NAME": "production", "CORS_ORIGINS": ALLOWED}, ["DATABASE_URL", "BETTER_AUTH_SECRET"]),
        ({"ENVIRONMENT": "production", "DATABASE_URL": f"mysql://owner:{NEON_PASSWORD}@ep-x-pooler.neon.tech/db",
          "JWT_SECRET": SHORT_SECRET, "CORS_ORIGINS": "*,http://tasks-frontend.vercel.app",
          "CORS_ORIGIN_REGEX": r"https://.*\.vercel\.app", "DATABASE_POOL_SIZE": "lots"},
         ["DATABASE_URL", "BETTER_AUTH_SECRET", "CORS_ORIGINS", "CORS_ORIGIN_REGEX", "DATABASE_POOL_SIZE"]),
        ({"ENVIRONMENT": "production", "DATABASE_URL": AT_SIGN_URL, "DATABASE_DIRECT_URL": AT_SIGN_URL,
          "BETTER_AUTH_SECRET": secrets.token_urlsafe(48), "CORS_ORIGINS": ALLOWED},
         ["DATABASE_URL", "DATABASE_DIRECT_URL"]),
    ],
    ids=["nothing-set", "railway-without-environment", "everything-wrong", "password-with-at-sign"],
)
def test_production_with_bad_configuration_exits_before_binding_with_one_message(
    tmp_path: Path, environment: dict[str, str], named: list[str]
) -> None:
    port = free_port()

    web, bound, elapsed = run_until_exit(tmp_path, environment, port)

    log = web.log
    assert web.process.returncode == 2
    assert elapsed < FAIL_FAST_SECONDS
    assert bound is False
    assert "Uvicorn running" not in log
    assert "Traceback" not in log
    assert log.count("Configuration error, refusing to start") == 1
    message = log[log.index("Configuration error"):]
    for variable in named:
        assert f"- {variable}: " in message, variable
    assert [line for line in log.splitlines() if line.startswith(("ERROR", "CRITICAL"))] == [
        line for line in log.splitlines() if "Configuration error" in line
    ]
    assert NEON_PASSWORD not in log
    assert SHORT_SECRET not in log
    assert AT_SIGN_TAIL not in log
    assert "p@ss" not in log


# ------------------------------------------------------------------------------------------------ port


@pytest.fixture(scope="module")
def running_web(postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebProcess, str]]:
    """One production process for the checks that only need it running. JWT_SECRET, the alias, holds the secret."""
    secret = secrets.token_urlsafe(48)
    environment = {**production_environment(postgres.url, secret), "RAILWAY_GIT_COMMIT_SHA": "0123abc"}
    environment["JWT_SECRET"] = environment.pop("BETTER_AUTH_SECRET")
    with web_process(tmp_path_factory.mktemp("web"), environment) as web:
        web.wait_until_healthy()
        yield web, secret


def test_it_listens_on_port_and_only_there(running_web: tuple[WebProcess, str]) -> None:
    web, _ = running_web

    assert "uvicorn" in Path(f"/proc/{web.process.pid}/cmdline").read_text()  # `exec`: no shell in between
    assert listening_ports(web.process.pid) == {("0.0.0.0", web.port)}  # noqa: S104 (what the Procfile must bind: $PORT, nothing else)


def test_the_process_serves_production_as_configured(running_web: tuple[WebProcess, str]) -> None:
    web, secret = running_web
    user_id = new_user_id()
    auth = {"Authorization": f"Bearer {make_token(secret, user_id)}"}

    with httpx.Client(base_url=web.base_url, timeout=10) as http:
        health = http.get("/health", headers={"Host": "healthcheck.railway.app"})
        docs = [http.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")]
        created = http.post(f"/api/{user_id}/tasks", json={"title": "via JWT_SECRET"}, headers=auth)
        cors = http.get(f"/api/{user_id}/tasks", headers={**auth, "Origin": ALLOWED})
        foreign = http.get(f"/api/{user_id}/tasks", headers={**auth, "Origin": "https://evil.com"})
        redirect = http.get(f"/api/{user_id}/tasks/", headers={"X-Forwarded-Proto": "https"})

    assert health.status_code == 200
    assert health.json()["environment"] == "production"
    assert health.json()["version"] == "0123abc"
    assert "server" not in health.headers
    assert docs == [404, 404, 404]
    assert created.status_code == 201
    assert cors.headers["access-control-allow-origin"] == ALLOWED
    assert [task["title"] for task in cors.json()] == ["via JWT_SECRET"]
    assert "access-control-allow-origin" not in foreign.headers
    assert redirect.status_code == 307
    assert redirect.headers["location"].startswith("https://")  # Railway's X-Forwarded-Proto is trusted


def test_the_start_up_line_states_the_database_tls_mode(running_web: tuple[WebProcess, str]) -> None:
    web, _ = running_web

    starting = next(line for line in web.log.splitlines() if "starting:" in line)

    assert " tls=none " in starting  # the rehearsal's database is on loopback: no TLS, and the log says so
    assert "@" not in starting


def test_oversized_bodies_are_413_over_real_http(running_web: tuple[WebProcess, str]) -> None:
    web, secret = running_web
    user_id = new_user_id()
    auth = {"Authorization": f"Bearer {make_token(secret, user_id)}", "Content-Type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "big", "description": "'
        for _ in range(40):
            yield b"d" * 4096
        yield b'"}'

    with httpx.Client(base_url=web.base_url, timeout=10) as http:
        declared = http.post(f"/api/{user_id}/tasks", content=b"x" * 200_000, headers=auth)
        chunked = http.post(f"/api/{user_id}/tasks", content=chunks(), headers=auth)
        listed = http.get(f"/api/{user_id}/tasks", headers=auth)

    assert (declared.status_code, declared.json()) == (413, {"detail": "request body too large"})
    assert (chunked.status_code, chunked.json()) == (413, {"detail": "request body too large"})
    assert "content-length" not in chunked.request.headers
    assert listed.json() == []
    assert "Traceback" not in web.log


def test_a_taken_port_is_a_clear_non_zero_exit(tmp_path: Path, postgres: LocalPostgres, secret: str) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", 0))  # noqa: S104  # the same address the Procfile binds
        squatter.listen()
        port = squatter.getsockname()[1]

        web, _, elapsed = run_until_exit(tmp_path, production_environment(postgres.url, secret), port)

    assert web.process.returncode not in (0, None)
    assert elapsed < FAIL_FAST_SECONDS
    assert "address already in use" in web.log.lower()
    assert str(port) in web.log
    assert "Traceback" not in web.log


def test_railway_builds_with_the_python_these_tests_run_on() -> None:
    pinned = (ROOT / ".python-version").read_text().strip()

    assert pinned == f"{sys.version_info.major}.{sys.version_info.minor}"


# ------------------------------------------------------------------------------------------------ SIGTERM


def test_sigterm_finishes_the_in_flight_request_and_disposes_of_the_engine(
    tmp_path: Path, postgres: LocalPostgres
) -> None:
    """An ACCESS EXCLUSIVE lock holds a request inside the app; SIGTERM arrives; the lock is released; the
    request must still get its answer, and the process must close its database connections on the way out."""
    user_id = new_user_id()
    answers: list[httpx.Response | BaseException] = []

    with production_web(tmp_path, postgres.url) as (web, secret):
        auth = {"Authorization": f"Bearer {make_token(secret, user_id)}"}
        with httpx.Client(base_url=web.base_url, timeout=30) as http:
            assert http.post(f"/api/{user_id}/tasks", json={"title": "in flight"}, headers=auth).status_code == 201

        def in_flight() -> None:
            try:
                with httpx.Client(base_url=web.base_url, timeout=30) as http:
                    answers.append(http.get(f"/api/{user_id}/tasks", headers=auth))
            except BaseException as error:  # reported by the assertion below
                answers.append(error)

        async def scenario() -> tuple[bool, bool, int]:
            locker = await asyncpg.connect(postgres.url, server_settings={"application_name": "tests-locker"})
            try:
                transaction = locker.transaction()
                await transaction.start()
                await locker.execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
                request = threading.Thread(target=in_flight)
                request.start()
                await wait_for_blocked_query(locker)
                client_ports = database_client_ports(web.process.pid, postgres.port)
                assert client_ports, "the process holds database connections"
                web.process.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.5)
                still_running = web.process.poll() is None
                accepting = port_accepts(web.port)
                await transaction.rollback()
                request.join(timeout=30)
                web.process.wait(timeout=30)
                return still_running, accepting, await connections_left(locker, client_ports)
            finally:
                await locker.close()

        still_running, accepting_during_shutdown, remaining_connections = asyncio.run(scenario())
        log = web.log

    assert still_running, "the process waited for the in-flight request"
    assert not accepting_during_shutdown, "no new connections once shutdown began"
    assert len(answers) == 1 and isinstance(answers[0], httpx.Response), answers
    assert answers[0].status_code == 200
    assert [task["title"] for task in answers[0].json()] == ["in flight"]
    assert "Application shutdown complete" in log
    assert "database connections closed" in log
    assert log.index("database connections closed") < log.index("Application shutdown complete")
    assert remaining_connections == 0
    assert "Traceback" not in log
    assert web.process.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM)  # uvicorn re-raises the signal


async def connections_left(admin: asyncpg.Connection, client_ports: list[int], timeout: float = 5) -> int:
    """Server connections still open for these client ports once their backends exited (that lags a little)."""
    deadline = time.monotonic() + timeout
    while True:
        left = await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                                    "AND client_port = ANY($2::int[])", APPLICATION_NAME, client_ports)
        if left == 0 or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.05)


async def wait_for_blocked_query(locker: asyncpg.Connection, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = await locker.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            APPLICATION_NAME)
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the request never reached the database")

