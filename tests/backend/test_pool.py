"""The pool: never more than size plus overflow, dead connections replaced without a pre-ping (ADR 0002, 0018)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from sqlalchemy import exc as sa_exc

from backend.database import APPLICATION_NAME, create_engine, is_connection_lost, is_database_unavailable, run
from backend.dependencies import services_of
from backend.local.postgres import LocalPostgres
from backend.settings import Settings
from tests.backend.conftest import Api, api_for, make_settings, sample_app_connections, serve
from tests.backend.test_database import admin, app_connections

pytestmark = pytest.mark.anyio

# ------------------------------------------------------------------------------------------------ pool


async def test_the_pool_never_opens_more_than_size_plus_overflow(postgres: LocalPostgres, secret: str) -> None:
    settings = make_settings(postgres.url, secret, database_pool_size=2, database_max_overflow=1)
    assert await app_connections(postgres) == []
    done = asyncio.Event()
    async with serve(settings) as http:
        user = api_for(http, secret)
        sampler = asyncio.ensure_future(sample_app_connections(postgres.url, done))
        responses = await asyncio.gather(*[user.create(f"task {n}") for n in range(40)],
                                         *[user.list(limit=10) for _ in range(40)])
        done.set()
        samples = await sampler

    assert Counter(response.status_code for response in responses) == {201: 40, 200: 40}
    assert samples and max(samples) <= 3
    assert max(samples) >= 2  # the load did use the pool concurrently


async def test_connections_the_server_killed_are_replaced_without_a_pre_ping(
    postgres: LocalPostgres, secret: str
) -> None:
    """Neon suspending or an admin's pg_terminate_backend must never surface as an error to a read: the dead
    connection is discarded with its generation and the read runs once more on a fresh one (ADR 0018)."""
    async with serve(make_settings(postgres.url, secret)) as http:
        user = api_for(http, secret)
        task = await user.created()
        before = await app_connections(postgres)
        assert before

        killed = await admin(postgres, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = $1", APPLICATION_NAME)
        read = await user.get(task["id"])
        health = await http.get("/health")
        after = await app_connections(postgres)

    assert services_of(http.app).engine.sync_engine.pool._pre_ping is False  # no round trip per checkout
    assert len(killed) == len(before)
    assert (read.status_code, read.json()) == (200, task)
    assert health.status_code == 200
    assert after and not set(after) & set(before)


@pytest.fixture
async def two_users(client: httpx.AsyncClient, secret: str) -> AsyncIterator[tuple[Api, Api]]:
    yield api_for(client, secret), api_for(client, secret)


async def test_concurrent_toggles_are_atomic(two_users: tuple[Api, Api]) -> None:
    """The toggle is one UPDATE: 20 concurrent flips of one task leave it where 20 sequential flips would."""
    user, _ = two_users
    task = await user.created()

    responses = await asyncio.gather(*[user.toggle(task["id"]) for _ in range(20)])

    assert [response.status_code for response in responses] == [200] * 20
    assert (await user.get(task["id"])).json()["completed"] is False


async def test_a_read_that_loses_its_connection_mid_statement_runs_once_more_and_a_write_does_not(
    settings: Settings,
) -> None:
    """The retry of ADR 0018: a connection-level error during an idempotent statement → one more try on a fresh
    connection; during a write → the error (a 503), never a second execution that could duplicate it."""
    engine = create_engine(settings)
    attempts: list[asyncpg.Connection] = []

    async def dies_the_first_time(connection: asyncpg.Connection) -> object:
        attempts.append(connection)
        if len(attempts) == 1:
            connection._transport.abort()  # the socket is reset under the statement, as when Neon goes away
        return await connection.fetchval("SELECT 1")

    try:
        read = await run(engine, dies_the_first_time, idempotent=True)
        read_attempts = list(attempts)
        attempts.clear()
        with pytest.raises(Exception) as write_error:
            await run(engine, dies_the_first_time, idempotent=False)
    finally:
        await engine.dispose()

    assert read == 1
    assert len(read_attempts) == 2 and read_attempts[0] is not read_attempts[1]
    assert len(attempts) == 1
    assert is_connection_lost(write_error.value) and is_database_unavailable(write_error.value)


async def test_a_connection_lost_mid_statement_retires_every_connection_opened_before_it(settings: Settings) -> None:
    """They talked to the same server (Neon restarted, a pooler went away): each is replaced at its next checkout,
    through the pool's public events (``PoolGuard``), not found dead one request at a time."""
    engine = create_engine(settings.model_copy(update={"database_pool_size": 2, "database_max_overflow": 0}))
    both_out = asyncio.Barrier(2)

    async def hold(connection: asyncpg.Connection) -> asyncpg.Connection:
        await both_out.wait()  # two connections checked out at once: the pool opened both
        return connection

    async def dies(connection: asyncpg.Connection) -> None:
        connection._transport.abort()  # the socket is reset under the statement
        await connection.fetchval("SELECT 1")

    async def which(connection: asyncpg.Connection) -> asyncpg.Connection:
        await both_out.wait()
        return connection

    try:
        before = set(await asyncio.gather(run(engine, hold, idempotent=True), run(engine, hold, idempotent=True)))
        with pytest.raises(Exception) as lost:
            await run(engine, dies, idempotent=False)
        after = set(await asyncio.gather(run(engine, which, idempotent=True), run(engine, which, idempotent=True)))
    finally:
        await engine.dispose()

    assert is_connection_lost(lost.value)
    assert len(before) == 2 and len(after) == 2
    assert not before & after  # the healthy one opened before the loss was replaced too


