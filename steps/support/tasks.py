"""The task API as the contract (issue 2) defines it, for steps: paths, and create/delete for throwaway users.
Whatever a scenario creates it deletes through ``context.add_cleanup``, so a live run leaves nothing behind."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from hamcrest import equal_to, has_entries

from steps.support import checks
from steps.support.http import Api, json_body
from steps.support.tokens import ThrowawayUser


def tasks_path(user_id: str, task_id: int | None = None, action: str | None = None) -> str:
    path = f"/api/{user_id}/tasks"
    if task_id is not None:
        path += f"/{task_id}"
    if action:
        path += f"/{action}"
    return path


def create_task(api: Api, user: ThrowawayUser, context: Any) -> dict[str, Any]:
    """POST a task as ``user``; its deletion is registered as a scenario cleanup before anything can fail."""
    title = f"acceptance check {uuid4().hex[:8]}"
    response = api.request("POST", tasks_path(user.id), token=user.token,
                           json_body={"title": title, "description": "created by the acceptance suite"})
    checks.status_is(response, 201, "creating a task for a throwaway user")
    task = checks.json_matches(response, has_entries(title=title, user_id=user.id, completed=False))
    context.add_cleanup(delete_task, api, user, task["id"])
    return task


def delete_task(api: Api, user: ThrowawayUser, task_id: int) -> None:
    """Cleanup: delete, then prove it is gone (404). A 503 here means the database is still down: report it."""
    response = api.request("DELETE", tasks_path(user.id, task_id), token=user.token)
    checks.status_is(response, {204, 404}, f"cleanup: deleting throwaway task {task_id}")
    gone = api.get(tasks_path(user.id, task_id), token=user.token)
    checks.status_is(gone, 404, f"cleanup: throwaway task {task_id} must be gone")


def read_task(api: Api, user: ThrowawayUser, task_id: int) -> dict[str, Any]:
    response = api.get(tasks_path(user.id, task_id), token=user.token)
    checks.status_is(response, 200, "the owner reads their task back")
    body = json_body(response)
    checks.json_matches(response, has_entries(id=equal_to(task_id)))
    return body
