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


# ------------------------------------------------------------------------------------------------ item 4: no echo

JSON = {"Content-Type": "application/json"}
LONE_SURROGATE_BODIES = {
    "title": b'{"title": "\\ud800"}',
    "description": b'{"title": "ok", "description": "a\\udfffb"}',
    "unknown key": b'{"title": "ok", "\\ud800": 1}',
}


@pytest.mark.parametrize("body", LONE_SURROGATE_BODIES.values(), ids=LONE_SURROGATE_BODIES.keys())
@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_lone_surrogate_is_a_clean_422_and_stores_nothing(alice: Api, method: str, body: bytes) -> None:
    task = await alice.created()

    response = await alice.request(method, task["id"] if method == "PUT" else None, content=body, headers=JSON)

    assert response.status_code == 422, response.text
    response.content.decode("utf-8")  # strict: the body is valid UTF-8
    assert all(set(error) == {"type", "loc", "msg"} for error in response.json()["detail"])
    assert await alice.tasks() == [task]


async def test_a_422_never_echoes_what_the_client_sent(alice: Api) -> None:
    marker = "client-data-" + "x" * 300
    responses = [
        await alice.create(marker),
        await alice.create("ok", marker * 10),
        await alice.request("POST", json={"title": 12345678987654321}),
        await alice.list(limit=marker),
        await alice.get(marker),
        await alice.request("POST", content=marker.encode(), headers={"Content-Type": "text/plain"}),
    ]

    assert [response.status_code for response in responses] == [422] * len(responses)
    for response in responses:
        assert "client-data-xxxx" not in response.text
        assert "12345678987654321" not in response.text
        assert all(set(error) == {"type", "loc", "msg"} for error in response.json()["detail"])


async def test_an_unknown_field_is_named_but_a_long_name_is_cut(alice: Api) -> None:
    """The name is what makes a typo fixable ("titel"); a 50 KB name is not echoed whole."""
    typo, huge = await alice.request("POST", json={"titel": "x"}), await alice.request("POST", json={"k" * 50_000: 1})

    assert typo.status_code == huge.status_code == 422
    assert ["body", "titel"] in [error["loc"] for error in typo.json()["detail"]]
    assert len(huge.content) < 1000


async def test_a_422_is_never_much_larger_than_the_request(alice: Api) -> None:
    """6000 unknown query names (40 KB) drew a 500 KB answer; 4000 unknown fields likewise."""
    query = "&".join(f"q{i}=" for i in range(6000))
    body = {"title": "x", **{f"k{i}": 0 for i in range(4000)}}

    responses = [await alice.http.get(f"{alice.path()}?{query}", headers=alice.headers()),
                 await alice.request("POST", json=body)]

    assert [response.status_code for response in responses] == [422, 422]
    assert [len(response.json()["detail"]) for response in responses] == [20, 20]
    assert all(len(response.content) < 4000 for response in responses)


async def test_a_non_json_body_that_is_not_utf8_is_a_422(alice: Api) -> None:
    """Pydantic's error held the raw bytes; encoding them for the echo failed (a 500)."""
    response = await alice.request("POST", content=b"\xff\xfe\xfa", headers={"Content-Type": "text/plain"})

    assert response.status_code == 422, response.text


# ------------------------------------------------------------------------------------------------ item 6: encodings


UNREADABLE_BODIES = {
    "not-text": b"\xff\xfe\x00",  # FastAPI's own answer was a 400
    "latin-1": '{"title": "café"}'.encode("latin-1"),
    "encoded-surrogate": b'{"title": "\xed\xa0\x80"}',
    "stray-byte": b"\xff{}",
    # Python's json gives up on these with a RecursionError or a ValueError, which FastAPI answered with 400.
    "nested-too-deep": b"[" * 60_000,
    "5000-digit-number": b'{"title": "x", "completed": ' + b"1" * 5000 + b"}",
}


@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=UNREADABLE_BODIES.keys())
async def test_a_json_body_that_is_not_utf8_or_that_json_cannot_read_is_a_422(alice: Api, body: bytes) -> None:
    response = await alice.request("POST", content=body, headers=JSON)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert await alice.tasks() == []


# ------------------------------------------------------------------------------------------------ item 8: 405


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/api/{user}/tasks", {"GET", "POST"}),
        ("DELETE", "/api/{user}/tasks", {"GET", "POST"}),
        ("POST", "/api/{user}/tasks/1", {"GET", "PUT", "DELETE"}),
        ("GET", "/api/{user}/tasks/1/complete", {"PATCH"}),
        ("POST", "/health", {"GET", "HEAD"}),
        ("OPTIONS", "/health", {"GET", "HEAD"}),
    ],
)
async def test_a_405_lists_every_method_of_the_path_in_allow(alice: Api, method: str, path: str,
                                                             allowed: set[str]) -> None:
    response = await alice.http.request(method, path.format(user=alice.user_id), headers=alice.headers())

    assert response.status_code == 405
    assert {name.strip() for name in response.headers["allow"].split(",")} == allowed
    assert response.json() == {"detail": "Method Not Allowed"}


# ------------------------------------------------------------------------------------------------ query strings


@pytest.mark.parametrize("query", ["complete=true", "limit=5&offset=0&x=1", "=1", "%00=1"])
async def test_an_unknown_query_parameter_is_a_422_not_silently_ignored(alice: Api, query: str) -> None:
    """``?complete=true`` (for ``completed``) listed every task as if the filter had been applied."""
    await alice.created()

    response = await alice.http.get(f"{alice.path()}?{query}", headers=alice.headers())

    assert response.status_code == 422, response.text
    assert {error["loc"][0] for error in response.json()["detail"]} == {"query"}


# Every task route, as (method, takes a task id, suffix), and who sends the request.
EVERY_TASK_ROUTE = [("GET", False, ""), ("POST", False, ""), ("GET", True, ""), ("PUT", True, ""),
                    ("DELETE", True, ""), ("PATCH", True, "/complete")]
CALLERS = ["owner", "another-user", "invalid-token", "no-token"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "by_id", "suffix"), EVERY_TASK_ROUTE,
                         ids=["list", "create", "read", "update", "delete", "toggle"])
async def test_an_unknown_query_parameter_is_the_same_422_on_every_task_route_whoever_sends_it(
    alice: Api, bob: Api, method: str, by_id: bool, suffix: str, caller: str
) -> None:
    """Checked before the token (ADR 0017; inside ``bearer_token`` since ADR 0018 step 16): no token, a bad one or
    someone else's gets the same 422 as the owner, naming each name the route does not declare, and nothing changes."""
    task = await alice.created()
    headers = {"owner": alice.headers(), "another-user": bob.headers(), "invalid-token": alice.headers("not-a-jwt"),
               "no-token": {}}[caller]
    path = alice.path(task["id"] if by_id else None) + suffix

    response = await alice.http.request(method, f"{path}?limit=5&complete=true", headers=headers,
                                        json={"title": "changed"} if method in ("POST", "PUT") else None)

    unknown = ["complete"] if (method, by_id) == ("GET", False) else ["limit", "complete"]  # only the list pages
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": [
        {"type": "extra_forbidden", "loc": ["query", name], "msg": "Unknown query parameter"} for name in unknown]}
    assert await alice.tasks() == [task]


async def test_declared_query_parameters_still_work(alice: Api, client: httpx.AsyncClient) -> None:
    await alice.created()

    assert (await alice.list(limit=5, offset=0, completed="false")).status_code == 200
    assert (await client.get("/health?probe=1")).status_code == 200  # health checks may add cache busters
    assert (await client.get("/health")).status_code == 200
