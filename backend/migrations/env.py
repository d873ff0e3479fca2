"""Alembic environment: async, against the direct (non-pooler) Neon endpoint when DATABASE_DIRECT_URL is set.

On Railway this runs as the pre-deploy command (`alembic upgrade head`); the app never creates tables itself.
Decision: history/adr/0010-alembic-pre-deploy-migrations.md.
"""

from __future__ import annotations

import asyncio
import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from backend.models import Base
from backend.settings import Settings, load_settings

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
target_metadata = Base.metadata


def _settings() -> Settings:
    logging.basicConfig(level=logging.INFO)
    return config.attributes.get("settings") or load_settings()


def run_migrations_offline() -> None:
    target = _settings().migration_database
    context.configure(url=target.url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    target = _settings().migration_database
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
