"""The one async engine per app, its pool tuned for Neon, and what "the database is unavailable" means.

Spec: US1 scenario 2, FR-003, edge case "Database Connection Dropout". Decisions:
history/adr/0002-asyncpg-pool-for-neon.md, 0003-pgbouncer-transaction-mode.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import asyncpg
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import await_, greenlet_spawn

from backend.settings import Settings

APPLICATION_NAME = "tasks-api"

logger = logging.getLogger("backend.database")
T = TypeVar("T")

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


# Errors that mean "this connection is gone" (server restarted, Neon compute suspended or restarted, backend
# terminated, socket reset), not "the statement is wrong": a fresh connection may well succeed. asyncpg's
# InternalClientError is its protocol state broken by a server that died mid-exchange ("cannot switch to state
# 12; another operation is in progress", seen when PostgreSQL shut down under load): that connection is unusable.
CONNECTION_LOST_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError, asyncpg.InternalClientError, ConnectionError)
CONNECTION_LOST_SQLSTATES = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, cannot connect now


def is_connection_lost(error: BaseException) -> bool:
    return isinstance(error, CONNECTION_LOST_ERRORS) or getattr(error, "sqlstate", None) in CONNECTION_LOST_SQLSTATES


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what it wraps) says the database is unreachable rather than the request is bad."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UNAVAILABLE_ERRORS) or is_connection_lost(current):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def pool_options(settings: Settings) -> dict[str, Any]:
    """The pool :func:`create_engine` builds, as ``create_async_engine``'s keyword arguments: small, within the
    worker's share of the budget, recycled before Neon suspends, failing fast when Neon is gone (ADR 0002).

    No ``pool_pre_ping``: a round trip on every checkout cost 8 % of the list route's CPU. A connection that died
    is handled where it is used instead (:func:`run`).
    """
    pool_size, max_overflow = settings.pool_limits
    return {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": settings.database_pool_timeout,
        "pool_recycle": settings.database_pool_recycle,
        "pool_use_lifo": True,  # idle extra connections age out instead of being kept warm round-robin
    }


def create_engine(settings: Settings) -> AsyncEngine:
    target = settings.database
    connect_args = {
        **target.connect_args,
        "timeout": settings.database_connect_timeout,
        "command_timeout": settings.database_command_timeout,
        "server_settings": {"application_name": APPLICATION_NAME},
    }
    engine = create_async_engine(target.url, **pool_options(settings), connect_args=connect_args)
    _pool_guard(engine.sync_engine)  # stale connections are replaced at checkout from the first one on
    return engine


class PoolGuard:
    """Stale connections, replaced by the pool itself (ADR 0018): ``lost_at`` is when :func:`run` last found a
    connection dead. Every connection opened before then talked to the same server, so the pool replaces it at
    its next checkout, through SQLAlchemy's documented pool events: ``connect`` stamps each new connection with its
    opening time, ``checkout`` raises ``DisconnectionError`` for one opened before the loss or already closed, and
    the pool then opens a fresh one in its place."""

    def __init__(self, engine: Engine) -> None:
        self.lost_at = float("-inf")
        event.listen(engine, "connect", self._stamp)
        event.listen(engine, "checkout", self._refuse_stale)

    def connection_lost(self) -> None:
        self.lost_at = time.monotonic()

    @staticmethod
    def _stamp(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_OPENED_AT] = time.monotonic()

    def _refuse_stale(self, _dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection) -> None:
        if proxy.driver_connection.is_closed():  # the event loop already saw the server close it
            self.connection_lost()
            raise sa_exc.DisconnectionError("connection closed by the server")
        if record.info.get(_OPENED_AT, float("-inf")) <= self.lost_at:
            raise sa_exc.DisconnectionError("opened before a connection to the same server was lost")


_OPENED_AT = "tasks_api_opened_at"
_guards: WeakKeyDictionary[Engine, PoolGuard] = WeakKeyDictionary()


def _pool_guard(engine: Engine) -> PoolGuard:
    guard = _guards.get(engine)
    if guard is None:
        guard = _guards[engine] = PoolGuard(engine)
    return guard


async def run(engine: AsyncEngine, statement: Callable[[asyncpg.Connection], Awaitable[T]], *,
              idempotent: bool) -> T:
    """Run ``statement`` (one SQL statement) on a pooled connection and give the connection back at once.

    The statement runs on the pool's own asyncpg connection in its implicit transaction: one round trip (asyncpg
    sends Parse/Describe/Flush then Bind/Execute/Sync, so PgBouncer keeps one server for all of it), no
    ``BEGIN``/``ROLLBACK``, no pre-ping. The connection is back in the pool before the caller builds a response,
    so a client that reads slowly never holds one (issue 9 item 1, ADR 0002).

    Stale connections (ADR 0018): one the event loop already knows is closed is replaced during checkout, before
    anything is sent, whatever the statement. One that fails mid-statement with a connection-level error is
    discarded together with every connection opened before it (they talked to the same server), and an
    ``idempotent`` statement is tried once more on a fresh connection; a write is not (it may have committed), so it
    surfaces as a 503.
    """
    # Checkout and check-in may have to open or close a connection, which SQLAlchemy's pool does through its
    # greenlet bridge; so checkout, statement and check-in run in ONE greenlet, as SQLAlchemy's own ``run_sync``
    # does — one greenlet per request instead of one per pool call (ADR 0018 step 15).
    return await greenlet_spawn(_run_in_greenlet, engine.sync_engine, statement, idempotent)


def _run_in_greenlet(engine: Engine, statement: Callable[[asyncpg.Connection], Awaitable[T]],
                     idempotent: bool) -> T:
    """:func:`run`'s body, inside SQLAlchemy's greenlet: the pool is called plainly, the statement is awaited with
    ``await_`` (a cancellation arrives there as ``CancelledError``)."""
    for attempt in range(2):
        # The pool's own connection, without a SQLAlchemy Connection around it (that wrapper and its events cost
        # 5 % of the list route's CPU). A connection already closed, or older than the last one found dead, is
        # replaced during checkout (PoolGuard).
        proxied = engine.raw_connection()
        try:
            return await_(statement(proxied.driver_connection))
        except Exception as error:
            if not is_connection_lost(error):
                raise
            _pool_guard(engine).connection_lost()  # every connection opened before it is replaced at its next checkout
            proxied.invalidate(error)
            if not idempotent or attempt:
                raise
        except BaseException:
            # Cancelled mid-statement: the protocol state is unknown, so the connection is not reused.
            proxied.invalidate()
            raise
        finally:
            proxied.close()  # back to the pool (an invalidated one is replaced there)
    raise AssertionError("unreachable: the second attempt returns or raises")


# Each pooled connection prepares each statement once (asyncpg's public ``prepare``) and then runs it in ONE round
# trip. Behind PgBouncer (statement cache off, ADR 0003) asyncpg makes it the *unnamed* statement and re-parses it
# in every execution, in the same Sync as Bind/Execute, so it never depends on which server PgBouncer picks; on a
# direct connection it is a named statement of that session. ``connection.fetch`` would describe the statement
# again every time: a second round trip and asyncpg's codec set-up, ~30 % of the list route's CPU (ADR 0018).
_prepared: WeakKeyDictionary[asyncpg.Connection, dict[str, PreparedStatement]] = WeakKeyDictionary()


async def _prepared_statement(connection: asyncpg.Connection, sql: str) -> PreparedStatement:
    statements = _prepared.setdefault(connection, {})
    prepared = statements.get(sql)
    if prepared is None:
        prepared = statements[sql] = await connection.prepare(sql)
    return prepared


async def fetch(engine: AsyncEngine, sql: str, *arguments: object, idempotent: bool) -> list[asyncpg.Record]:
    """The rows of one statement (``$n`` parameters), run by :func:`run` on a statement prepared once per
    connection."""

    async def execute(connection: asyncpg.Connection) -> list[asyncpg.Record]:
        try:
            return await (await _prepared_statement(connection, sql)).fetch(*arguments)
        except asyncpg.InvalidCachedStatementError:
            # A migration changed the table under a named statement of this session: prepare afresh, once.
            _prepared.pop(connection, None)
            return await (await _prepared_statement(connection, sql)).fetch(*arguments)

    return await run(engine, execute, idempotent=idempotent)


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
    rows = await fetch(engine, "SELECT 1", idempotent=True)
    return rows[0][0] if rows else None


def _consume_outcome(task: asyncio.Future[object]) -> None:
    """Retrieve an abandoned probe's outcome so asyncio does not log "exception never retrieved"."""
    if not task.cancelled():
        task.exception()
