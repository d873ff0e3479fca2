"""Isolation on every task route: another user's task is a 404, another user's path a 403 (ADR 0008)."""

from __future__ import annotations

import pytest

from backend.dependencies import bearer_token, current_user_tasks
from backend.routers import tasks
from tests.backend.conftest import Api, dependency_calls

pytestmark = pytest.mark.anyio


async def test_a_task_route_reaches_the_database_only_through_the_proven_users_tasks() -> None:
    """Isolation by construction: each task route depends on ``current_user_tasks`` (which depends on the verified
    token) and on nothing else, so it has no engine of its own and no user id but the proven one."""
    assert {route.name: dependency_calls(route.dependant) for route in tasks.router.routes} == {
        route.name: [current_user_tasks, bearer_token] for route in tasks.router.routes}
    assert len(tasks.router.routes) == 6

# ------------------------------------------------------------------------------------------------ 404


async def test_every_single_task_route_answers_404_for_a_task_that_does_not_exist(alice: Api) -> None:
    task = await alice.created()
    missing = task["id"] + 1_000_000

    statuses = [
        (await alice.get(missing)).status_code,
        (await alice.put(missing, title="x")).status_code,
        (await alice.delete(missing)).status_code,
        (await alice.toggle(missing)).status_code,
    ]

    assert statuses == [404, 404, 404, 404]
    assert (await alice.get(missing)).json() == {"detail": "task not found"}
    assert await alice.tasks() == [task]


async def test_another_users_task_answers_exactly_like_a_missing_one_and_is_not_touched(alice: Api, bob: Api) -> None:
    bobs = await bob.created("bob's secret", "private")
    missing = bobs["id"] + 1_000_000

    attempts = {
        "get": (await alice.get(bobs["id"]), await alice.get(missing)),
        "put": (await alice.put(bobs["id"], title="pwned"), await alice.put(missing, title="pwned")),
        "patch": (await alice.toggle(bobs["id"]), await alice.toggle(missing)),
        "delete": (await alice.delete(bobs["id"]), await alice.delete(missing)),
    }

    for name, (someone_elses, nonexistent) in attempts.items():
        assert someone_elses.status_code == 404, name
        assert (someone_elses.json(), dict(someone_elses.headers)) == (nonexistent.json(), dict(nonexistent.headers))
    assert await bob.tasks() == [bobs]
    assert await alice.tasks() == []


# ------------------------------------------------------------------------------------------------ 403


async def test_a_path_user_other_than_the_tokens_subject_is_403_on_every_route(alice: Api, bob: Api) -> None:
    bobs = await bob.created("bob's")

    responses = [
        await alice.request("GET", user_id=bob.user_id),
        await alice.request("POST", user_id=bob.user_id, json={"title": "planted"}),
        await alice.request("GET", bobs["id"], user_id=bob.user_id),
        await alice.request("PUT", bobs["id"], user_id=bob.user_id, json={"title": "pwned"}),
        await alice.request("PATCH", bobs["id"], user_id=bob.user_id, suffix="/complete"),
        await alice.request("DELETE", bobs["id"], user_id=bob.user_id),
    ]

    assert [response.status_code for response in responses] == [403] * 6
    assert {response.json()["detail"] for response in responses} == {"not allowed to access this user's tasks"}
    assert await bob.tasks() == [bobs]
    assert await alice.tasks() == []
