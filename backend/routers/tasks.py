"""Task CRUD for the authenticated user. Every statement is filtered by the caller's id (US2 scenario 3).

A task that exists but belongs to someone else answers exactly like one that does not exist (404), so ids
cannot be probed. Decision: history/adr/0008-user-isolation.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from backend import task_store
from backend.dependencies import AuthorizedUserId, engine_of
from backend.schemas import ErrorBody, TaskCreate, TaskId, TaskRead, TaskUpdate, task_list_json

router = APIRouter(
    prefix="/api/{user_id}/tasks",
    tags=["tasks"],
    responses={
        401: {"model": ErrorBody, "description": "Missing, invalid or expired token"},
        403: {"model": ErrorBody, "description": "The path's user is not the token's subject"},
        503: {"model": ErrorBody, "description": "Database unavailable"},
    },
)

NOT_FOUND = {404: {"model": ErrorBody, "description": "No such task for this user"}}


def _not_found() -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="task not found")


def _found(row: task_store.Row | None) -> task_store.Row:
    if row is None:
        raise _not_found()
    return row


# Each route runs one statement through backend.task_store on a pooled connection given back before the route
# returns: nothing is held while the response is sent (ADR 0002). The engine comes from ``engine_of(request)``,
# not a dependency: one dependency less to solve per request (ADR 0018).


@router.get("", response_model=list[TaskRead], summary="List your tasks",
            description="Your tasks, newest first; filter by completion, page with limit and offset.")
async def list_tasks(
    user_id: AuthorizedUserId,
    request: Request,
    completed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    # Serialized here by TaskRead's field types (backend.schemas.task_list_json); response_model documents it.
    rows = await task_store.list_tasks(engine_of(request), user_id, completed, limit, offset)
    return Response(task_list_json(rows), media_type="application/json")


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED, summary="Create a task",
             description="A new open task for you; answered once it is stored.")
async def create_task(user_id: AuthorizedUserId, body: TaskCreate, request: Request) -> task_store.Row:
    # 201 is sent only after the INSERT returned, i.e. committed: an acknowledged task is durable.
    return await task_store.create_task(engine_of(request), user_id, body.title, body.description)


@router.get("/{task_id}", response_model=TaskRead, responses=NOT_FOUND, summary="Read a task",
            description="One of your tasks; another user's task is answered as not found.")
async def read_task(user_id: AuthorizedUserId, task_id: TaskId, request: Request) -> task_store.Row:
    return _found(await task_store.read_task(engine_of(request), user_id, task_id))


@router.put("/{task_id}", response_model=TaskRead, responses=NOT_FOUND, summary="Update a task",
            description="Replace the title, description and completion of one of your tasks.")
async def update_task(user_id: AuthorizedUserId, task_id: TaskId, body: TaskUpdate,
                      request: Request) -> task_store.Row:
    return _found(await task_store.update_task(engine_of(request), user_id, task_id, body.title, body.description,
                                               body.completed))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND, summary="Delete a task",
               description="Remove one of your tasks for good.")
async def delete_task(user_id: AuthorizedUserId, task_id: TaskId, request: Request) -> Response:
    if not await task_store.delete_task(engine_of(request), user_id, task_id):
        raise _not_found()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{task_id}/complete", response_model=TaskRead, responses=NOT_FOUND,
              summary="Toggle a task's completion", description="Mark one of your tasks done, or not done again.")
async def toggle_complete(user_id: AuthorizedUserId, task_id: TaskId, request: Request) -> task_store.Row:
    # One statement flips ``completed``, so two concurrent toggles cannot both read the old value.
    return _found(await task_store.toggle_task(engine_of(request), user_id, task_id))
