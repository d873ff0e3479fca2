"""The task list is serialized straight from the rows (backend.schemas.task_list_json, ADR 0018): the bytes must be
exactly what the response model (``list[TaskRead]``) would have sent, and a row of the wrong shape must fail
loudly, as response validation did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError

from backend import task_store
from backend.schemas import TaskRead, task_list_json
from tests.backend.conftest import Api

SCHEMA = TypeAdapter(list[TaskRead])
# JSON's awkward characters: quotes, backslash, control characters, non-ASCII, astral plane, line separators.
AWKWARD = ['plain', 'quote " and \\ backslash', "tab\tnew\nline\r\x01\x1f\x7f", "ünïcödé 日本語", "emoji 🚀",
           "separators \u2028\u2029", "</script>", "  spaced  "]


def _row(number: int, title: str, description: str | None, completed: bool) -> dict[str, Any]:
    moment = datetime(2026, 11, 26, 4, 31, 7, 123456, tzinfo=UTC) + timedelta(seconds=number)
    return {"id": number, "user_id": "user-ü", "title": title, "description": description, "completed": completed,
            "created_at": moment, "updated_at": moment.replace(microsecond=0)}


def test_the_bytes_are_the_response_models_serialization() -> None:
    rows = [_row(number, title, None if number % 3 == 0 else title[::-1], number % 2 == 0)
            for number, title in enumerate(AWKWARD, start=1)]

    assert task_list_json(rows) == SCHEMA.dump_json(SCHEMA.validate_python(rows))
    assert task_list_json([]) == b"[]"


def test_every_column_the_list_selects_is_a_field_of_the_response_model() -> None:
    """A column missing from TaskRead (or a field no column fills) would be silently left out of the JSON."""
    assert [column.name for column in task_store.COLUMNS] == list(TaskRead.model_fields)


@pytest.mark.parametrize("field, value", [("completed", "yes"), ("id", "7"), ("created_at", "2026-11-26")])
def test_a_value_of_the_wrong_type_fails_instead_of_being_sent(field: str, value: object) -> None:
    row = {**_row(1, "title", None, False), field: value}

    with pytest.raises(PydanticSerializationError):
        task_list_json([row])


@pytest.mark.anyio
async def test_the_list_route_sends_the_schemas_bytes(alice: Api) -> None:
    for title in AWKWARD:
        await alice.created(title, description=title[::-1])

    response = await alice.list()

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert len(response.json()) == len(AWKWARD)
    assert response.content == SCHEMA.dump_json(SCHEMA.validate_json(response.content))
