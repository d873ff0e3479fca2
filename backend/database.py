"""The one async engine per app, its pool tuned for Neon, and what "the database is unavailable" means.

Spec: US1 scenario 2, FR-003, edge case "Database Connection Dropout". Decisions:
history/adr/0002-asyncpg-pool-for-neon.md, 0003-pgbouncer-transaction-mode.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from backend.settings import Settings

APPLICATION_NAME = "tasks-api"

logger = logging.getLogger("backend.database")

# SQLSTATE classes and codes that mean "the server cannot serve you right now", not "your query is wrong":
# 08 connection exceptions, 57P01-03 shutdown / cannot connect now, 53300 too many connections,
# 28 the login was refused (role disabled, password rotated on Neon), 3D000 the database does not exist.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300", "28", "3D000")

# Exception types that always mean the database is unreachable (connecting failed, socket dropped, timed out).
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # waited pool_timeout for a pooled connection
    sa_exc.DisconnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    OSError,  # includes ConnectionRefusedError and TimeoutError
)


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what it wraps) says the database is unreachable rather than the request is bad."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UNAVAILABLE_ERRORS):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the pool: small, pre-pinged, recycled before Neon suspends, failing fast when Neon is gone."""
    target = settings.database
    connect_args = {
        **target.connect_args,
        "timeout": settings.database_connect_timeout,
        "command_timeout": settings.database_command_timeout,
        "server_settings": {"application_name": APPLICATION_NAME},
    }
    return create_async_engine(
        target.url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout,
        pool_recycle=settings.database_pool_recycle,
        pool_pre_ping=True,
        pool_use_lifo=True,  # idle extra connections age out instead of being kept warm round-robin
        connect_args=connect_args,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for one route call; the transaction is committed by the route, rolled back otherwise."""
    async with request.app.state.sessionmaker() as session:
        yield session


# What routes declare. scope="function": FastAPI closes the session (transaction ended, connection back in the
# pool) as soon as the route returns, before the response body is sent, so a client that reads slowly or never
# holds no database connection (issue 9 item 1; ADR 0002). The default scope would hold it until the last byte.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class DatabaseProbe:
    reachable: bool
    latency_ms: float | None


async def probe_database(engine: AsyncEngine, timeout: float) -> DatabaseProbe:
    """A real round trip (``SELECT 1``) answered within ``timeout``: the deep health check (FR-005).

    The query runs in its own task and the answer does not wait for it past ``timeout``: when a query is
    cancelled SQLAlchemy closes the connection gracefully, which can take seconds more. That cleanup finishes in
    the background; the caller gets "unreachable" on time.
    """
    started = time.perf_counter()
    query = asyncio.ensure_future(_select_one(engine))
    done, _ = await asyncio.wait({query}, timeout=timeout)
    if not done:
        query.cancel()
        query.add_done_callback(_consume_outcome)
        return DatabaseProbe(reachable=False, latency_ms=None)
    try:
        answer = query.result()
    except Exception as error:
        # Whatever stopped the round trip (refused login, missing privilege, dropped socket), the answer is
        # "unreachable", never a 500: the contract is 200 only after SELECT 1 came back. The class is logged.
        logger.warning("health: database round trip failed: %s", type(error).__name__)
        return DatabaseProbe(reachable=False, latency_ms=None)
    if answer != 1:
        return DatabaseProbe(reachable=False, latency_ms=None)
    return DatabaseProbe(reachable=True, latency_ms=round((time.perf_counter() - started) * 1000, 2))


async def _select_one(engine: AsyncEngine) -> object:
    async with engine.connect() as connection:
        return await connection.scalar(text("SELECT 1"))


def _consume_outcome(task: asyncio.Future[object]) -> None:
    """Retrieve an abandoned probe's outcome so asyncio does not log "exception never retrieved"."""
    if not task.cancelled():
        task.exception()
