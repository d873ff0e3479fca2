"""The connection budget is per replica, shared by its workers (issue 12 target 4, ADR 0002).

``DATABASE_MAX_CONNECTIONS`` is what one replica may open to Neon, whatever ``WEB_CONCURRENCY`` is: each worker
gets an equal share. Before, every worker opened its own pool_size + max_overflow (then 5 + 5), so two workers held
20 connections against a budget of 10.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import httpx
import pytest

from backend.local.postgres import LocalPostgres
from backend.settings import Settings
from tests.backend.conftest import make_settings, make_token, new_user_id, production_web, sample_app_connections


@pytest.mark.parametrize(
    ("workers", "budget", "limits"),
    [(1, 10, (10, 0)), (2, 10, (5, 0)), (3, 10, (3, 0)), (2, 20, (10, 0)), (1, 4, (4, 0)), (4, 4, (1, 0))],
)
def test_each_worker_gets_its_share_of_the_budget(workers: int, budget: int, limits: tuple[int, int]) -> None:
    """Defaults: DATABASE_POOL_SIZE=10, DATABASE_MAX_OVERFLOW=0 (overflow connections churn, ADR 0002)."""
    settings = make_settings("postgresql://u@db.example/db", secrets.token_urlsafe(48), web_concurrency=workers,
                             database_max_connections=budget)

    assert settings.pool_limits == limits
    assert workers * sum(limits) <= budget


def test_a_budget_smaller_than_the_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="DATABASE_MAX_CONNECTIONS: 3 cannot be shared by WEB_CONCURRENCY=4"):
        Settings(environment="test", database_url="postgresql://u@db.example/db",
                 better_auth_secret=secrets.token_urlsafe(48), web_concurrency=4, database_max_connections=3)


async def burst(base_url: str, user_id: str, token: str, requests: int = 240) -> list[int]:
    limits = httpx.Limits(max_connections=48)  # many sockets, so the kernel spreads them over both workers
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
        answers = await asyncio.gather(*[http.get(f"/api/{user_id}/tasks", headers={"Authorization": f"Bearer {token}"})
                                         for _ in range(requests)])
    return [answer.status_code for answer in answers]


def test_two_workers_stay_within_the_replica_budget(tmp_path: Path, postgres: LocalPostgres) -> None:
    user_id = new_user_id()

    async def scenario(base_url: str, secret: str) -> tuple[list[int], list[int]]:
        done = asyncio.Event()
        sampler = asyncio.ensure_future(sample_app_connections(postgres.url, done))
        statuses = []
        for _ in range(3):
            statuses += await burst(base_url, user_id, make_token(secret, user_id))
        done.set()
        return statuses, await sampler

    with production_web(tmp_path, postgres.url, WEB_CONCURRENCY="2", DATABASE_MAX_CONNECTIONS="4") as (web, secret):
        statuses, samples = asyncio.run(scenario(web.base_url, secret))
        log = web.log

    assert set(statuses) == {200}
    assert log.count("Application startup complete") == 2  # two workers really served
    assert max(samples) <= 4, "two workers together opened more than DATABASE_MAX_CONNECTIONS"
    assert max(samples) >= 3, "the load reached more than one worker's share (2): both workers held connections"
