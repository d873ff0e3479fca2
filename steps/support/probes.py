"""What an attacker with one valid account sends: malformed path and query parameters, bodies, encodings and sizes;
and what every answer must then be: a short 4xx JSON error, never a 5xx, a traceback, SQL or a connection string.

Live-safe: everything runs under a throwaway user, and whatever a mistaken 2xx might have created is deleted.
Decisions: history/adr/0017-request-hardening.md (the contract), 0021-mutation-stage.md (why these probes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import httpx
from hamcrest import assert_that, equal_to, has_key, is_in, starts_with

from steps.support import checks
from steps.support.http import Api, describe, json_body
from steps.support.tasks import tasks_path
from steps.support.tokens import ThrowawayUser, TokenMint

# What must never be in an answer's body: stack traces, driver and ORM names, SQL, connection strings.
LEAK_MARKERS = ("traceback", 'file "', "sqlalchemy", "asyncpg", "psycopg", "postgresql://", "postgres://",
                "select ", "insert into", "update tasks", "delete from", "[sql:", "sqlstate")
# What a response header must not name: the server software or the framework (and with them, their versions).
SOFTWARE = re.compile(r"uvicorn|gunicorn|hypercorn|starlette|fastapi|python|pydantic", re.I)
VERSION = re.compile(r"\d+\.\d+")
SCHEMA_MARKERS = ("swagger", "redoc", "openapi", "/api/{user_id}")
DOCS_DOCUMENTS = ("docs", "redoc", "openapi.json", "docs/oauth2-redirect")  # FastAPI's interactive docs
REVEALING_HEADERS = ("x-powered-by", "x-aspnet-version", "x-runtime", "x-version")
OVERSIZED_BODY_BYTES = 128 * 1024  # twice MAX_BODY_BYTES' 64 KiB default: must be a 413
LONG_ID = "u" * 129  # one over the contract's 128-character user id


def malformed_task_ids() -> dict[str, str]:
    """Path task ids the contract (a positive 64-bit integer) does not allow."""
    return {"not a number": "abc", "negative": "-1", "fraction": "1.5", "exponent": "1e3",
            "beyond int64": "9" * 30, "NUL": "%00", "spaces": "%20%201"}


def malformed_queries() -> dict[str, dict[str, str]]:
    """List parameters outside the contract's ranges and types."""
    return {"limit -1": {"limit": "-1"}, "limit 0": {"limit": "0"}, "limit 101": {"limit": "101"},
            "limit text": {"limit": "ten"}, "offset -1": {"offset": "-1"}, "offset huge": {"offset": "9" * 20},
            "completed text": {"completed": "maybe"}}


def malformed_bodies() -> dict[str, bytes]:
    """Bodies a task create must refuse, as raw bytes: wrong shapes, lengths, characters and encodings."""
    return {
        "truncated JSON": b'{"title": ',
        "JSON array": b"[]",
        "JSON null": b"null",
        "title not a string": b'{"title": 7}',
        "empty title": b'{"title": "   "}',
        "title too long": b'{"title": "' + b"t" * 201 + b'"}',
        "description too long": b'{"title": "t", "description": "' + b"d" * 1001 + b'"}',
        "unknown field": b'{"title": "t", "owner": "someone-else"}',
        "NUL in title": b'{"title": "a\\u0000b"}',
        "lone surrogate": b'{"title": "a\\ud800b"}',
        "not UTF-8": b'{"title": "caf\xe9 \xff\xfe"}',
    }


