"""Task CRUD for the authenticated user. Each route is given ``CurrentUserTasks``: the path user's tasks once the
token proves the caller is that user, every statement filtered by that id (US2 scenario 3).

A task that exists but belongs to someone else answers exactly like one that does not exist (404), so ids
cannot be probed. Decision: history/adr/0008-user-isolation.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from backend.dependencies import CurrentUserTasks
from backend.schemas import ErrorBody, TaskCreate, TaskId, TaskRead, TaskUpdate, task_list_json
from backend.task_store import Row

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


def _found(row: Row | None) -> Row:
    if row is None:
        raise _not_found()
    return row


# Each route runs one statement on a pooled connection given back before the route returns: nothing is held while
# the response is sent (ADR 0002).


@router.get("", response_model=list[TaskRead], summary="List your tasks",
            description="Your tasks, newest first; filter by completion, page with limit and offset.")
async def list_tasks(
    tasks: CurrentUserTasks,
    completed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    # Serialized here by TaskRead's field types (backend.schemas.task_list_json); response_model documents it.
    return Response(task_list_json(await tasks.list(completed, limit, offset)), media_type="application/json")


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED, summary="Create a task",
             description="A new open task for you; answered once it is stored.")
async def create_task(tasks: CurrentUserTasks, body: TaskCreate) -> Row:
    # 201 is sent only after the INSERT returned, i.e. committed: an acknowledged task is durable.
    return await tasks.create(body.title, body.description)


@router.get("/{task_id}", response_model=TaskRead, responses=NOT_FOUND, summary="Read a task",
            description="One of your tasks; another user's task is answered as not found.")
async def read_task(tasks: CurrentUserTasks, task_id: TaskId) -> Row:
    return _found(await tasks.read(task_id))


@router.put("/{task_id}", response_model=TaskRead, responses=NOT_FOUND, summary="Update a task",
            description="Replace the title, description and completion of one of your tasks.")
async def update_task(tasks: CurrentUserTasks, task_id: TaskId, body: TaskUpdate) -> Row:
    return _found(await tasks.update(task_id, body.title, body.description, body.completed))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND, summary="Delete a task",
               description="Remove one of your tasks for good.")
async def delete_task(tasks: CurrentUserTasks, task_id: TaskId) -> Response:
    if not await tasks.delete(task_id):
        raise _not_found()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{task_id}/complete", response_model=TaskRead, responses=NOT_FOUND,
              summary="Toggle a task's completion", description="Mark one of your tasks done, or not done again.")
async def toggle_complete(tasks: CurrentUserTasks, task_id: TaskId) -> Row:
    # One statement flips ``completed``, so two concurrent toggles cannot both read the old value.
    return _found(await tasks.toggle(task_id))
