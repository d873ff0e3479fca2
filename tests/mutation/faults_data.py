"""Faults on the data path: a statement that forgets the caller, a health check that does not look, input that
is not validated before it reaches PostgreSQL, errors that say too much."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Boolean, bindparam, delete, func, select, update

from backend import dependencies, errors, task_store
from backend.database import DatabaseProbe, probe_database
from backend.dependencies import CurrentUserTasks, EngineDep, SettingsDep, bearer_token
from backend.routers import health
from backend.schemas import TaskCreate, TaskId, TaskRead, UserId
from backend.settings import Settings
from backend.task_store import UserTasks
from tests.mutation.fault import LOCAL, Fault, FaultClass, Injection, replace_route

ISOLATION, HEALTH, ROBUSTNESS = FaultClass.ISOLATION, FaultClass.HEALTH, FaultClass.ROBUSTNESS
TASKS = "/api/{user_id}/tasks"
TASK, TOGGLE = f"{TASKS}/{{task_id}}", f"{TASKS}/{{task_id}}/complete"
HEALTH_CACHE_SECONDS = 60
COLUMNS, TABLE, ONE = task_store.COLUMNS, task_store.TASKS, task_store.TASKS.c.id == bindparam("task_id")
NEWEST_FIRST = (TABLE.c.created_at.desc(), TABLE.c.id.desc())


def route(method: str, path: str, endpoint: Callable[..., Any], **options: Any) -> Callable[[Injection], None]:
    return lambda injection: injection.after(lambda app: replace_route(app, method, path, endpoint, **options))


def statement(name: str, replacement: Any) -> Callable[[Injection], None]:
    """Replace one of ``backend.task_store``'s compiled statements (looked up when a route runs)."""
    return lambda injection: injection.patch(task_store, name, task_store._compile(replacement))


# ------------------------------------------------------------------------------------------------ isolation

# Each statement as a team writes it when the owner filter is forgotten: by primary key only, or the whole table.
UNFILTERED_LIST = select(*COLUMNS).order_by(*NEWEST_FIRST).limit(bindparam("limit")).offset(bindparam("offset"))
UNFILTERED_BY_COMPLETION = (select(*COLUMNS).where(TABLE.c.completed == bindparam("completed"))
                            .order_by(*NEWEST_FIRST).limit(bindparam("limit")).offset(bindparam("offset")))
ANY_READ = select(*COLUMNS).where(ONE)
ANY_UPDATE = update(TABLE).where(ONE).values(
    title=bindparam("title"), description=bindparam("description"),
    completed=func.coalesce(bindparam("completed", type_=Boolean), TABLE.c.completed)).returning(*COLUMNS)
ANY_TOGGLE = update(TABLE).where(ONE).values(completed=~TABLE.c.completed).returning(*COLUMNS)
ANY_DELETE = delete(TABLE).where(ONE).returning(TABLE.c.id)


def list_unfiltered_when(forgets: Callable[[set[str]], bool]) -> Callable[[Injection], None]:
    """The list route, with the owner filter dropped on one query path (chosen by which parameters are sent)."""
    unfiltered = task_store._compile(UNFILTERED_LIST)
    by_completion = task_store._compile(UNFILTERED_BY_COMPLETION)

    async def list_tasks(request: Request, tasks: CurrentUserTasks, completed: bool | None = None,
                         limit: Annotated[int, Query(ge=1, le=100)] = 100,
                         offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[task_store.Row]:
        if not forgets(set(request.query_params)):
            return await tasks.list(completed, limit, offset)
        chosen = unfiltered if completed is None else by_completion
        return await task_store._fetch(tasks.engine, chosen, idempotent=True, completed=completed, limit=limit,
                                       offset=offset)

    return route("GET", TASKS, list_tasks)


def unfiltered_list(injection: Injection) -> None:
    statement("LIST", UNFILTERED_LIST)(injection)
    statement("LIST_BY_COMPLETION", UNFILTERED_BY_COMPLETION)(injection)


async def read_says_forbidden(tasks: CurrentUserTasks, task_id: TaskId) -> task_store.Row:
    rows = await task_store._fetch(tasks.engine, task_store._compile(ANY_READ), idempotent=True, task_id=task_id)
    if not rows:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="task not found")
    if rows[0]["user_id"] != tasks.user_id:  # "more helpful" than 404, and tells an attacker which ids exist
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="this task belongs to someone else")
    return rows[0]


