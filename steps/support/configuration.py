"""How the service reads its configuration (US1.2, US1.3), checked in this process against Settings and the engine
the backend builds from them, with exactly the variables a check names (``service_environment``): a Neon URL as
Neon's console hands it out, secrets from the environment only, no hard-coded fallback anywhere.
Decisions: history/adr/0002-asyncpg-pool-for-neon.md, 0004-neon-url-normalization-and-tls.md,
0005-secrets-from-environment-fail-fast.md.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import ssl
import time
from contextlib import AsyncExitStack
from typing import Any
from unittest import TestCase
from uuid import uuid4

from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_entries,
    has_item,
    has_key,
    instance_of,
    is_,
    less_than,
    less_than_or_equal_to,
    not_,
)

from backend.local.checkout import ROOT, service_environment
from steps.support import checks

# os.getenv("BETTER_AUTH_SECRET", "<anything but empty/None>") or environ.setdefault(...): a hard-coded fallback.
SECRET_FALLBACK = re.compile(
    r"(getenv|environ\.get|environ\.setdefault)\(\s*['\"](BETTER_AUTH_SECRET|JWT_SECRET|DATABASE_\w*URL)['\"]\s*,"
    r"(?!\s*(\"\"|''|None\b))", re.I)
POOL_CHECK_TIMEOUT = 1.0  # seconds; the pool's own, shortened for the check
POOL_CHECK_GRACE = 30.0  # how much longer a refused checkout may take before it counts as a hang
STARTED = re.compile(r"starting: environment=production .*pgbouncer=(\w+) pool=(\d+)\+(\d+)")


def neon_console_url() -> str:
    """What Neon's console hands out, with a password generated for this run (never a literal in the repo)."""
    return (f"postgresql://neondb_owner:{secrets.token_urlsafe(18)}@ep-{uuid4().hex[:10]}-pooler"
            ".eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require")


def production_settings(database_url: str, allowed_origin: str) -> Any:
    """Production Settings for ``database_url`` (a throwaway secret), whatever this shell exports."""
    from backend.settings import Settings

    with service_environment():
        return Settings(environment="production", database_url=database_url,
                        better_auth_secret=secrets.token_urlsafe(48), cors_origins=allowed_origin)


def assert_reaches_neon_with_tuned_pool(suite: Any, settings: Any, engine: Any, health: Any) -> None:
    """The engine the backend builds for Neon's URL (:func:`assert_engine_for_neon`), the deployment's /health
    a real round trip, and locally the pool against the real database and the database path the process logged."""
    assert_engine_for_neon(settings, engine)
    checks.status_is(health, 200, "the deployed backend reaches its database")
    checks.json_matches(health, has_entries(database="ok", database_latency_ms=checks.a_number()))
    if suite.is_live:
        suite.record.local_only_checks["@US1.2"] = ("the pool the running process logged at start-up, held at its "
                                                     "limit on the database")
        suite.record.exercise("database_path", "unknown")  # /health does not reveal it (ADR 0009)
        return
    rehearsal = suite.require_rehearsal()
    assert_pool_refuses_beyond_its_limit(rehearsal.environment())
    # What ADR 0003 (confirmed-when: database_path=pgbouncer-transaction) needs this run to go through.
    suite.record.exercise("database_path", logged_database_path(rehearsal))


def assert_engine_for_neon(settings: Any, engine: Any) -> None:
    """asyncpg's driver, libpq's URL options translated, TLS kept, statement cache off behind the pooler, a small
    pool within the replica's budget, recycled before Neon suspends, failing fast (the options ``create_engine``
    passes, :func:`backend.database.pool_options`; :func:`assert_pool_refuses_beyond_its_limit` shows a real pool
    keeps them)."""
    from backend.database import pool_options

    pool = pool_options(settings)
    size, overflow = pool["pool_size"], pool["max_overflow"]
    assert_that(engine.url.drivername, equal_to("postgresql+asyncpg"), "Neon's console URL must become asyncpg's")
    assert_that(dict(engine.url.query), all_of(not_(has_key("sslmode")), not_(has_key("channel_binding"))),
                "asyncpg rejects libpq's sslmode/channel_binding as arguments: they must be translated or dropped")
    assert_that(settings.database.connect_args, has_entries(statement_cache_size=0),
                "statement cache off behind Neon's -pooler (PgBouncer, transaction mode)")
    assert_that((settings.database.ssl, getattr(settings.database.connect_args["ssl"], "verify_mode", None)),
                equal_to(("verify-full", ssl.CERT_REQUIRED)), "TLS to Neon, its certificate verified (ADR 0004)")
    assert_that((engine.pool.size(), engine.pool.timeout()), equal_to((size, pool["pool_timeout"])),
                "the engine is built with the pool options")
    assert_that(size, all_of(greater_than(0), less_than_or_equal_to(20)), "pool_size: small and non-zero")
    assert_that(size + overflow, equal_to(sum(settings.pool_limits)),
                "the pool may use the worker's whole share of the budget: a burst is served, never refused")
    assert_that(size + overflow, less_than_or_equal_to(settings.database_max_connections),
                "the pool stays within the replica's DATABASE_MAX_CONNECTIONS budget (ADR 0002)")
    assert_that(pool["pool_recycle"], all_of(greater_than(0), less_than(300)),
                "connections recycled before Neon's 5-minute scale-to-zero")
    assert_that(pool["pool_timeout"], less_than_or_equal_to(10), "an outage gives a fast 503, not a 30 s hang")


