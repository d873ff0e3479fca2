"""Alembic environment: async, against the direct (non-pooler) Neon endpoint when DATABASE_DIRECT_URL is set.

On Railway this runs as the pre-deploy command (`alembic upgrade head`); the app never creates tables itself.
Decision: history/adr/0010-alembic-pre-deploy-migrations.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from backend.database_url import DatabaseTarget, parse_database_url
from backend.models import Base

config = context.config
if config.config_file_name is not None:
    # Keep the caller's loggers: run in-process (command API), the default would silence the app's loggers.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def _target() -> DatabaseTarget:
    """The migration database. Only the URL is needed: the pre-deploy step must not require the app's secrets."""
    settings = config.attributes.get("settings")
    if settings is not None:
        return settings.migration_database
    direct, pooled = os.environ.get("DATABASE_DIRECT_URL", "").strip(), os.environ.get("DATABASE_URL", "").strip()
    if not (direct or pooled):
        logging.getLogger("alembic").critical("DATABASE_DIRECT_URL or DATABASE_URL must be set to migrate")
        raise SystemExit(2)
    try:
        # The direct endpoint needs no PgBouncer workarounds; the pooled one is detected from its host name.
        return parse_database_url(direct or pooled, pgbouncer=None if direct else _pgbouncer_override())
    except ValueError as error:
        variable = "DATABASE_DIRECT_URL" if direct else "DATABASE_URL"
        logging.getLogger("alembic").critical("%s: %s", variable, error)
        raise SystemExit(2) from None


def _pgbouncer_override() -> bool | None:
    value = os.environ.get("DATABASE_PGBOUNCER", "").strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(value)


def run_migrations_offline() -> None:
    target = _target()
    context.configure(url=target.url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    target = _target()
    engine = create_async_engine(target.url, connect_args=target.connect_args)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