async def create_in_any_path(user_id: UserId, caller: Annotated[str, Depends(bearer_token)], body: TaskCreate,
                             engine: EngineDep) -> task_store.Row:
    """Create checks that the caller is signed in, not that the path is theirs: tasks can be planted on anyone."""
    return await UserTasks(engine, user_id).create(body.title, body.description)


ISOLATION_FAULTS = [
    Fault("iso-list-unfiltered", ISOLATION, "the task list has no owner filter at all", ("US2.3",), unfiltered_list),
    Fault("iso-list-completed", ISOLATION, "the list forgets the owner when filtered by `completed`", ("US2.3",),
          statement("LIST_BY_COMPLETION", UNFILTERED_BY_COMPLETION)),
    Fault("iso-list-limit", ISOLATION, "the list forgets the owner when a page size (`limit`) is given", ("US2.3",),
          list_unfiltered_when(lambda sent: "limit" in sent)),
    Fault("iso-list-offset", ISOLATION, "the list forgets the owner when paging with `offset`", ("US2.3",),
          list_unfiltered_when(lambda sent: "offset" in sent)),
    Fault("iso-list-filtered-page", ISOLATION, "the list forgets the owner only for a filtered and paged query",
          ("US2.3",), list_unfiltered_when(lambda sent: "completed" in sent and bool({"limit", "offset"} & sent))),
    Fault("iso-create-any-path", ISOLATION, "creating a task does not check the path's user: tasks can be planted",
          ("US2.3",), route("POST", TASKS, create_in_any_path)),
    Fault("iso-read-by-id", ISOLATION, "reading a task by id does not check its owner", ("US2.3",),
          statement("READ", ANY_READ)),
    Fault("iso-update", ISOLATION, "updating a task does not check its owner", ("US2.3",),
          statement("UPDATE", ANY_UPDATE)),
    Fault("iso-delete", ISOLATION, "deleting a task does not check its owner", ("US2.3",),
          statement("DELETE", ANY_DELETE)),
    Fault("iso-toggle", ISOLATION, "toggling completion does not check the owner", ("US2.3",),
          statement("TOGGLE", ANY_TOGGLE)),
    Fault("iso-existence-leak", ISOLATION, "someone else's task id answers 403, not 404: ids can be probed",
          ("US2.3",), route("GET", TASK, read_says_forbidden)),
]


# ------------------------------------------------------------------------------------------------ health


async def _shallow_probe(engine: Any, timeout: float) -> DatabaseProbe:
    return DatabaseProbe(reachable=True, latency_ms=0.42)  # "the process is up, so the database must be"


def _cached_probe() -> Callable[..., Any]:
    cache: dict[str, tuple[float, DatabaseProbe]] = {}

    async def probe(engine: Any, timeout: float) -> DatabaseProbe:
        if "last" not in cache or time.monotonic() - cache["last"][0] > HEALTH_CACHE_SECONDS:
            cache["last"] = (time.monotonic(), await probe_database(engine, timeout))
        return cache["last"][1]

    return probe


async def health_always_200(settings: SettingsDep, engine: EngineDep) -> dict[str, Any]:
    probe = await probe_database(engine, settings.health_timeout)
    return {"status": "ok" if probe.reachable else "degraded", "database": "ok" if probe.reachable else "unreachable",
            "environment": settings.environment.value,
            "version": settings.version, "database_latency_ms": probe.latency_ms}


def health_body(extra: Callable[[Settings, Any], dict[str, Any]]) -> Callable[[Injection], None]:
    async def endpoint(settings: SettingsDep, engine: EngineDep) -> JSONResponse:
        body = await health_always_200(settings, engine)
        return JSONResponse({**body, **extra(settings, engine)}, headers={"Cache-Control": "no-store"})

    return route("GET", "/health", endpoint, response_model=None)


def _configuration(settings: Settings, engine: Any) -> dict[str, Any]:
    return {"config": {"database_url": settings.database_url, "cors_origins": settings.cors_origins,
                       "pool": [settings.database_pool_size, settings.database_max_overflow]}}


def _driver_and_host(settings: Settings, engine: Any) -> dict[str, Any]:
    url = engine.url
    return {"database": f"ok ({url.drivername} at {url.host}:{url.port})"}


