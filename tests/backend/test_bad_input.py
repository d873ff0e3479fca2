"""Bad input never gives a 5xx (issue 9, items 4-6; ADR 0017): out-of-range ids, text that cannot be encoded,
bodies that are not UTF-8. Each gets a 4xx JSON answer and changes nothing. In-process apps on a real PostgreSQL;
the same inputs are sent to the real process over HTTP in test_client_error_log.py.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.backend.conftest import Api, make_token

pytestmark = pytest.mark.anyio

INT64_MAX = 2**63 - 1
OUT_OF_RANGE_IDS = [INT64_MAX + 1, -(2**63) - 1, 0, -1, "9" * 5000]
TASK_ROUTES = [("GET", ""), ("PUT", ""), ("DELETE", ""), ("PATCH", "/complete")]


# ------------------------------------------------------------------------------------------------ item 5: path ids


@pytest.mark.parametrize("task_id", OUT_OF_RANGE_IDS, ids=["int64-max+1", "int64-min-1", "zero", "minus-one", "huge"])
@pytest.mark.parametrize(("method", "suffix"), TASK_ROUTES, ids=[method for method, _ in TASK_ROUTES])
async def test_a_task_id_outside_the_id_range_is_422_on_every_task_route(
    alice: Api, method: str, suffix: str, task_id: int | str
) -> None:
    task = await alice.created()

    response = await alice.request(method, task_id, suffix=suffix, json={"title": "x"} if method == "PUT" else None)

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["path", "task_id"]]
    assert await alice.tasks() == [task]


async def test_the_largest_possible_id_is_a_plain_404(alice: Api) -> None:
    assert (await alice.get(INT64_MAX)).status_code == 404
    assert (await alice.get(1)).status_code == 404


@pytest.mark.parametrize("user_id", ["nul\x00inside", "tab\there", "x" * 129], ids=["nul", "control", "too-long"])
async def test_a_user_id_no_row_can_have_is_422_even_when_the_token_says_so(
    client: httpx.AsyncClient, secret: str, user_id: str
) -> None:
    """The path's user id reaches the database only once it equals a signed ``sub``; an issuer that signs a NUL
    (PostgreSQL text cannot hold one) or a 129-character id still gets a 422 here, never a driver error."""
    user = Api(client, quote(user_id, safe=""), make_token(secret, user_id))  # percent-encoded in the path

    responses = [await user.list(), await user.create("x"), await user.get(1)]

    assert [response.status_code for response in responses] == [422] * 3
    assert {tuple(response.json()["detail"][0]["loc"]) for response in responses} == {("path", "user_id")}
