"""Configuration (issue 2 "Configuration", ADRs 0004-0006, 0011): Neon URL normalization, production rules, the
Railway default, secrets without defaults. Pure: no database, no process; the real-process side is in
test_process.py.
"""

from __future__ import annotations

import secrets
import ssl

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.database_url import ASYNC_DRIVER
from backend.settings import Environment, Settings
from backend.settings_errors import configuration_problems

NEON_PASSWORD = "npg_" + "q" * 12  # shaped like Neon's; the assertions check it never leaks
NEON_HOST = "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
NEON_DIRECT_HOST = "ep-cool-darkness-123456.us-east-2.aws.neon.tech"


def production(**overrides: object) -> dict[str, object]:
    """A complete, valid production configuration, as a Railway dashboard would hold it."""
    return {
        "environment": "production",
        "database_url": f"postgresql://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb?sslmode=require",
        "better_auth_secret": secrets.token_urlsafe(48),
        "cors_origins": "https://tasks-frontend.vercel.app",
        **overrides,
    }


def problems_of(**values: object) -> list[str]:
    """The lines the fail-fast log message would carry for this configuration."""
    with pytest.raises(ValidationError) as caught:
        Settings(**values)
    return configuration_problems(caught.value)


# ------------------------------------------------------------------------------------------------ Neon URLs


@pytest.mark.parametrize(
    "raw",
    [
        f"postgresql://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb?sslmode=require&channel_binding=require",
        f"postgres://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb?sslmode=require&channel_binding=require",
        f"postgresql+asyncpg://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb?ssl=require",
        f"  postgresql://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb?channel_binding=require  ",
    ],
    ids=["neon-console", "postgres-scheme", "asyncpg-scheme", "no-sslmode-padded"],
)
def test_neon_urls_normalize_to_asyncpg_with_tls_and_the_pooler_detected(raw: str) -> None:
    target = Settings(environment="test", database_url=raw).database

    assert target.url.drivername == ASYNC_DRIVER
    assert (target.url.host, target.url.database, target.url.username) == (NEON_HOST, "neondb", "neondb_owner")
    assert target.url.password == NEON_PASSWORD
    assert dict(target.url.query) == {}  # neither sslmode nor channel_binding reaches asyncpg as a keyword
    assert target.ssl == "verify-full"  # Neon: verified, whatever sslmode the pasted URL asked for
    assert_verifies_server(target.connect_args["ssl"], check_hostname=True)
    assert target.pgbouncer is True
    assert target.connect_args["statement_cache_size"] == 0
    assert target.connect_args["prepared_statement_cache_size"] == 0
    names = {target.connect_args["prepared_statement_name_func"]() for _ in range(100)}
    assert len(names) == 100
    assert NEON_PASSWORD not in target.safe_description


def test_the_direct_endpoint_is_not_treated_as_pgbouncer_and_migrations_use_it() -> None:
    settings = Settings(**production(
        database_direct_url=f"postgresql://neondb_owner:{NEON_PASSWORD}@{NEON_DIRECT_HOST}/neondb?sslmode=require"))

    assert settings.database.pgbouncer is True
    assert settings.migration_database.url.host == NEON_DIRECT_HOST
    assert settings.migration_database.pgbouncer is False
    assert "statement_cache_size" not in settings.migration_database.connect_args
    assert settings.migration_database.ssl == "verify-full"


@pytest.mark.parametrize(("override", "host", "expected"), [
    (None, NEON_HOST, True), (None, NEON_DIRECT_HOST, False), (None, "127.0.0.1", False),
    (False, NEON_HOST, False), (True, NEON_DIRECT_HOST, True), (True, "127.0.0.1", True),
])
def test_pgbouncer_mode_is_detected_from_the_host_and_can_be_overridden(override: bool | None, host: str,
                                                                         expected: bool) -> None:
    target = Settings(environment="test", database_pgbouncer=override,
                      database_url=f"postgresql://u:p@{host}/db").database

    assert target.pgbouncer is expected
    assert ("statement_cache_size" in target.connect_args) is expected


