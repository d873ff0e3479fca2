"""Task CRUD for the authenticated user. Every statement is filtered by the caller's id (US2 scenario 3).

A task that exists but belongs to someone else answers exactly like one that does not exist (404), so ids
cannot be probed. Decision: history/adr/0008-user-isolation.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import AuthorizedUserId
from backend.database import Session
from backend.models import Task
from backend.schemas import ErrorBody, TaskCreate, TaskId, TaskRead, TaskUpdate

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


async def _owned_task(session: AsyncSession, user_id: str, task_id: int) -> Task:
    task = await session.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    if task is None:
        raise _not_found()
    return task


@router.get("", response_model=list[TaskRead])
async def list_tasks(
    user_id: AuthorizedUserId,
    session: Session,
    completed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Task]:
    """The caller's tasks, newest first."""
    query = select(Task).where(Task.user_id == user_id)
    if completed is not None:
        query = query.where(Task.completed == completed)
    query = query.order_by(Task.created_at.desc(), Task.id.desc()).limit(limit).offset(offset)
    return list(await session.scalars(query))


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED)
async def create_task(user_id: AuthorizedUserId, body: TaskCreate, session: Session) -> Task:
    task = Task(user_id=user_id, title=body.title, description=body.description)
    session.add(task)
    await session.commit()  # 201 is sent only after the commit: an acknowledged task is durable.
    await session.refresh(task)
    return task


@router.get("/{task_id}", response_model=TaskRead, responses=NOT_FOUND)
async def read_task(user_id: AuthorizedUserId, task_id: TaskId, session: Session) -> Task:
    return await _owned_task(session, user_id, task_id)


@router.put("/{task_id}", response_model=TaskRead, responses=NOT_FOUND)
async def update_task(user_id: AuthorizedUserId, task_id: TaskId, body: TaskUpdate, session: Session) -> Task:
    task = await _owned_task(session, user_id, task_id)
    task.title = body.title
    task.description = body.description
    if body.completed is not None:
        task.completed = body.completed
    await session.commit()
    await session.refresh(task)
    return task


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_task(user_id: AuthorizedUserId, task_id: TaskId, session: Session) -> Response:
    task = await _owned_task(session, user_id, task_id)
    await session.delete(task)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{task_id}/complete", response_model=TaskRead, responses=NOT_FOUND)
async def toggle_complete(user_id: AuthorizedUserId, task_id: TaskId, session: Session) -> Task:
    """Flip ``completed`` in one statement, so two concurrent toggles cannot both read the old value."""
    task = await session.scalar(
        update(Task)
        .where(Task.id == task_id, Task.user_id == user_id)
        .values(completed=~Task.completed)
        .returning(Task)
    )
    if task is None:
        raise _not_found()
    await session.commit()
    return task