async def test_waiting_for_a_connection_is_bounded_by_the_pool_timeout(settings: Settings) -> None:
    """Requests wait for a free connection in the pool; the wait ends after DATABASE_POOL_TIMEOUT with the pool's
    own TimeoutError, which the API answers 503."""
    engine = create_engine(settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0,
                                                       "database_pool_timeout": 0.5}))
    holding = asyncio.Event()

    async def slow(connection: asyncpg.Connection) -> object:
        holding.set()
        return await connection.fetchval("SELECT pg_sleep(30)")

    held = asyncio.ensure_future(run(engine, slow, idempotent=True))
    try:
        await holding.wait()
        started = asyncio.get_running_loop().time()
        with pytest.raises(sa_exc.TimeoutError) as waited:
            await run(engine, slow, idempotent=True)
        elapsed = asyncio.get_running_loop().time() - started
        still_held = not held.done()
    finally:
        held.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await held
        await engine.dispose()

    assert is_database_unavailable(waited.value)
    assert still_held  # it gave up at the pool timeout, not when the held connection came back
    assert elapsed >= 0.45


async def test_a_statement_cancelled_midway_never_returns_its_connection_to_the_pool(
    settings: Settings, postgres: LocalPostgres
) -> None:
    """A request cancelled while its statement is on the wire (client gone, /health's timeout) leaves the
    connection's protocol state unknown: it is discarded, and the next request gets a fresh one, never that one."""
    engine = create_engine(settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0}))
    used: list[asyncpg.Connection] = []

    async def slow(connection: asyncpg.Connection) -> object:
        used.append(connection)
        return await connection.fetchval("SELECT pg_sleep(30)")

    async def which(connection: asyncpg.Connection) -> asyncpg.Connection:
        return connection

    try:
        cancelled = asyncio.ensure_future(run(engine, slow, idempotent=True))
        for _ in range(300):  # until the server is running it (bounded: 30 s)
            if await admin(postgres, "SELECT pid FROM pg_stat_activity WHERE application_name = $1 "
                                     "AND state = 'active' AND query LIKE 'SELECT pg_sleep%'", APPLICATION_NAME):
                break
            await asyncio.sleep(0.1)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        checked_out = engine.sync_engine.pool.checkedout()
        after = await run(engine, which, idempotent=True)
    finally:
        await engine.dispose()

    assert len(used) == 1 and checked_out == 0
    assert after is not used[0] and used[0].is_closed()  # the pool's only slot holds a new connection