def test_local_urls_keep_their_sslmode_and_neon_never_downgrades_silently() -> None:
    local = Settings(environment="test", database_url="postgresql://u@127.0.0.1:5432/db?sslmode=disable").database
    plain_local = Settings(environment="test", database_url="postgresql://u@127.0.0.1:5432/db").database
    neon = Settings(environment="test", database_url=f"postgresql://u:p@{NEON_DIRECT_HOST}/db").database

    assert (local.ssl, local.connect_args.get("ssl")) == ("disable", "disable")
    assert (plain_local.ssl, "ssl" in plain_local.connect_args) == (None, False)
    assert neon.ssl == "verify-full"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"mysql://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb", "unsupported scheme in mysql://"),
        (f"postgresql://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/", "names no database"),
        (f"postgresql://neondb_owner:{NEON_PASSWORD}@{NEON_HOST}/neondb?sslmode=sometimes", "sslmode of postgresql://"),
        (f"neondb_owner:{NEON_PASSWORD}@{NEON_HOST}", "<not a URL>"),
    ],
    ids=["scheme", "no-database", "bad-sslmode", "not-a-url"],
)
def test_bad_database_urls_are_named_clearly_without_the_password(raw: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(environment="test", database_url=raw)

    problems = configuration_problems(caught.value)
    assert len(problems) == 1
    assert problems[0].startswith("DATABASE_URL: ")
    assert expected in problems[0]
    assert NEON_PASSWORD not in problems[0]
    assert NEON_PASSWORD not in str(caught.value)


def assert_verifies_server(argument: object, *, check_hostname: bool) -> None:
    assert isinstance(argument, ssl.SSLContext)
    assert argument.verify_mode is ssl.CERT_REQUIRED
    assert argument.check_hostname is check_hostname
    assert argument.cert_store_stats()["x509_ca"] > 0  # a CA bundle is loaded: verification can succeed


@pytest.mark.parametrize("mode", ["disable"])
def test_a_neon_host_never_gets_plain_text(mode: str) -> None:
    problems = problems_of(environment="test", database_url=f"postgresql://u:p@{NEON_HOST}/neondb?sslmode={mode}")

    assert len(problems) == 1
    assert problems[0].startswith("DATABASE_URL: sslmode=disable on a Neon host")


@pytest.mark.parametrize("mode", ["verify-ca", "verify-full"])
def test_verifying_modes_get_a_context_with_the_system_ca_bundle(mode: str) -> None:
    """asyncpg's own verify-* handling needs ~/.postgresql/root.crt, which Railway's image does not have."""
    target = Settings(environment="test", database_url=f"postgresql://u:p@db.example.com/db?sslmode={mode}").database

    assert target.ssl == mode
    assert_verifies_server(target.connect_args["ssl"], check_hostname=mode == "verify-full")


@pytest.mark.parametrize("variable", ["database_url", "database_direct_url"])
@pytest.mark.parametrize("mode", [None, "disable", "allow", "prefer"])
def test_production_refuses_a_database_without_tls_over_a_network(variable: str, mode: str | None) -> None:
    url = "postgresql://u:p@db.internal.example:5432/db" + (f"?sslmode={mode}" if mode else "")

    problems = problems_of(**production(**{variable: url}))

    assert len(problems) == 1
    assert problems[0].startswith(f"{variable.upper()}: production requires TLS")
    assert "DATABASE_ALLOW_PLAINTEXT" in problems[0]


def test_plain_text_in_production_only_when_said_so_or_on_loopback() -> None:
    remote = "postgresql://u:p@db.internal.example:5432/db"

    assert Settings(**production(database_url=remote, database_allow_plaintext=True)).database.ssl is None
    for local in ("postgresql://u@127.0.0.1:5432/db", "postgresql://u@localhost/db", "postgresql://u@[::1]/db",
                  "postgresql://u@/db?host=/tmp"):
        assert Settings(**production(database_url=local)).database.on_loopback
    assert Settings(environment="development", database_url=remote).database.ssl is None


# ------------------------------------------------------------------------------------------------ environment


def test_railway_without_environment_means_production() -> None:
    on_railway = {key: value for key, value in production().items() if key != "environment"}

    assert Settings(**on_railway, railway_environment_name="production").is_production
    assert "BETTER_AUTH_SECRET: required in production" in problems_of(railway_environment_name="staging")


def test_an_explicit_environment_wins_over_railways_default() -> None:
    settings = Settings(environment="development", railway_environment_name="pr-42")

    assert settings.environment is Environment.DEVELOPMENT


def test_the_default_environment_off_railway_is_development() -> None:
    assert Settings().environment is Environment.DEVELOPMENT


# ------------------------------------------------------------------------------------------------ blank values


class IgnoreEmptyOnly(BaseSettings):
    """pydantic-settings' own ``env_ignore_empty``, for comparison with ``backend.settings.OptionalText``."""

    model_config = SettingsConfigDict(env_ignore_empty=True)
    better_auth_secret: str | None = None


def test_a_cleared_or_whitespace_only_variable_is_unset_which_env_ignore_empty_does_not_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable, value in {**production(), "better_auth_secret": "   ", "database_url": ""}.items():
        monkeypatch.setenv(variable.upper(), str(value))

    assert IgnoreEmptyOnly().better_auth_secret == "   "  # a stray space would stay a (weak) secret
    assert problems_of() == ["DATABASE_URL: required in production", "BETTER_AUTH_SECRET: required in production"]


def test_an_empty_environment_or_number_is_refused_not_read_as_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blank-is-unset is for optional text only; ``env_ignore_empty`` would start ``ENVIRONMENT=`` as development."""
    monkeypatch.setenv("ENVIRONMENT", "")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "")

    assert [line.split(":")[0] for line in problems_of()] == ["ENVIRONMENT", "DATABASE_POOL_SIZE"]


@pytest.mark.parametrize(
    ("environment", "docs_enabled", "expected"),
    [("development", None, True), ("test", None, True), ("production", None, False), ("production", True, True),
     ("production", False, False), ("development", False, False)],
)
def test_docs_default_on_outside_production_and_off_in_it(environment: str, docs_enabled: bool | None,
                                                          expected: bool) -> None:
    values = production(environment=environment, docs_enabled=docs_enabled)

    assert Settings(**values).docs_are_enabled is expected
