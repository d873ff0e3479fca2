"""The task routes of issue 2's API contract, every status, against a real PostgreSQL.

Every rejected request is followed by reading the owner's tasks back and comparing: a 4xx must change nothing.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.backend.conftest import Api

pytestmark = pytest.mark.anyio

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
JSON = {"Content-Type": "application/json"}
TASK_FIELDS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}


def parse_timestamp(value: str) -> datetime:
    assert ISO_UTC.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ------------------------------------------------------------------------------------------------ create


async def test_create_returns_201_with_the_task_trimmed_and_timestamped_in_utc(alice: Api) -> None:
    response = await alice.create("  Buy milk \n", "two litres")

    assert response.status_code == 201
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert task["title"] == "Buy milk"
    assert task["description"] == "two litres"
    assert task["completed"] is False
    assert task["user_id"] == alice.user_id
    assert isinstance(task["id"], int)
    assert parse_timestamp(task["created_at"]) == parse_timestamp(task["updated_at"])
    assert await alice.tasks() == [task]


async def test_create_accepts_the_boundaries(alice: Api) -> None:
    longest_title = "t" * 200
    padded = await alice.created("   " + longest_title + "   ", "d" * 1000)
    no_description = (await alice.request("POST", json={"title": "x"})).json()

    assert padded["title"] == longest_title
    assert len(padded["description"]) == 1000
    assert no_description["description"] is None
    assert [task["id"] for task in await alice.tasks()] == [no_description["id"], padded["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "t" * 201},
        {"title": "ok", "description": "d" * 1001},
        {"title": "ok", "owner": "someone-else"},
        {"title": "ok", "user_id": "someone-else"},
        {"title": "ok", "completed": True},
        {"title": "bad\x00title"},
        {"title": "ok", "description": "bad\x00description"},
        {"description": "no title"},
        {"title": 123},
        {"title": None},
        {"title": ["list"]},
    ],
    ids=["empty", "blank", "title-201", "description-1001", "unknown-owner", "unknown-user_id",
         "completed-on-create", "nul-title", "nul-description", "missing-title", "title-int", "title-null",
         "title-list"],
)
async def test_create_rejects_invalid_bodies_with_422_and_stores_nothing(alice: Api, body: dict) -> None:
    existing = await alice.created("existing")

    response = await alice.request("POST", json=body)

    assert response.status_code == 422, response.text
    assert "detail" in response.json()
    assert await alice.tasks() == [existing]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"title": ', b"", b"[]", b"\"a string\"", b"42", b"null", b"[{\"title\": \"in a list\"}]"],
    ids=["garbage", "truncated", "empty", "array", "string", "number", "null", "array-of-object"],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_create_and_put_reject_garbage_and_non_object_json_with_422(alice: Api, method: str, raw: bytes) -> None:
    existing = await alice.created("existing")

    response = await alice.request(method, existing["id"] if method == "PUT" else None, content=raw, headers=JSON)

    assert response.status_code == 422, response.text
    assert await alice.tasks() == [existing]


# ------------------------------------------------------------------------------------------------ list


async def test_list_is_newest_first_and_filters_by_completed(alice: Api) -> None:
    first, second, third = [await alice.created(f"task {n}") for n in range(3)]
    assert (await alice.toggle(second["id"])).status_code == 200

    everything = await alice.list()
    done = await alice.list(completed="true")
    open_ = await alice.list(completed="false")

    assert everything.status_code == done.status_code == open_.status_code == 200
    assert [task["id"] for task in everything.json()] == [third["id"], second["id"], first["id"]]
    assert [task["id"] for task in done.json()] == [second["id"]]
    assert [task["id"] for task in open_.json()] == [third["id"], first["id"]]


async def test_list_pages_with_limit_and_offset(alice: Api) -> None:
    created = [await alice.created(f"task {n}") for n in range(5)]
    newest_first = [task["id"] for task in reversed(created)]

    pages = [await alice.list(limit=2, offset=offset) for offset in (0, 2, 4, 6)]

    assert [page.status_code for page in pages] == [200] * 4
    assert [[task["id"] for task in page.json()] for page in pages] == [
        newest_first[0:2], newest_first[2:4], newest_first[4:], []
    ]
    assert [task["id"] for task in (await alice.list(limit=1)).json()] == newest_first[:1]
    assert len((await alice.list(limit=100)).json()) == 5


async def test_list_defaults_to_100_tasks(alice: Api) -> None:
    for n in range(101):
        await alice.created(f"task {n}")

    response = await alice.list()

    assert response.status_code == 200
    assert len(response.json()) == 100


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": -1}, {"limit": "ten"}, {"offset": -1}, {"completed": "maybe"}],
    ids=["limit-0", "limit-101", "limit-negative", "limit-text", "offset-negative", "completed-maybe"],
)
async def test_list_rejects_bad_query_parameters_with_422(alice: Api, params: dict) -> None:
    await alice.created()

    response = await alice.list(**params)

    assert response.status_code == 422, response.text
    assert "detail" in response.json()


async def test_list_only_shows_the_callers_tasks(alice: Api, bob: Api) -> None:
    mine = await alice.created("alice's")
    await bob.created("bob's")

    assert await alice.tasks() == [mine]


# ------------------------------------------------------------------------------------------------ one task


async def test_get_returns_the_task(alice: Api) -> None:
    task = await alice.created("read me", "please")

    response = await alice.get(task["id"])

    assert response.status_code == 200
    assert response.json() == task


async def test_put_replaces_title_description_and_completed(alice: Api) -> None:
    task = await alice.created("old", "old description")

    response = await alice.put(task["id"], title="  new  ", description="new description", completed=True)

    assert response.status_code == 200
    updated = response.json()
    assert {key: updated[key] for key in ("id", "title", "description", "completed", "created_at")} == {
        "id": task["id"], "title": "new", "description": "new description", "completed": True,
        "created_at": task["created_at"],
    }
    assert parse_timestamp(updated["updated_at"]) > parse_timestamp(task["updated_at"])
    assert await alice.tasks() == [updated]


async def test_put_without_completed_keeps_it_and_clears_an_omitted_description(alice: Api) -> None:
    task = await alice.created("old", "old description")
    await alice.toggle(task["id"])

    updated = (await alice.put(task["id"], title="renamed")).json()

    assert (updated["title"], updated["description"], updated["completed"]) == ("renamed", None, True)


@pytest.mark.parametrize(
    "body",
    [{"title": ""}, {"title": "t" * 201}, {"title": "ok", "completed": "yes please"}, {"title": "ok", "extra": 1},
     {"description": "no title"}, {"title": "a\x00b"}],
    ids=["empty", "title-201", "completed-text", "unknown-field", "missing-title", "nul"],
)
async def test_put_rejects_invalid_bodies_with_422_and_changes_nothing(alice: Api, body: dict) -> None:
    task = await alice.created("keep me", "as I am")

    response = await alice.request("PUT", task["id"], json=body)

    assert response.status_code == 422, response.text
    assert await alice.tasks() == [task]


async def test_toggle_flips_completed_both_ways(alice: Api) -> None:
    task = await alice.created()

    done = await alice.toggle(task["id"])
    undone = await alice.toggle(task["id"])

    assert (done.status_code, undone.status_code) == (200, 200)
    assert (done.json()["completed"], undone.json()["completed"]) == (True, False)
    assert parse_timestamp(done.json()["updated_at"]) > parse_timestamp(task["updated_at"])
    assert await alice.tasks() == [undone.json()]


async def test_delete_returns_204_then_the_task_is_gone(alice: Api) -> None:
    kept = await alice.created("kept")
    doomed = await alice.created("doomed")

    response = await alice.delete(doomed["id"])

    assert response.status_code == 204
    assert response.content == b""
    assert (await alice.get(doomed["id"])).status_code == 404
    assert (await alice.delete(doomed["id"])).status_code == 404
    assert await alice.tasks() == [kept]


@pytest.mark.parametrize("task_id", ["not-a-number", "1.5"])
async def test_a_task_id_that_is_not_an_integer_is_422(alice: Api, task_id: str) -> None:
    assert (await alice.get(task_id)).status_code == 422
