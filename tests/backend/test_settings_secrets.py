"""Secrets come only from the environment, the pool's limits, and nothing secret in a log line (ADR 0005, 0002)."""

from __future__ import annotations

import logging
import secrets

import pytest
from pydantic import ValidationError

from backend.database_url import redact_url
from backend.main import create_app
from backend.settings import Settings, is_marked
from tests.backend.test_settings import NEON_HOST, NEON_PASSWORD, problems_of, production

# ------------------------------------------------------------------------------------------------ secrets


def secret_fields() -> list[str]:
    return [name for name in Settings.model_fields if is_marked(name, "secret")]


def test_the_secret_fields_are_marked() -> None:
    assert {"better_auth_secret", "database_url", "database_direct_url"} <= set(secret_fields())


@pytest.mark.parametrize("name", secret_fields())
def test_no_secret_has_a_default_or_appears_in_a_repr(name: str) -> None:
    field = Settings.model_fields[name]

    assert field.default is None
    assert field.default_factory is None
    assert field.repr is False


def test_secrets_never_appear_in_the_settings_repr_or_validation_errors() -> None:
    values = production()
    settings = Settings(**values)
    assert values["better_auth_secret"] not in repr(settings)
    assert NEON_PASSWORD not in repr(settings)

    short = secrets.token_urlsafe(16)[:20]
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", better_auth_secret=short)
    assert short not in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        Settings(database_url=f"mysql://u:{NEON_PASSWORD}@h/db")
    assert NEON_PASSWORD not in str(caught.value)


def test_docs_enabled_in_production_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="backend"):
        create_app(Settings(**production(docs_enabled=True)))
        create_app(Settings(**production()))
        create_app(Settings(**production(environment="development", docs_enabled=True)))

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING and "DOCS_ENABLED" in
                record.getMessage()]
    assert len(warnings) == 1
    assert "production" in warnings[0].getMessage()


def test_development_without_a_secret_gets_a_random_one_per_process(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="backend.settings"):
        first, second = Settings(environment="development"), Settings(environment="development")
        first_secret, second_secret = first.jwt_secret, second.jwt_secret

    assert first_secret != second_secret
    assert len(first_secret) >= 32
    assert first.jwt_secret == first_secret  # stable for the life of the process
    assert sum("BETTER_AUTH_SECRET is not set" in record.getMessage() for record in caplog.records) == 2
    assert first_secret not in caplog.text


def test_a_configured_secret_is_used_as_is() -> None:
    secret = secrets.token_urlsafe(48)

    assert Settings(environment="development", better_auth_secret=secret).jwt_secret == secret


# ------------------------------------------------------------------------------------------------ pool


def test_pool_defaults_suit_neon() -> None:
    """Recycle before Neon's 5-minute suspend; wait for a cold start; fail an outage fast, not after 30 s."""
    settings = Settings(environment="test")

    assert settings.database_pool_recycle < 300
    assert settings.database_connect_timeout >= 5
    assert settings.database_pool_timeout <= 10
    assert settings.health_timeout == 2.0
    assert settings.database_pool_size + settings.database_max_overflow <= 20


# ------------------------------------------------------------------------------------------------ redaction


def at_sign_urls(password_tail: str) -> list[str]:
    """Passwords with ``@``, ``:`` or ``/`` pasted without percent-encoding: each one confuses a URL parser."""
    return [
        f"postgresql://neondb_owner:p@ss:{password_tail}@{NEON_HOST}/neondb?sslmode=require",
        f"postgresql://neondb_owner:p@ss:{password_tail}@{NEON_HOST}:5432/neondb",
        f"postgresql://neondb_owner:p@ss{password_tail}@{NEON_HOST}/neondb",
        f"postgresql://neondb_owner:{password_tail}@{NEON_HOST}:port/neondb",
        f"postgresql://neondb_owner:{password_tail}@[::1/neondb",
        f"postgresql://neondb_owner:{password_tail}/{NEON_HOST}/neondb",
    ]


AT_SIGN_CASES = ["colon-after-at", "colon-after-at-with-port", "at-only", "bad-port", "bad-ipv6", "slash"]


@pytest.mark.parametrize("case", range(len(AT_SIGN_CASES)), ids=AT_SIGN_CASES)
@pytest.mark.parametrize("variable", ["database_url", "database_direct_url"])
def test_a_url_error_shows_nothing_after_the_scheme_but_the_host(variable: str, case: int) -> None:
    password_tail = "S" + secrets.token_hex(8)  # never all digits: it must not parse as a port
    raw = at_sign_urls(password_tail)[case]

    problems = problems_of(**production(**{variable: raw}))

    message = "\n".join(problems)
    assert problems and all(line.startswith(variable.upper() + ": ") for line in problems), problems
    for piece in (password_tail, "p@ss", "neondb_owner:", "neon.tech/", "neondb?", "5432", ":port"):
        assert piece not in message, (piece, message)


def test_redaction_keeps_only_the_scheme_and_the_host() -> None:
    tail = secrets.token_hex(8)

    assert redact_url(f"postgresql://owner:p@ss:{tail}@{NEON_HOST}:5432/db?sslmode=require") == (
        f"postgresql://{NEON_HOST}")
    assert redact_url(f"postgres://{NEON_HOST}/db") == f"postgres://{NEON_HOST}"
    assert redact_url("postgresql://owner@[::1]:5432/db") == "postgresql://[::1]"
    assert tail not in redact_url(f"owner:{tail}@{NEON_HOST}/db")
    assert tail not in redact_url(f"postgresql://owner:{tail}/{NEON_HOST}/db")
    assert tail not in redact_url(f"9{tail}://{NEON_HOST}/db")  # not a scheme: a scheme starts with a letter


def test_the_start_up_description_of_a_database_is_its_redacted_url() -> None:
    settings = Settings(**production())

    assert settings.database.safe_description == f"postgresql+asyncpg://{NEON_HOST}"
