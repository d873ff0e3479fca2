"""Shared plumbing for the backend suite: one real PostgreSQL per session, apps built in-process with
``create_app(Settings(...))`` and driven through httpx's ASGI transport with their lifespan running, tokens and a
small API client so that tests read as the contract (issue 2) and never repeat HTTP details.

Nothing here is mocked: the database is a real PostgreSQL (backend/local/postgres.py), migrated by Alembic as
Railway's pre-deploy step does. Secrets are generated at run time, never stored.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from backend.database import APPLICATION_NAME
from backend.local.checkout import ROOT, clean_environment, is_service_variable, procfile
from backend.local.postgres import LocalPostgres, free_port
from backend.local.processes import stop_process
from backend.local.rehearsal import run_migrations, wait_until_healthy
from backend.local.tokens import mint_token as make_token
from backend.main import create_app
from backend.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def _no_service_variables_leak_in() -> Iterator[None]:
    """``Settings(...)`` also reads the environment: keep the developer's DATABASE_URL, JWT_* … out of this run."""
    leaked = [key for key in os.environ if is_service_variable(key)]
    with pytest.MonkeyPatch.context() as patch:
        for key in leaked:
            patch.delenv(key)
        yield


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """The session's PostgreSQL, migrated to head with Alembic in a separate process (Railway's pre-deploy).

    A throwaway cluster in the server's own temporary folder: pytest's private tmp folder is out of reach of the
    user PostgreSQL runs as under root.
    """
    server = LocalPostgres(max_connections=200)
    try:
        server.start()
        run_migrations(clean_environment(DATABASE_URL=server.url))
        yield server
    finally:
        server.close()


@pytest.fixture
def secret() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture
def settings(postgres: LocalPostgres, secret: str) -> Settings:
    return make_settings(postgres.url, secret)


def make_settings(database_url: str, secret: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "test", "database_url": database_url, "better_auth_secret": secret}
    return Settings(**{**values, **overrides})


@asynccontextmanager
async def serve(settings: Settings, *, raise_app_exceptions: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """An app from ``settings`` with its lifespan running (engine disposed at the end), and a client for it."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app, raise_app_exceptions=raise_app_exceptions)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=transport, base_url="http://testserver", timeout=30
    ) as client:
        client.app = app  # type: ignore[attr-defined]  # tests reach its services through the client
        yield client


def dependency_calls(dependant: Any) -> list[Any]:
    """Every callable a route's FastAPI dependant solves, depth first (sub-dependencies included)."""
    return [call for sub in dependant.dependencies for call in (sub.call, *dependency_calls(sub))]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings) as http:
        yield http


def new_user_id() -> str:
    """Random ids isolate tests sharing one database: no truncation needed."""
    return f"user-{uuid.uuid4().hex[:12]}"


@dataclass
class Api:
    """One signed-in user talking to the task routes: every test's HTTP plumbing lives here."""

    http: httpx.AsyncClient
    user_id: str
    token: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def path(self, task_id: int | str | None = None, user_id: str | None = None) -> str:
        base = f"/api/{user_id or self.user_id}/tasks"
        return base if task_id is None else f"{base}/{task_id}"

    async def request(self, method: str, task_id: int | str | None = None, *, user_id: str | None = None,
                      suffix: str = "", **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return await self.http.request(method, self.path(task_id, user_id) + suffix, headers=headers, **kwargs)

    async def list(self, **params: Any) -> httpx.Response:
        return await self.request("GET", params=params)

    async def create(self, title: str = "Buy milk", description: str | None = None, **body: Any) -> httpx.Response:
        return await self.request("POST", json={"title": title, "description": description, **body})

    async def get(self, task_id: int | str) -> httpx.Response:
        return await self.request("GET", task_id)

    async def put(self, task_id: int | str, **body: Any) -> httpx.Response:
        return await self.request("PUT", task_id, json=body)

    async def delete(self, task_id: int | str) -> httpx.Response:
        return await self.request("DELETE", task_id)

    async def toggle(self, task_id: int | str) -> httpx.Response:
        return await self.request("PATCH", task_id, suffix="/complete")

    async def created(self, title: str = "Buy milk", description: str | None = None) -> dict[str, Any]:
        """Create a task and return it, asserting the 201 on the way."""
        response = await self.create(title, description)
        assert response.status_code == 201, response.text
        return response.json()

    async def tasks(self) -> list[dict[str, Any]]:
        """Everything this user owns, read back as the owner: what "nothing else changed" is compared against."""
        response = await self.list(limit=100)
        assert response.status_code == 200, response.text
        return response.json()


def api_for(http: httpx.AsyncClient, secret: str, user_id: str | None = None) -> Api:
    user_id = user_id or new_user_id()
    return Api(http, user_id, make_token(secret, user_id))


@pytest.fixture
def alice(client: httpx.AsyncClient, secret: str) -> Api:
    return api_for(client, secret)


@pytest.fixture
def bob(client: httpx.AsyncClient, secret: str) -> Api:
    return api_for(client, secret)


# ------------------------------------------------------------------------------------------ the real process


@dataclass
class WebProcess:
    """The Procfile's web command run with ``sh -c`` as Railway's start command is, and its combined output."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_healthy(self, timeout: float = 30) -> None:
        wait_until_healthy(self.base_url, self.process, self.log_path, timeout)

    def stop(self) -> int:
        stop_process(self.process)
        return self.process.returncode


ALLOWED = "https://tasks-frontend.vercel.app"  # the frontend's origin in the production configurations


def production_environment(database_url: str, secret: str) -> dict[str, str]:
    return {"ENVIRONMENT": "production", "DATABASE_URL": database_url, "BETTER_AUTH_SECRET": secret,
            "CORS_ORIGINS": ALLOWED, "FORWARDED_ALLOW_IPS": "127.0.0.1"}  # the edge Railway runs is on loopback here


@contextmanager
def production_web(tmp_path: Path, database_url: str, **variables: str) -> Iterator[tuple[WebProcess, str]]:
    """The web process in production mode (plus ``variables``), healthy, and the fresh secret tokens are signed with."""
    secret = secrets.token_urlsafe(48)
    with web_process(tmp_path, {**production_environment(database_url, secret), **variables}) as web:
        web.wait_until_healthy()
        yield web, secret


@contextmanager
def web_process(tmp_path: Path, environment: dict[str, str], port: int | None = None,
                command: list[str] | None = None) -> Iterator[WebProcess]:
    """``command`` (default: the Procfile's web line) on ``port`` with exactly ``environment`` of the service's."""
    port = port or free_port()
    log_path = tmp_path / f"web-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command or ["sh", "-c", procfile()["web"]], cwd=ROOT, env=clean_environment(PORT=str(port), **environment),
            stdout=log, stderr=subprocess.STDOUT,
        )
    web = WebProcess(process, port, log_path)
    try:
        yield web
    finally:
        web.stop()


async def sample_app_connections(database_url: str, done: asyncio.Event) -> list[int]:
    """How many connections the app holds, sampled from a connection of its own until ``done``."""
    connection = await asyncpg.connect(database_url, server_settings={"application_name": "tests-sampler"})
    samples = []
    try:
        while not done.is_set():
            samples.append(await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", APPLICATION_NAME))
            await asyncio.sleep(0.005)
    finally:
        await connection.close()
    return samples


@contextmanager
def loopback_server(answer: Callable[[BaseHTTPRequestHandler], None], port: int = 0) -> Iterator[int]:
    """A real HTTP server on loopback (the standard library's) that lets ``answer`` reply to every GET; yields its
    port. For stand-ins of the frontend's JWKS endpoint."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def send_json(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
