"""Alembic owns the schema (ADR 0010): the migrations produce exactly what the models describe, and they run
through the same async env.py Railway's pre-deploy uses, down and up again, on a database of their own.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from backend.local.checkout import clean_environment
from backend.local.postgres import LocalPostgres
from backend.local.rehearsal import ROOT
from backend.models import Base
from backend.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def scratch_database(postgres: LocalPostgres) -> Iterator[str]:
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    postgres.psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    finally:
        postgres.psql(f'DROP DATABASE "{name}" WITH (FORCE)')


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["settings"] = Settings(environment="test", database_url=database_url)
    return config


async def schema_drift(database_url: str) -> list[object]:
    engine = create_async_engine(Settings(environment="test", database_url=database_url).database.url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    finally:
        await engine.dispose()


async def tables(database_url: str) -> set[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


async def test_the_migrated_schema_matches_the_models(postgres: LocalPostgres) -> None:
    assert await schema_drift(postgres.url) == []


async def test_migrations_go_down_and_up_again(scratch_database: str) -> None:
    config = alembic_config(scratch_database)

    await anyio.to_thread.run_sync(command.upgrade, config, "head")
    after_upgrade = await tables(scratch_database)
    await anyio.to_thread.run_sync(command.downgrade, config, "base")
    after_downgrade = await tables(scratch_database)
    await anyio.to_thread.run_sync(command.upgrade, config, "head")

    assert after_upgrade == {"tasks", "alembic_version"}
    assert after_downgrade == {"alembic_version"}
    assert await schema_drift(scratch_database) == []


def test_the_app_never_creates_tables_itself() -> None:
    """Only Alembic (Railway's pre-deploy step) changes the schema; a create_all would hide a missing migration."""
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "backend").rglob("*.py")
                 if "create_all" in path.read_text()]

    assert offenders == []


@pytest.mark.parametrize("variable", ["DATABASE_URL", "DATABASE_DIRECT_URL"])
def test_alembic_never_prints_a_password_containing_an_at_sign(variable: str, tmp_path: Path) -> None:
    """Railway's pre-deploy step runs ``alembic upgrade head``; its log must not carry the password either."""
    password_tail = "S" + secrets.token_hex(8)
    raw = f"postgresql://owner:p@ss:{password_tail}@ep-x-123456.us-east-2.aws.neon.tech/neondb"

    finished = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env=clean_environment(**{variable: raw}))

    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert variable in output
    assert password_tail not in output
    assert "p@ss" not in output
    assert "Traceback" not in output
