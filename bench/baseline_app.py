"""The baseline: the same queries as the app, on the same uvicorn, with no framework and no ORM.

A bare ASGI callable over a raw asyncpg pool is what this stack can do at best on this machine, so the app's
requests/s divided by this one's says how much FastAPI, SQLAlchemy, pydantic and the JWT check cost. It reads
the same ``DATABASE_URL`` and ``DATABASE_PGBOUNCER`` as the app and opens at most as many connections as the
app's single worker may (``DATABASE_MAX_CONNECTIONS``), so both sides compete for the same database path with
the same budget. It does not verify the token (it is a ceiling, not a second implementation). Run by
:mod:`bench.services` as ``uvicorn bench.baseline_app:app``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.types import Receive, Scope, Send

TASKS_SQL = (
    "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks"
    " WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET 0"
)
# The writes of the mixed workload (bench.mixed), each one statement as the app's.
CREATE_SQL = (
    "INSERT INTO tasks (user_id, title, description) VALUES ($1, $2, $3)"
    " RETURNING id, user_id, title, description, completed, created_at, updated_at"
)
UPDATE_SQL = (
    "UPDATE tasks SET title = $3, description = $4, updated_at = now() WHERE user_id = $1 AND id = $2"
    " RETURNING id, user_id, title, description, completed, created_at, updated_at"
)
TOGGLE_SQL = (
    "UPDATE tasks SET completed = NOT completed, updated_at = now() WHERE user_id = $1 AND id = $2"
    " RETURNING id, user_id, title, description, completed, created_at, updated_at"
)
APPLICATION_NAME = "bench-baseline"
JSON_HEADERS = [(b"content-type", b"application/json")]


def _dsn() -> str:
    """The app's URL without SQLAlchemy's driver suffix (asyncpg wants plain postgresql://)."""
    return os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)


def _pool_arguments() -> dict[str, Any]:
    wanted = int(os.environ.get("DATABASE_POOL_SIZE", "5")) + int(os.environ.get("DATABASE_MAX_OVERFLOW", "5"))
    size = min(wanted, int(os.environ.get("DATABASE_MAX_CONNECTIONS", "10")))  # the app's budget (one worker)
    arguments: dict[str, Any] = {
        "min_size": 1,
        "max_size": size,
        "server_settings": {"application_name": APPLICATION_NAME},
    }
    if os.environ.get("DATABASE_PGBOUNCER", "").lower() == "true":
        arguments["statement_cache_size"] = 0  # as the app does behind PgBouncer in transaction mode
    return arguments


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _task(row: asyncpg.Record) -> dict[str, Any]:
    return {**dict(row), "created_at": _timestamp(row["created_at"]), "updated_at": _timestamp(row["updated_at"])}


def _query(scope: Scope) -> list[tuple[str, str]]:
    return [tuple(pair.split("=", 1)) for pair in scope["query_string"].decode().split("&") if "=" in pair]


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class Baseline:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.pool is not None
        parts = scope["path"].strip("/").split("/")
        if parts == ["health"]:
            async with self.pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
            await _answer(send, 200, {"status": "ok", "database": "ok"})
        elif len(parts) == 3 and parts[0] == "api" and parts[2] == "tasks" and scope["method"] == "GET":
            limit = int(dict(_query(scope)).get("limit", "100"))
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(TASKS_SQL, parts[1], limit)
            await _answer(send, 200, [_task(row) for row in rows])
        elif len(parts) == 3 and parts[0] == "api" and parts[2] == "tasks" and scope["method"] == "POST":
            body = json.loads(await _body(receive))
            await self._one(send, 201, CREATE_SQL, parts[1], body["title"], body.get("description"))
        elif len(parts) == 4 and parts[0] == "api" and scope["method"] == "PUT":
            body = json.loads(await _body(receive))
            await self._one(send, 200, UPDATE_SQL, parts[1], int(parts[3]), body["title"], body.get("description"))
        elif len(parts) == 5 and parts[0] == "api" and parts[4] == "complete" and scope["method"] == "PATCH":
            await self._one(send, 200, TOGGLE_SQL, parts[1], int(parts[3]))
        else:
            await _answer(send, 404, {"detail": "not found"})

    async def _one(self, send: Send, status: int, sql: str, *arguments: object) -> None:
        assert self.pool is not None
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(sql, *arguments)
        await (_answer(send, status, _task(row)) if row else _answer(send, 404, {"detail": "not found"}))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.pool = await asyncpg.create_pool(_dsn(), **_pool_arguments())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _answer(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


app = Baseline()
