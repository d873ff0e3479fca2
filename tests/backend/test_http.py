"""The HTTP surface around the routes: CORS whitelist (FR-004, ADR 0006), docs in production (FR-006, ADR 0011),
body size limit, security headers and error bodies (ADR 0017). In-process apps built from production settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.local.postgres import LocalPostgres, free_port
from tests.backend.conftest import Api, api_for, make_settings, serve

pytestmark = pytest.mark.anyio

ALLOWED = "https://tasks-frontend.vercel.app"
PREVIEW_REGEX = r"https://tasks-frontend-[a-z0-9-]+\.preview\.example\.com"  # a preview domain the project owns
PREVIEW = "https://tasks-frontend-git-feature-x.preview.example.com"
DISALLOWED = [
    "https://evil.com",
    "https://tasks-frontend.vercel.app.evil.com",
    "https://eviltasks-frontend.vercel.app",
    "http://tasks-frontend.vercel.app",
    "https://tasks-frontend.vercel.app:8443",
    "null",
    "https://tasks-frontend-x.vercel.app.evil.com",
    "https://evil-tasks-frontend-x.vercel.app",
    "https://tasks-frontend-x.preview.example.com.evil.com",
    "https://x.tasks-frontend-x.preview.example.com",
]
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


@pytest.fixture
async def production_http(postgres: LocalPostgres, secret: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(postgres.url, secret, environment="production", cors_origins=ALLOWED,
                             cors_origin_regex=PREVIEW_REGEX)
    async with serve(settings) as http:
        yield http


@pytest.fixture
def user(production_http: httpx.AsyncClient, secret: str) -> Api:
    return api_for(production_http, secret)


async def preflight(http: httpx.AsyncClient, origin: str, method: str = "POST",
                    headers: str = "authorization,content-type") -> httpx.Response:
    return await http.options("/api/someone/tasks", headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


# ------------------------------------------------------------------------------------------------ CORS


@pytest.mark.parametrize("origin", [ALLOWED, PREVIEW])
async def test_an_allowed_origin_is_echoed_exactly_with_credentials(user: Api, origin: str) -> None:
    response = await user.request("GET", headers={"Origin": origin})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "origin" in response.headers["vary"].lower()


@pytest.mark.parametrize("origin", [ALLOWED, PREVIEW])
async def test_an_allowed_preflight_allows_authorization_and_content_type(production_http: httpx.AsyncClient,
                                                                         origin: str) -> None:
    response = await preflight(production_http, origin)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    allowed_headers = {value.strip().lower() for value in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed_headers
    allowed_methods = {value.strip() for value in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= allowed_methods
    assert "*" not in response.headers["access-control-allow-origin"]


@pytest.mark.parametrize("origin", DISALLOWED)
async def test_a_disallowed_origin_gets_no_cors_headers(user: Api, origin: str) -> None:
    response = await user.request("GET", headers={"Origin": origin})

    assert response.status_code == 200  # CORS is enforced by the browser; the server just never vouches
    assert "access-control-allow-origin" not in response.headers  # (Starlette's lone allow-credentials is inert)


@pytest.mark.parametrize("origin", DISALLOWED)
async def test_a_disallowed_preflight_is_refused(production_http: httpx.AsyncClient, origin: str) -> None:
    response = await preflight(production_http, origin)

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_for_an_unlisted_header_is_refused(production_http: httpx.AsyncClient) -> None:
    response = await preflight(production_http, ALLOWED, headers="authorization,x-evil")

    assert response.status_code == 400


async def test_cors_headers_are_on_error_responses_too(user: Api) -> None:
    """A browser must be able to read a 401/413 from the allowed origin, or the frontend cannot show it."""
    unauthorized = await user.http.get(user.path(), headers={"Origin": ALLOWED})
    too_large = await user.request("POST", content=b"x" * 70_000, headers={"Origin": ALLOWED})

    assert (unauthorized.status_code, too_large.status_code) == (401, 413)
    assert unauthorized.headers["access-control-allow-origin"] == too_large.headers["access-control-allow-origin"]
    assert unauthorized.headers["access-control-allow-origin"] == ALLOWED


# ------------------------------------------------------------------------------------------------ docs


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_docs_are_hidden_in_production(production_http: httpx.AsyncClient, path: str) -> None:
    response = await production_http.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(("environment", "docs_enabled"), [("development", None), ("production", True)])
async def test_docs_are_served_in_development_and_in_production_only_when_enabled(
    postgres: LocalPostgres, secret: str, environment: str, docs_enabled: bool | None
) -> None:
    settings = make_settings(postgres.url, secret, environment=environment, docs_enabled=docs_enabled,
                             cors_origins=ALLOWED)
    async with serve(settings) as http:
        responses = [await http.get(path) for path in ("/docs", "/redoc", "/openapi.json")]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert "swagger" in responses[0].text.lower()
    assert "/api/{user_id}/tasks" in responses[2].json()["paths"]


# ------------------------------------------------------------------------------------------------ body size


async def test_an_oversized_body_with_content_length_is_413_and_stores_nothing(user: Api) -> None:
    await user.created("existing")
    before = await user.tasks()
    body = b'{"title": "big", "description": "' + b"d" * 70_000 + b'"}'

    response = await user.request("POST", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json() == {"detail": "request body too large"}
    assert await user.tasks() == before


async def test_an_oversized_chunked_body_is_413_and_stores_nothing(user: Api, caplog: pytest.LogCaptureFixture) -> None:
    await user.created("existing")
    before = await user.tasks()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "big", "description": "'
        for _ in range(20):
            yield b"d" * 8192
        yield b'"}'

    response = await user.request("POST", content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert response.json() == {"detail": "request body too large"}
    assert await user.tasks() == before
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


async def test_a_large_body_under_the_limit_reaches_validation(user: Api) -> None:
    response = await user.request("POST", json={"title": "big", "description": "d" * 60_000})

    assert response.status_code == 422
    assert await user.tasks() == []


# ------------------------------------------------------------------------------------------------ headers, errors


async def test_security_headers_are_on_every_kind_of_response(user: Api, production_http: httpx.AsyncClient) -> None:
    task = await user.created()
    responses = [
        await production_http.get("/health"),
        await user.get(task["id"]),
        await user.http.get(user.path()),
        await user.get(task["id"] + 10**9),
        await user.create(""),
        await user.request("POST", content=b"x" * 70_000),
        await preflight(production_http, ALLOWED),
    ]

    assert [response.status_code for response in responses] == [200, 200, 401, 404, 422, 413, 200]
    for response in responses:
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
        assert "server" not in response.headers or "uvicorn" not in response.headers["server"].lower()


async def test_error_bodies_never_carry_a_trace_a_dsn_or_the_secret(postgres: LocalPostgres, secret: str) -> None:
    """Including 503s from a database that is not there: the driver's message names the host; the body must not."""
    unreachable = f"postgresql://postgres:{secret[:12]}@127.0.0.1:{free_port()}/postgres"
    settings = make_settings(unreachable, secret, environment="production", cors_origins=ALLOWED,
                             database_connect_timeout=1, database_pool_timeout=1)
    async with serve(settings, raise_app_exceptions=False) as http:
        user = api_for(http, secret)
        responses = [
            await user.list(),
            await user.create("x"),
            await user.get(1),
            await user.put(1, title="x"),
            await user.toggle(1),
            await user.delete(1),
            await http.get("/health"),
            await user.http.get(user.path(), headers={"Authorization": "Bearer x.y.z"}),
            await user.create("\x00"),
            await user.request("POST", content=b"{", headers={"Content-Type": "application/json"}),
            await user.request("GET", user_id="someone-else"),
        ]

    assert [response.status_code for response in responses] == [503] * 7 + [401, 422, 422, 403]
    assert all(response.json() == {"detail": "database unavailable"} for response in responses[:6])
    for response in responses:
        text = response.text
        assert "Traceback" not in text
        assert "postgresql://" not in text
        assert "127.0.0.1" not in text
        assert secret not in text
        assert secret[:12] not in text