def probe(api: Api, mint: TokenMint, user: ThrowawayUser) -> dict[str, httpx.Response]:
    """Send every malformed request; the answers by what each tried."""
    answers: dict[str, httpx.Response] = {}
    for what, task_id in malformed_task_ids().items():
        answers[f"task id {what}"] = api.get(f"{tasks_path(user.id)}/{task_id}", token=user.token)
    for what, params in malformed_queries().items():
        answers[f"list {what}"] = api.get(tasks_path(user.id), token=user.token, params=params)
    json_type = {"Content-Type": "application/json"}
    for what, body in malformed_bodies().items():
        answers[f"body {what}"] = api.request("POST", tasks_path(user.id), token=user.token, content=body,
                                              headers=json_type)
        answers[f"update body {what}"] = api.request("PUT", tasks_path(user.id, 1), token=user.token, content=body,
                                                     headers=json_type)
    long_user = ThrowawayUser(LONG_ID, mint.valid(LONG_ID))
    answers["user id over 128 characters"] = api.request("POST", tasks_path(long_user.id), token=long_user.token,
                                                         json_body={"title": "t"})
    answers["128 KiB body"] = oversized_post(api, user)
    return answers


def oversized_post(api: Api, user: ThrowawayUser) -> httpx.Response:
    """A body over the limit. The server answers 413 before reading it and closes the connection; if that close
    overtakes the answer (a reset while the client still sends), the request is sent once more, on a new one."""
    body = b'{"title": "' + b"x" * OVERSIZED_BODY_BYTES + b'"}'
    headers = {"Content-Type": "application/json"}
    try:
        return api.request("POST", tasks_path(user.id), token=user.token, headers=headers, content=body)
    except AssertionError:
        return api.request("POST", tasks_path(user.id), token=user.token, headers=headers, content=body)


def assert_client_errors(answers: dict[str, httpx.Response]) -> None:
    """Each answer a 4xx JSON ``{"detail": …}`` without leaks; an oversized body a 413 in particular."""
    for what, response in answers.items():
        checks.body_lacks(response, LEAK_MARKERS, f"{what}: the error body must not leak internals")
        assert_that(response.status_code // 100, equal_to(4), f"{what}: a client error (4xx), never a 5xx or a "
                                                              f"success\n{describe(response)}\n")
        checks.header_is(response, "content-type", starts_with("application/json"), f"{what}: a JSON error")
        assert_that(json_body(response), has_key("detail"), f"{what}: the error says what went wrong")
    checks.status_is(answers["128 KiB body"], 413, "a body far over the size limit is refused before it is parsed")


def assert_no_software_named(responses: Iterable[httpx.Response]) -> None:
    """No header names the server software or framework, or a version of it (an attacker's first look-up)."""
    for response in responses:
        server = response.headers.get("server", "")
        assert_that(bool(SOFTWARE.search(server) or VERSION.search(server)), equal_to(False),
                    f"the Server header names the software behind the service\n{describe(response)}\n")
        for name in REVEALING_HEADERS:
            assert_that(response.headers.get(name), is_in([None]),
                        f"the {name} header reveals the stack\n{describe(response)}\n")


def assert_tokens_refused(api: Api, path: str, tokens: dict[str, str]) -> None:
    for kind, token in tokens.items():
        checks.status_is(api.get(path, token=token), 401,
                         f"a token {kind} must be refused: the service may trust its own secret only")


def assert_docs_closed(api: Api, prefixes: Iterable[str]) -> None:
    """FR-006 under other prefixes: a docs route mounted at ``/api/docs`` is as open as ``/docs``."""
    for prefix in prefixes:
        for document in DOCS_DOCUMENTS:
            response = api.get(f"{prefix}/{document}")
            checks.status_is(response, 404, f"{prefix}/{document}: docs must be closed under any prefix (FR-006)")
            checks.body_lacks(response, SCHEMA_MARKERS, "the API schema leaked")


def delete_every_task(api: Api, user: ThrowawayUser) -> None:
    """Cleanup after probes: a body wrongly accepted (2xx) left a task behind; the throwaway user keeps none."""
    listed = api.get(tasks_path(user.id), token=user.token, params={"limit": "100"})
    if listed.status_code != 200:
        return
    body: Any = listed.json()
    for task in body if isinstance(body, list) else []:
        api.request("DELETE", tasks_path(user.id, task["id"]), token=user.token)