HEALTH_FAULTS = [
    Fault("health-shallow", HEALTH, "`/health` answers ok without a database round trip", ("US2.1",),
          lambda injection: injection.patch(health, "probe_database", _shallow_probe), needs=LOCAL),
    Fault("health-cached", HEALTH, f"`/health` reuses its last database probe for {HEALTH_CACHE_SECONDS} s",
          ("US2.1",), lambda injection: injection.patch(health, "probe_database", _cached_probe()), needs=LOCAL),
    Fault("health-200-when-down", HEALTH, "`/health` answers 200 even when the database is unreachable",
          ("US2.1",), route("GET", "/health", health_always_200, response_model=None), needs=LOCAL),
    Fault("health-exposes-config", HEALTH, "`/health` shows the configuration, connection string included",
          ("US2.1",), health_body(_configuration)),
    Fault("health-exposes-driver-host", HEALTH, "`/health` names the driver, database host and port", ("US2.1",),
          health_body(_driver_and_host)),
]


# ------------------------------------------------------------------------------------------------ input


class LaxTask(BaseModel):
    title: str
    description: str | None = None


async def create_lax(tasks: CurrentUserTasks, body: LaxTask) -> task_store.Row:
    """No length limits: PostgreSQL's varchar(200) is left to refuse a long title (as a 500)."""
    return await tasks.create(body.title, body.description)


async def create_decoding_by_hand(request: Request, tasks: CurrentUserTasks) -> task_store.Row:
    body = TaskCreate.model_validate(json.loads((await request.body()).decode("utf-8")))
    return await tasks.create(body.title, body.description)


async def list_unbounded(tasks: CurrentUserTasks, limit: int = 100, offset: int = 0) -> list[task_store.Row]:
    return await tasks.list(None, limit, offset)


async def read_unvalidated_id(tasks: CurrentUserTasks, task_id: str) -> task_store.Row:
    row = await tasks.read(task_id)  # type: ignore[arg-type]
    if row is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="task not found")
    return row


async def _unbounded_user(user_id: str, caller: Annotated[str, Depends(bearer_token)],
                          engine: EngineDep) -> UserTasks:
    if user_id != caller:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="not allowed")
    return UserTasks(engine, user_id)


async def _verbose_database_error(request: Request, error: Exception) -> JSONResponse:
    kind = f"{type(error).__module__}.{type(error).__name__}"
    return JSONResponse({"detail": f"database error ({kind}): {error}"}, status_code=500)


async def _verbose_unavailable(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"database unavailable: {error!r}"}, status_code=503)


def verbose_errors_on_unbounded_list(injection: Injection) -> None:
    injection.patch(errors, "_database_error", _verbose_database_error)
    route("GET", TASKS, list_unbounded)(injection)


def _unbounded_user_ids(app: FastAPI) -> None:
    app.dependency_overrides[dependencies.current_user_tasks] = _unbounded_user


INPUT_FAULTS = [
    Fault("rob-title-unbounded", ROBUSTNESS, "titles are not length-checked: PostgreSQL refuses long ones as a 500",
          ("US1.1",), route("POST", TASKS, create_lax, response_model=TaskRead)),
    Fault("rob-user-id-unbounded", ROBUSTNESS, "the path's user id has no length limit: a long one is a 500",
          ("US1.1",), lambda injection: injection.after(_unbounded_user_ids)),
    Fault("rob-paging-unbounded", ROBUSTNESS, "`limit`/`offset` are not range-checked: a negative one is a 500",
          ("US1.1",), route("GET", TASKS, list_unbounded)),
    Fault("rob-task-id-unvalidated", ROBUSTNESS, "the task id is not parsed as an integer: `abc` reaches the driver",
          ("US1.1",), route("GET", TASK, read_unvalidated_id)),
    Fault("rob-body-decoded-by-hand", ROBUSTNESS, "the body is decoded as UTF-8 by hand: other bytes are a 500",
          ("US1.1",), route("POST", TASKS, create_decoding_by_hand, response_model=TaskRead)),
    Fault("leak-sql-in-errors", ROBUSTNESS,
          "database errors answer with the driver's message (SQL); reached via an unchecked `limit`", ("US1.1",),
          verbose_errors_on_unbounded_list),
    Fault("leak-driver-in-503", ROBUSTNESS, "the 503 for an unreachable database carries the driver's message",
          ("EC1",), lambda injection: injection.patch(errors, "_database_unavailable", _verbose_unavailable),
          needs=LOCAL),
]