def assert_pool_refuses_beyond_its_limit(environment: dict[str, str]) -> None:
    """The pool ``create_engine`` builds from the deployment's variables, on its real database: size + overflow
    connections held at once, one more refused with SQLAlchemy's pool timeout once the checkout timeout passed,
    never a connection over the budget. Only the timeout is shortened, to keep the check quick (its production
    value is asserted by :func:`assert_engine_for_neon`)."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from backend.database import create_engine
    from backend.settings import Settings

    with service_environment(**environment, DATABASE_POOL_TIMEOUT=str(POOL_CHECK_TIMEOUT)):
        settings = Settings()
    limit = sum(settings.pool_limits)

    async def one_more_than_the_limit() -> tuple[Exception | None, float]:
        engine = create_engine(settings)
        async with AsyncExitStack() as held:
            held.push_async_callback(engine.dispose)  # last, after the held connections went back
            await asyncio.gather(*[held.enter_async_context(engine.connect()) for _ in range(limit)])
            started = time.monotonic()
            try:
                async with asyncio.timeout(POOL_CHECK_TIMEOUT + POOL_CHECK_GRACE):
                    await (await engine.connect()).close()
            except Exception as error:
                return error, time.monotonic() - started
            return None, time.monotonic() - started

    refused, waited = asyncio.run(one_more_than_the_limit())
    assert_that(refused, instance_of(PoolTimeout), f"with {limit} connections held, one more is over the budget")
    assert_that(waited, greater_than_or_equal_to(POOL_CHECK_TIMEOUT * 0.9),
                "the refused checkout waited for a connection to come back first")


def logged_database_path(rehearsal: Any) -> str:
    """The database path the rehearsal's web process says it started with (its start-up line), checked against
    the path the rehearsal built: what ADR 0003's ``confirmed-when: database_path=…`` reads."""
    log = rehearsal.log_path.read_text(errors="replace")
    started = STARTED.search(log)
    assert_that(started, not_(None), f"the web process logs its pool at start-up:\n{log[-800:]}")
    assert started is not None
    assert_that(started.group(1), equal_to(str(rehearsal.pgbouncer is not None)),
                f"PgBouncer transaction-mode compatibility must match the database path ({rehearsal.database_path})")
    return "pgbouncer-transaction" if rehearsal.pgbouncer else "direct"


def secret_settings_with_defaults() -> tuple[list[str], list[str]]:
    """(fields marked secret, those of them that have any default other than None)."""
    from backend.settings import Settings, env_name, is_marked

    marked = [name for name in Settings.model_fields if is_marked(name, "secret")]
    fields = Settings.model_fields
    defaulted = [name for name in marked if fields[name].get_default(call_default_factory=True) is not None]
    return [env_name(name) for name in marked], [env_name(name) for name in defaulted]


def assert_secrets_only_from_environment(marked: list[str], defaulted: list[str], allowed_origin: str) -> None:
    """Secrets are marked and have no default; no code falls back to a literal; production without them refuses
    to start naming each; the JWT_SECRET alias is what is used; development without one makes up a random one."""
    from pydantic import ValidationError

    from backend.settings import Settings
    from backend.settings_errors import configuration_problems

    assert_that(marked, all_of(has_item("BETTER_AUTH_SECRET"), has_item("DATABASE_URL")),
                "the settings that hold secrets are marked secret")
    assert_that(defaulted, empty(), "a secret setting has a default: that is a hard-coded fallback")
    fallbacks = [f"{path}:{number}" for path in sorted(ROOT.glob("backend/**/*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1) if SECRET_FALLBACK.search(line)]
    assert_that(fallbacks, empty(), "os.getenv/environ.get with a default for a secret")
    with service_environment(ENVIRONMENT="production", CORS_ORIGINS=allowed_origin):
        try:
            Settings()
            problems: list[str] = []
        except ValidationError as error:
            problems = configuration_problems(error)
    assert_that(" | ".join(problems), all_of(contains_string("BETTER_AUTH_SECRET"), contains_string("DATABASE_URL")),
                "production without its secrets must refuse to configure, naming each")
    alias = secrets.token_urlsafe(48)
    with service_environment(ENVIRONMENT="production", DATABASE_URL=neon_console_url(), JWT_SECRET=alias,
                             CORS_ORIGINS=allowed_origin):
        assert_that(Settings().jwt_secret == alias, is_(True), "JWT_SECRET from the environment is the secret used")
    # Captured, and so kept from the console: this check provokes the warning on purpose, it is not the suite's.
    with service_environment(ENVIRONMENT="development"), TestCase().assertLogs("backend.settings") as log:
        first, second = Settings().jwt_secret, Settings().jwt_secret
    assert_that(first == second, is_(False), "development without a secret must get a random one, never a fixed one")
    assert_that(" | ".join(log.output), contains_string("BETTER_AUTH_SECRET is not set"),
                "the service says it made up a secret")
