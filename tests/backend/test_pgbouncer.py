"""The app behind a real PgBouncer in transaction mode, which is what Neon's ``-pooler`` endpoint is (ADR 0003).

With DATABASE_PGBOUNCER=true a burst of concurrent mixed requests through a small server pool has zero errors;
with the compatibility settings off, the same burst hits asyncpg's "prepared statement … does not exist" class of
errors, which shows the setting is what makes it work.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from backend.local.pgbouncer import MISSING, LocalPgBouncer, pgbouncer_available
from backend.local.postgres import LocalPostgres
from tests.backend.conftest import Api, api_for, make_settings, serve

pytestmark = pytest.mark.anyio
if not pgbouncer_available():  # make test installs it where it can; elsewhere: skipped, with how to enable it
    pytest.skip(MISSING, allow_module_level=True)

SERVER_POOL_SIZE = 3  # far fewer server connections than the app's 5 + 5 client connections: transactions hop
USERS = 8
REQUESTS = 240


@pytest.fixture
def pgbouncer(postgres: LocalPostgres) -> Iterator[LocalPgBouncer]:
    with LocalPgBouncer(postgres, pool_size=SERVER_POOL_SIZE) as bouncer:
        yield bouncer


async def mixed_burst(http: httpx.AsyncClient, secret: str) -> tuple[list[httpx.Response], list[Api]]:
    """Seed a few tasks per user, then fire creates, lists, reads and toggles all at once."""
    users = [api_for(http, secret) for _ in range(USERS)]
    seeds = {user.user_id: [await user.create(f"seed {n}") for n in range(2)] for user in users}
    # a seed that failed (only without the compatibility settings) is one of the burst's failures; 0 finds nothing
    seeded = {user_id: [seed.json()["id"] if seed.status_code == 201 else 0 for seed in answers]
              for user_id, answers in seeds.items()}
    failed_seeds = [seed for answers in seeds.values() for seed in answers if seed.status_code != 201]
    generator = random.Random(4)  # a fixed mix, so both runs fire the same workload

    async def request(number: int) -> httpx.Response:
        user = users[number % USERS]
        task_id = generator.choice(seeded[user.user_id])
        kind = number % 4
        if kind == 0:
            return await user.create(f"burst {number}")
        if kind == 1:
            return await user.list(limit=20)
        return await (user.get(task_id) if kind == 2 else user.toggle(task_id))

    responses = await asyncio.gather(*[request(number) for number in range(REQUESTS)])
    return [*responses, *failed_seeds], users


async def test_transaction_mode_pgbouncer_serves_a_concurrent_burst_without_errors(
    pgbouncer: LocalPgBouncer, secret: str
) -> None:
    settings = make_settings(pgbouncer.url, secret, database_pgbouncer=True)
    assert settings.database.pgbouncer is True
    async with serve(settings) as http:
        responses, users = await mixed_burst(http, secret)
        health = await http.get("/health")
        per_user = [await user.tasks() for user in users]

    assert Counter(response.status_code for response in responses) == {201: 60, 200: 180}
    assert health.status_code == 200
    assert sum(len(tasks) for tasks in per_user) == USERS * 2 + 60
    for number, response in enumerate(responses):  # no answer crossed users while transactions hopped
        owner = users[number % USERS].user_id
        tasks = response.json() if number % 4 == 1 else [response.json()]
        assert {task["user_id"] for task in tasks} <= {owner}


async def test_without_the_compatibility_settings_the_same_burst_breaks_on_prepared_statements(
    pgbouncer: LocalPgBouncer, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(pgbouncer.url, secret, database_pgbouncer=False)
    assert "statement_cache_size" not in settings.database.connect_args
    with caplog.at_level(logging.ERROR, logger="backend.errors"):
        async with serve(settings, raise_app_exceptions=False) as http:
            responses = []
            for _ in range(3):  # the failure depends on which server connection a transaction lands on
                responses += (await mixed_burst(http, secret))[0]
                if any(response.status_code == 500 for response in responses):
                    break

    failures = [record for record in caplog.records if record.exc_info]
    messages = " ".join(str(record.exc_info[1]) for record in failures if record.exc_info)
    assert any(response.status_code == 500 for response in responses)
    assert "prepared statement" in messages
