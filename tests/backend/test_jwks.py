"""A failing JWKS endpoint (issue 9 item 2, ADR 0007): a real HTTP server on loopback that answers, answers 503,
or accepts the connection and never answers. The app under test is the real one, in-process, on a real database.

What must hold: the endpoint is not hammered (one fetch per cool-down, failures included), tokens whose key is
cached are never held up by a fetch, cached keys keep working while the endpoint is down, and a key that cannot
be obtained because the endpoint is down is a 503 (retry), not a 401 (log in again).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import anyio
import httpx
import pytest

from backend.dependencies import services_of
from backend.jwks import FAILURE_COOLDOWN_SECONDS, REFETCH_COOLDOWN_SECONDS
from backend.local.postgres import LocalPostgres, free_port
from tests.backend.conftest import Api, make_settings, new_user_id, serve
from tests.backend.test_auth_jwks import JwksServer, SigningKey, generate_key

pytestmark = pytest.mark.anyio

FETCH_TIMEOUT_SECONDS = 1.0  # the app's bound on one fetch, short so that a hanging endpoint costs the test little
HANG_SECONDS = 60  # how long the hanging endpoint would keep a request if the app did not give up


@dataclass
class FlakyJwks(JwksServer):
    """Serves ``keys`` when ``mode`` is "ok"; answers 503 when "fail"; never answers when "hang". Counts fetches."""

    mode: str = "ok"
    hanging: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    released: threading.Event = field(default_factory=threading.Event)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if self.mode == "ok":
            super().answer(handler)
            return
        self.fetches += 1
        if self.mode == "hang":
            self.hanging.release()
            self.released.wait(HANG_SECONDS)
        else:
            handler.send_error(503)


@pytest.fixture
def eddsa() -> SigningKey:
    return generate_key("EdDSA", "eddsa-1")


@pytest.fixture
def endpoint(eddsa: SigningKey) -> Iterator[FlakyJwks]:
    with FlakyJwks(keys=[eddsa]).serving() as state:
        try:
            yield state
        finally:
            state.released.set()  # a hanging answer lets go, so that the server can shut down


@pytest.fixture
async def http(postgres: LocalPostgres, secret: str, endpoint: FlakyJwks) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(postgres.url, secret, better_auth_jwks_url=endpoint.url,
                             better_auth_jwks_timeout=FETCH_TIMEOUT_SECONDS)
    async with serve(settings) as client:
        yield client


def stranger_token(user_id: str) -> str:
    """Signed by a key the endpoint never published, under a kid it does not know: forces a fetch."""
    return generate_key("EdDSA", f"unknown-{uuid.uuid4().hex[:8]}").token(user_id)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "authentication keys unavailable"}
    assert int(response.headers["retry-after"]) > 0


async def test_a_failing_jwks_is_fetched_once_per_cool_down_and_its_keys_are_a_503(
    http: httpx.AsyncClient, endpoint: FlakyJwks, eddsa: SigningKey
) -> None:
    endpoint.mode = "fail"
    user_id = new_user_id()

    responses = [await Api(http, user_id, stranger_token(user_id)).list() for _ in range(10)]
    responses.append(await Api(http, user_id, eddsa.token(user_id)).list())

    for response in responses:
        assert_unavailable(response)
    assert endpoint.fetches == 1


async def test_the_service_recovers_when_the_jwks_comes_back(
    http: httpx.AsyncClient, endpoint: FlakyJwks, eddsa: SigningKey
) -> None:
    endpoint.mode = "fail"
    user = Api(http, (user_id := new_user_id()), eddsa.token(user_id))
    assert_unavailable(await user.list())

    endpoint.mode = "ok"
    await anyio.sleep(FAILURE_COOLDOWN_SECONDS + 0.2)

    assert (await user.create("after the outage")).status_code == 201
    assert endpoint.fetches == 2


async def test_cached_keys_keep_working_while_a_refetch_hangs(
    http: httpx.AsyncClient, endpoint: FlakyJwks, eddsa: SigningKey
) -> None:
    user = Api(http, (user_id := new_user_id()), eddsa.token(user_id))
    assert (await user.create("cached key")).status_code == 201
    endpoint.mode = "hang"
    await anyio.sleep(REFETCH_COOLDOWN_SECONDS + 0.2)  # an unknown kid may refetch again
    answers: list[httpx.Response] = []

    async with anyio.create_task_group() as group:
        async def unknown_kid() -> None:
            answers.append(await Api(http, user_id, stranger_token(user_id)).list())

        group.start_soon(unknown_kid)
        # The refetch is now stuck in the endpoint.
        assert await anyio.to_thread.run_sync(lambda: endpoint.hanging.acquire(timeout=30))
        during = [await user.list() for _ in range(5)]
        unknown_still_waiting = not answers

    assert unknown_still_waiting, "the unknown kid should still be waiting for the hanging fetch"
    assert [response.status_code for response in during] == [200] * 5
    assert [task["title"] for task in during[-1].json()] == ["cached key"]
    assert_unavailable(answers[0])  # the fetch was given up after its timeout, not after the endpoint's 60 s


async def test_cached_keys_are_served_stale_while_the_jwks_is_down(
    http: httpx.AsyncClient, endpoint: FlakyJwks, eddsa: SigningKey
) -> None:
    user = Api(http, (user_id := new_user_id()), eddsa.token(user_id))
    assert (await user.create("stale but trusted")).status_code == 201
    services_of(http.app).token_verifier.jwks.fresh_for = 0  # type: ignore[attr-defined,union-attr]  # every use is past its freshness
    endpoint.mode = "fail"
    await anyio.sleep(REFETCH_COOLDOWN_SECONDS + 0.2)  # past the cool-down: the next request starts a refresh

    statuses = [(await user.list()).status_code for _ in range(10)]
    await anyio.sleep(0.5)  # let the background refresh fail

    assert statuses == [200] * 10
    assert (await user.list()).status_code == 200
    assert endpoint.fetches == 2  # the first fill, then one refresh per failure cool-down, however many requests


async def test_a_jwks_nobody_listens_on_is_503_not_401(postgres: LocalPostgres, secret: str, eddsa: SigningKey) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/auth/jwks"
    async with serve(make_settings(postgres.url, secret, better_auth_jwks_url=closed)) as client:
        user = Api(client, (user_id := new_user_id()), eddsa.token(user_id))

        assert_unavailable(await user.list())
        assert_unavailable(await user.create("never stored"))
