"""The task API as the contract (issue 2) defines it, for steps: paths, and create/delete for throwaway users.
Whatever a scenario creates it deletes through ``context.add_cleanup``, so a live run leaves nothing behind."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

import httpx
from hamcrest import assert_that, equal_to, has_entries

from steps.support import checks
from steps.support.http import Api, describe, json_body
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
    return checks.json_matches(response, has_entries(id=equal_to(task_id)))


def attempts_on(api: Api, path_user: str, task_id: int, attacker: ThrowawayUser) -> dict[str, httpx.Response]:
    """What ``attacker`` tries on task ``task_id`` through ``path_user``'s path: read, take over, complete, delete."""
    takeover = {"title": "taken over", "description": None, "completed": True}
    return {
        "read": api.get(tasks_path(path_user, task_id), token=attacker.token),
        "update": api.request("PUT", tasks_path(path_user, task_id), token=attacker.token, json_body=takeover),
        "complete": api.request("PATCH", tasks_path(path_user, task_id, "complete"), token=attacker.token),
        "delete": api.request("DELETE", tasks_path(path_user, task_id), token=attacker.token),
    }


def outage_attempts(api: Api, owner: ThrowawayUser, task_id: int) -> dict[str, httpx.Response]:
    """List, read and create as ``owner``: what a frontend sends while the database is down."""
    return {
        "list": api.get(tasks_path(owner.id), token=owner.token),
        "read": api.get(tasks_path(owner.id, task_id), token=owner.token),
        "create": api.request("POST", tasks_path(owner.id), token=owner.token, json_body={"title": "during outage"}),
    }


def complete_task(api: Api, user: ThrowawayUser, task_id: int) -> None:
    response = api.request("PATCH", tasks_path(user.id, task_id, "complete"), token=user.token)
    checks.status_is(response, 200, "the owner completes their task")


def assert_lists_only_own(api: Api, user: ThrowawayUser, hidden: set[int], queries: Iterable[dict[str, str]]) -> None:
    """``user``'s list, with each of ``queries``, holds only ``user``'s tasks and none of the ``hidden`` ids."""
    for params in queries:
        response = api.get(tasks_path(user.id), token=user.token, params=params)
        checks.status_is(response, 200, f"the other user's list with {params or 'no parameters'}")
        foreign = [task for task in json_body(response) if task.get("user_id") != user.id]
        assert_that(foreign, equal_to([]), f"list with {params or 'no parameters'}: tasks of other users\n"
                                           f"{describe(response)}\n")
        ids = {task.get("id") for task in json_body(response)}
        assert_that(ids & hidden, equal_to(set()), f"list with {params}: the owner's tasks")
