"""Configuration: every value comes from the environment, validated once at start-up.

Spec: US1 scenario 3 ("values exclusively from environment variables with no hardcoded fallbacks"), FR-004 (CORS
whitelist), FR-006 (docs off in production) and the edge case "Missing Production Secrets" (fail fast, one clear
message). Decisions: history/adr/0005-secrets-from-environment-fail-fast.md, 0006-cors-whitelist.md.

Each field says in ``json_schema_extra`` whether production requires it and whether it is a secret; the fail-fast
check, the suite and the audit report read those markers through :func:`is_marked`, so the rule is written once.
Optional text fields are ``OptionalText``: blank means unset.
"""

from __future__ import annotations

import logging
import secrets
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from backend.database_url import DatabaseTarget, parse_database_url
from backend.origins import normalize_origin, origin_problems, origin_regex_problems
from backend.secret_strength import secret_problem

logger = logging.getLogger("backend.settings")

class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _meta(*, production: bool = False, secret: bool = False) -> dict[str, Any]:
    return {"required_in_production": production, "secret": secret}


def _secret(description: str, *, production: bool = False, **options: Any) -> Any:
    """A field marked secret, unset by default, and never in a repr, a log line or a traceback's locals."""
    return Field(default=None, repr=False, description=description,
                 json_schema_extra=_meta(production=production, secret=True), **options)


def is_marked(field_name: str, marker: Literal["required_in_production", "secret"]) -> bool:
    """Whether the field carries the marker (``_meta``): what the fail-fast check, the suite and the report read."""
    extra = Settings.model_fields[field_name].json_schema_extra
    return bool(isinstance(extra, dict) and extra.get(marker))


def _blank_is_unset(value: Any) -> Any:
    """An empty or whitespace-only value, in a variable or an argument, means "not set", not "set to nothing":
    dashboards keep variables that were cleared. (pydantic-settings' ``env_ignore_empty`` drops only exactly-empty
    variables, for every field: a stray space would stay a value, and ``ENVIRONMENT=`` would quietly become the
    default instead of an error; ``test_settings.py`` shows both.)"""
    if isinstance(value, str) and not value.strip():
        return None
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_is_unset)]


