"""Every operation on the tasks table as ONE SQL statement, always filtered by the caller's id (US2 scenario 3).

One statement is one server round trip in its own implicit transaction: no ``BEGIN``/``COMMIT``, no ORM unit of
work, nothing held between two statements. A write is committed when its statement returns, so a 201 is only sent
for a durable task. "Not yours" and "does not exist" are the same empty result, so the routes answer both with
404 (ADR 0008). The statements are built with SQLAlchemy Core from :class:`backend.models.Task` (one definition of
the table, shared with Alembic) and compiled once, at import, to asyncpg's ``$n`` form.
Decisions: history/adr/0018-benchmark-pool-tuning.md (why single statements), 0003 (why they are PgBouncer-safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import ClauseElement, ColumnElement

from backend.database import fetch
from backend.models import Task

TASKS = Task.__table__
COLUMNS = tuple(TASKS.c)
Row = dict[str, Any]


@dataclass(frozen=True)
class Statement:
    """SQL in asyncpg's ``$1, $2 …`` form and the name of each positional parameter, in order."""

    sql: str
    parameters: tuple[str, ...]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] for name in self.parameters]


def _compile(statement: ClauseElement) -> Statement:
    compiled = statement.compile(dialect=asyncpg_dialect())
    return Statement(compiled.string, tuple(compiled.positiontup or ()))


def _owned(*conditions: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The isolation filter every statement carries: the row must belong to the caller."""
    return [TASKS.c.user_id == bindparam("user_id"), *conditions]


_ONE = TASKS.c.id == bindparam("task_id")
_NEWEST_FIRST = (TASKS.c.created_at.desc(), TASKS.c.id.desc())
_PAGE = {"limit": bindparam("limit"), "offset": bindparam("offset")}

LIST = _compile(select(*COLUMNS).where(*_owned()).order_by(*_NEWEST_FIRST)
                .limit(_PAGE["limit"]).offset(_PAGE["offset"]))
LIST_BY_COMPLETION = _compile(select(*COLUMNS).where(*_owned(TASKS.c.completed == bindparam("completed")))
                              .order_by(*_NEWEST_FIRST).limit(_PAGE["limit"]).offset(_PAGE["offset"]))
READ = _compile(select(*COLUMNS).where(*_owned(_ONE)))
CREATE = _compile(insert(TASKS).values(user_id=bindparam("user_id"), title=bindparam("title"),
                                       description=bindparam("description")).returning(*COLUMNS))
# ``completed`` left out of a PUT body keeps its value; updated_at is set by the column's onupdate (models.py).
UPDATE = _compile(update(TASKS).where(*_owned(_ONE)).values(
    title=bindparam("title"), description=bindparam("description"),
    completed=func.coalesce(bindparam("completed", type_=Boolean), TASKS.c.completed)).returning(*COLUMNS))
# One statement, so two concurrent toggles cannot both read the old value.
TOGGLE = _compile(update(TASKS).where(*_owned(_ONE)).values(completed=~TASKS.c.completed).returning(*COLUMNS))
DELETE = _compile(delete(TASKS).where(*_owned(_ONE)).returning(TASKS.c.id))


async def _fetch(engine: AsyncEngine, statement: Statement, *, idempotent: bool, **values: Any) -> list[Row]:
    rows = await fetch(engine, statement.sql, *statement.arguments(values), idempotent=idempotent)
    return [dict(record) for record in rows]


@dataclass(frozen=True, slots=True)
class UserTasks:
    """The tasks of one user whose id the caller has proven (``backend.dependencies.current_user_tasks``): every
    statement is run with this id, and no method takes another, so a route cannot reach someone else's rows."""

    engine: AsyncEngine
    user_id: str

    async def list(self, completed: bool | None, limit: int, offset: int) -> list[Row]:
        if completed is None:
            return await self._rows(LIST, idempotent=True, limit=limit, offset=offset)
        return await self._rows(LIST_BY_COMPLETION, idempotent=True, completed=completed, limit=limit, offset=offset)

    async def read(self, task_id: int) -> Row | None:
        return await self._row(READ, idempotent=True, task_id=task_id)

    async def create(self, title: str, description: str | None) -> Row:
        # Not retried: if the connection dies mid-statement the insert may have committed; a 503 is honest, a
        # second insert would be a duplicate.
        row = await self._row(CREATE, idempotent=False, title=title, description=description)
        assert row is not None  # INSERT … RETURNING always returns the row
        return row

    async def update(self, task_id: int, title: str, description: str | None, completed: bool | None) -> Row | None:
        # PUT sets the same values however often it runs: safe to retry on a lost connection.
        return await self._row(UPDATE, idempotent=True, task_id=task_id, title=title, description=description,
                               completed=completed)

    async def toggle(self, task_id: int) -> Row | None:
        return await self._row(TOGGLE, idempotent=False, task_id=task_id)

    async def delete(self, task_id: int) -> bool:
        return await self._row(DELETE, idempotent=False, task_id=task_id) is not None

    async def _rows(self, statement: Statement, *, idempotent: bool, **values: Any) -> list[Row]:
        return await _fetch(self.engine, statement, idempotent=idempotent, user_id=self.user_id, **values)

    async def _row(self, statement: Statement, *, idempotent: bool, **values: Any) -> Row | None:
        rows = await self._rows(statement, idempotent=idempotent, **values)
        return rows[0] if rows else None
