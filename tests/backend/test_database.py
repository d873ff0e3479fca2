"""The database side of issue 2: deep /health (FR-005, ADR 0009), the dropout edge case (stop and start the real
PostgreSQL under the running app), the pool's bound and how dead connections are replaced without a pre-ping
(FR-003, ADRs 0002, 0018).

These tests stop the session's PostgreSQL; the ``database_restored`` fixture always starts it again.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import anyio
import asyncpg
import httpx
import pytest

from backend.database import APPLICATION_NAME
from backend.dependencies import services_of
from backend.local.postgres import LocalPostgres
from backend.settings import Settings
from tests.backend.conftest import Api, api_for, make_settings, serve

pytestmark = pytest.mark.anyio

HEALTH_BOUND_SECONDS = 2.0  # the contract's "within a short timeout"
HEALTH_MARGIN_SECONDS = 0.75  # scheduling slack on a 2-core machine, not a performance claim


async def admin(postgres: LocalPostgres, sql: str, *args: object) -> list[asyncpg.Record]:
    """A superuser connection that is not the app's, to look at and act on the server."""
    connection = await asyncpg.connect(postgres.url, server_settings={"application_name": "tests-admin"})
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def app_connections(postgres: LocalPostgres) -> list[int]:
    rows = await admin(postgres, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", APPLICATION_NAME)
    return [row["pid"] for row in rows]


@pytest.fixture
def database_restored(postgres: LocalPostgres) -> Iterator[LocalPostgres]:
    try:
        yield postgres
    finally:
        postgres.start()


async def timed_health(http: httpx.AsyncClient, method: str = "GET") -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await http.request(method, "/health")
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unreachable"
    assert response.json()["database_latency_ms"] is None
    assert response.headers["cache-control"] == "no-store"
    assert elapsed < HEALTH_BOUND_SECONDS + HEALTH_MARGIN_SECONDS


# ------------------------------------------------------------------------------------------------ health


async def test_health_is_200_after_a_real_round_trip(postgres: LocalPostgres, secret: str) -> None:
    settings = make_settings(postgres.url, secret, version="abc1234")
    async with serve(settings) as http:
        assert await app_connections(postgres) == []  # the pool is lazy: nothing proves health but the query

        response = await http.get("/health")

        assert response.status_code == 200
        body = response.json()
        assert body == {"status": "ok", "database": "ok", "environment": "test", "version": "abc1234",
                        "database_latency_ms": body["database_latency_ms"]}
        assert isinstance(body["database_latency_ms"], float)
        assert body["database_latency_ms"] > 0
        assert response.headers["cache-control"] == "no-store"
        assert len(await app_connections(postgres)) == 1  # the round trip used a real server connection


async def test_health_needs_no_token_and_says_nothing_about_the_host(client: httpx.AsyncClient,
                                                                     postgres: LocalPostgres) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert str(postgres.port) not in response.text
    assert "127.0.0.1" not in response.text
    assert "postgres" not in response.text.lower()


async def test_head_health_answers_like_get_without_a_body(client: httpx.AsyncClient,
                                                          database_restored: LocalPostgres) -> None:
    up = await client.head("/health")
    database_restored.stop()
    down, elapsed = await timed_health(client, "HEAD")

    assert (up.status_code, up.content) == (200, b"")
    assert (down.status_code, down.content) == (503, b"")
    assert elapsed < HEALTH_BOUND_SECONDS + HEALTH_MARGIN_SECONDS


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word: a database host that is up but wedged."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


async def test_health_is_deep_a_listening_port_that_never_answers_is_503_within_the_bound(
    black_hole: int, secret: str
) -> None:
    settings = make_settings(f"postgresql://postgres@127.0.0.1:{black_hole}/postgres", secret,
                             database_connect_timeout=1, database_pool_timeout=1)
    async with serve(settings) as http:
        response, elapsed = await timed_health(http)
        tasks = await api_for(http, secret).list()

    assert_unavailable(response, elapsed)
    assert tasks.status_code == 503
    assert tasks.json() == {"detail": "database unavailable"}


async def test_health_is_deep_a_server_that_refuses_the_login_is_503(postgres: LocalPostgres, secret: str) -> None:
    """TCP and PostgreSQL are up, but ``SELECT 1`` cannot run for this service: that is not healthy."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    await admin(postgres, f'CREATE ROLE "{role}" LOGIN')
    await admin(postgres, f'GRANT ALL ON tasks TO "{role}"')
    settings = make_settings(f"postgresql://{role}@127.0.0.1:{postgres.port}/postgres", secret)
    try:
        async with serve(settings, raise_app_exceptions=False) as http:
            user = api_for(http, secret)
            assert (await http.get("/health")).status_code == 200
            assert (await user.create()).status_code == 201

            await admin(postgres, f'ALTER ROLE "{role}" NOLOGIN')
            await admin(postgres, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role)
            refused_login, elapsed = await timed_health(http)
            refused_task = await user.list()

            await admin(postgres, f'ALTER ROLE "{role}" LOGIN')
            await admin(postgres, f'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC, "{role}"')
            try:
                no_connect_privilege, elapsed_privilege = await timed_health(http)
            finally:
                await admin(postgres, "GRANT CONNECT ON DATABASE postgres TO PUBLIC")
            recovered = await http.get("/health")
    finally:
        await admin(postgres, f'REVOKE ALL ON tasks FROM "{role}"')
        await admin(postgres, f'DROP ROLE "{role}"')

    assert_unavailable(refused_login, elapsed)
    assert_unavailable(no_connect_privilege, elapsed_privilege)
    assert (refused_task.status_code, refused_task.json()) == (503, {"detail": "database unavailable"})
    assert recovered.status_code == 200


# ------------------------------------------------------------------------------------------------ dropout


async def test_stopping_postgresql_gives_fast_503s_and_starting_it_recovers_without_a_restart(
    settings: Settings, secret: str, database_restored: LocalPostgres
) -> None:
    async with serve(settings, raise_app_exceptions=False) as http:
        engine = services_of(http.app).engine  # type: ignore[attr-defined]
        user = api_for(http, secret)
        task = await user.created("survives the outage")

        await anyio.to_thread.run_sync(database_restored.stop)
        health, elapsed = await timed_health(http)
        during = [await user.list(), await user.create("lost"), await user.get(task["id"]),
                  await user.put(task["id"], title="x"), await user.toggle(task["id"]), await user.delete(task["id"])]

        await anyio.to_thread.run_sync(database_restored.start)
        after = await http.get("/health")
        tasks_after = await user.tasks()

        assert services_of(http.app).engine is engine  # type: ignore[attr-defined]  # same process, same engine

    assert_unavailable(health, elapsed)
    for response in during:
        assert (response.status_code, response.json()) == (503, {"detail": "database unavailable"})
        assert response.headers["retry-after"] == "5"
    assert after.status_code == 200
    assert after.json()["database"] == "ok"
    assert tasks_after == [task]


async def test_a_restart_under_steady_load_never_gives_a_500_and_loses_no_acknowledged_task(
    settings: Settings, secret: str, database_restored: LocalPostgres
) -> None:
    statuses: Counter[int] = Counter()
    acknowledged: dict[int, str] = {}
    running = True

    async def worker(user: Api, number: int) -> None:
        sequence = 0
        while running:
            sequence += 1
            title = f"worker {number} task {sequence}"
            created = await user.create(title)
            statuses[created.status_code] += 1
            if created.status_code == 201:
                acknowledged[created.json()["id"]] = title
                statuses[(await user.get(created.json()["id"])).status_code] += 1
            statuses[(await user.list(limit=5)).status_code] += 1
            await anyio.sleep(0.005)

    async with serve(settings, raise_app_exceptions=False) as http:
        user = api_for(http, secret)
        async with anyio.create_task_group() as workers:
            for number in range(4):
                workers.start_soon(worker, user, number)
            await anyio.sleep(0.5)
            await anyio.to_thread.run_sync(database_restored.stop)
            await anyio.sleep(1.0)
            await anyio.to_thread.run_sync(database_restored.start)
            acknowledged_before_recovery = len(acknowledged)
            await anyio.sleep(1.0)
            running = False

        stored = {task["id"]: task["title"] for task in await all_tasks(user)}

    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses[503] > 0, "the outage happened during the load"
    assert len(acknowledged) > acknowledged_before_recovery, "requests succeeded again after the restart"
    assert stored.items() >= acknowledged.items()


async def all_tasks(user: Api) -> list[dict]:
    found: list[dict] = []
    while True:
        page = await user.list(limit=100, offset=len(found))
        assert page.status_code == 200
        found += page.json()
        if len(page.json()) < 100:
            return found