class Settings(BaseSettings):
    """The service's whole configuration. Construct with keyword arguments in tests; from the environment in prod."""

    # hide_input_in_errors: a ValidationError's text would otherwise quote the inputs (the secret, the DSN).
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, populate_by_name=True,
                                      hide_input_in_errors=True)

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="development | test | production. Unset on Railway (RAILWAY_ENVIRONMENT_NAME present): production.",
    )
    railway_environment_name: str | None = Field(
        default=None, description="Set by Railway; its presence makes production the default environment."
    )
    version: OptionalText = Field(
        default=None,
        validation_alias=AliasChoices("RAILWAY_GIT_COMMIT_SHA", "APP_VERSION"),
        description="Deployed version shown by /health; Railway sets RAILWAY_GIT_COMMIT_SHA.",
    )

    database_url: OptionalText = _secret(
        "Neon connection string (postgresql://, postgres:// or postgresql+asyncpg://); the -pooler host.",
        production=True,
    )
    database_direct_url: OptionalText = _secret(
        "Neon direct (non-pooler) connection string for migrations; falls back to DATABASE_URL."
    )
    database_allow_plaintext: bool = Field(
        default=False,
        description="Production only: allow a database URL without TLS to a non-loopback host (off: refused).",
    )
    database_pgbouncer: bool | None = Field(
        default=None,
        description="Force PgBouncer transaction-mode compatibility on/off; unset: on when the host has -pooler.",
    )
    database_max_connections: int = Field(
        default=10, ge=1, le=1000,
        description="The service's connection budget per replica, shared by its WEB_CONCURRENCY workers (ADR 0002).",
    )
    web_concurrency: int = Field(default=1, ge=1, le=64, description="uvicorn workers per replica (uvicorn reads it).")
    database_pool_size: int = Field(default=10, ge=1, le=50, description="Connections kept open per worker, at most.")
    database_max_overflow: int = Field(default=0, ge=0, le=50, description="Extra connections under bursts, at most.")
    database_pool_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds a request waits for a pooled connection before a 503."
    )
    database_pool_recycle: int = Field(
        default=240, ge=30, description="Seconds before a connection is replaced; below Neon's 5-minute suspend."
    )
    database_connect_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to open a connection; covers a Neon cold start."
    )
    database_command_timeout: float = Field(
        default=5.0, gt=0, le=300,
        description="Seconds one statement may take; bounds the wait when PgBouncer is up but Postgres is not.",
    )
    health_timeout: float = Field(
        default=2.0, gt=0, le=30, description="Seconds /health waits for the database round trip."
    )

    better_auth_secret: OptionalText = _secret(
        "HS256 secret shared with the Better Auth frontend (alias JWT_SECRET); 32+ characters.", production=True,
        validation_alias=AliasChoices("BETTER_AUTH_SECRET", "JWT_SECRET", "better_auth_secret"),
    )
    better_auth_jwks_url: OptionalText = Field(
        default=None,
        description="Frontend's JWKS (e.g. https://<app>.vercel.app/api/auth/jwks) to verify EdDSA/ES256/RS256 tokens.",
    )
    better_auth_jwks_timeout: float = Field(
        default=3.0, gt=0, le=10, description="Seconds one JWKS fetch may take in all (connect, headers, body)."
    )
    jwt_issuer: OptionalText = Field(default=None, description="Required `iss` claim, checked when set.")
    jwt_audience: OptionalText = Field(default=None, description="Required `aud` claim, checked when set.")
    jwt_leeway: int = Field(default=30, ge=0, le=300, description="Seconds of clock skew tolerated on exp/nbf/iat.")

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated exact origins allowed by CORS, e.g. https://<app>.vercel.app. https only in prod.",
        json_schema_extra=_meta(production=True),
    )
    cors_origin_regex: OptionalText = Field(
        default=None,
        description="Optional regex for preview origins: https://<slug>-[a-z0-9-]+\\.<a domain you own> (ADR 0006).",
    )
    docs_enabled: bool | None = Field(
        default=None, description="Serve /docs, /redoc, /openapi.json. Default: on outside production, off in it."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body accepted (413 above).")
    request_body_timeout: float = Field(
        default=20.0, gt=0, le=300,
        description="Seconds a request body may take to arrive (408 after); the head is bounded by the server.")

    # ----------------------------------------------------------------------------------------------- validators

    @model_validator(mode="before")
    @classmethod
    def _railway_means_production(cls, data: Any) -> Any:
        """Secure by default: on Railway, an unset ENVIRONMENT is production, never development."""
        if isinstance(data, dict):
            keys = {str(key).lower() for key in data}
            if "environment" not in keys and "railway_environment_name" in keys:
                return {**data, "environment": Environment.PRODUCTION}
        return data

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return [normalize_origin(str(item)) for item in value if str(item).strip()]
        return value

    @model_validator(mode="after")
    def _check_rules(self) -> Settings:
        problems = self.problems()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def problems(self) -> list[str]:
        """Every rule broken by this configuration, each naming its variable. Empty when valid."""
        found = [f"{env_name(name)}: required in production" for name in Settings.model_fields
                 if self.is_production and is_marked(name, "required_in_production") and not getattr(self, name)]
        if self.database_url:
            found += self._url_problems("DATABASE_URL", self.database_url)
        if self.database_direct_url:
            found += self._url_problems("DATABASE_DIRECT_URL", self.database_direct_url)
        if self.database_max_connections < self.web_concurrency:
            found.append(f"DATABASE_MAX_CONNECTIONS: {self.database_max_connections} cannot be shared by "
                         f"WEB_CONCURRENCY={self.web_concurrency} workers (each needs at least one connection)")
        if self.better_auth_secret and (weakness := secret_problem(self.better_auth_secret)):
            found.append(f"BETTER_AUTH_SECRET: {weakness}")
        for origin in self.cors_origins:
            found += origin_problems(origin, self.is_production)
        if self.cors_origin_regex:
            found += origin_regex_problems(self.cors_origin_regex, self.is_production)
        if self.better_auth_jwks_url and self.is_production and not self.better_auth_jwks_url.startswith("https://"):
            found.append("BETTER_AUTH_JWKS_URL: must be an https:// URL in production")
        return found

    def _url_problems(self, variable: str, url: str) -> list[str]:
        """Malformed, or (production) not encrypted over a network without DATABASE_ALLOW_PLAINTEXT (ADR 0004)."""
        try:
            target = parse_database_url(url, pgbouncer=None)
        except ValueError as error:
            return [f"{variable}: {error}"]
        if self.is_production and not (target.encrypted or target.on_loopback or self.database_allow_plaintext):
            return [f"{variable}: production requires TLS to the database: add ?sslmode=verify-full (or require) "
                    "to the URL, or set DATABASE_ALLOW_PLAINTEXT=true to accept plain text on purpose"]
        return []

    # ----------------------------------------------------------------------------------------------- derived

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def docs_are_enabled(self) -> bool:
        """Docs are off in production unless DOCS_ENABLED says otherwise, explicitly (FR-006)."""
        return self.docs_enabled if self.docs_enabled is not None else not self.is_production

    @property
    def pool_limits(self) -> tuple[int, int]:
        """(pool_size, max_overflow) of this worker: the budget divided by the workers, never above what
        DATABASE_POOL_SIZE / DATABASE_MAX_OVERFLOW ask for. Workers × (size + overflow) ≤ the budget (ADR 0002)."""
        share = max(1, self.database_max_connections // self.web_concurrency)
        size = min(self.database_pool_size, share)
        return size, min(self.database_max_overflow, share - size)

    @cached_property
    def database(self) -> DatabaseTarget:
        if not self.database_url:
            raise RuntimeError("DATABASE_URL is not set")
        return parse_database_url(self.database_url, pgbouncer=self.database_pgbouncer)

    @cached_property
    def migration_database(self) -> DatabaseTarget:
        """Migrations go to the direct endpoint: DDL and advisory locks do not belong behind PgBouncer."""
        url = self.database_direct_url or self.database_url
        if not url:
            raise RuntimeError("DATABASE_URL is not set")
        return parse_database_url(url, pgbouncer=self.database_pgbouncer if url == self.database_url else None)

    @cached_property
    def jwt_secret(self) -> str:
        """The HS256 secret. Outside production an unset secret becomes a random one, never a fixed fallback."""
        if self.better_auth_secret:
            return self.better_auth_secret
        logger.warning("BETTER_AUTH_SECRET is not set: using a random secret for this process only (%s)",
                       self.environment.value)
        return secrets.token_urlsafe(48)


def env_names(field_name: str) -> tuple[str, ...]:
    """The environment variables a field reads, first one first (its aliases, else its upper-cased name): the one
    walk over aliases that the service-variable filter, the report's inventory and the README check call."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(dict.fromkeys(str(choice).upper() for choice in alias.choices))
    return (field_name.upper(),)


def env_name(field_name: str) -> str:
    """The environment variable a field reads first."""
    return env_names(field_name)[0]
