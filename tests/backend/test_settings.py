"""Configuration (issue 2 "Configuration", ADRs 0004-0006, 0011): Neon URL normalization, production rules, the
Railway default, secrets without defaults. Pure: no database, no process; the real-process side is in
test_process.py.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import ssl

import pytest
from pydantic import ValidationError

from backend.database_url import ASYNC_DRIVER, redact_url
from backend.main import create_app
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


# ------------------------------------------------------------------------------------------------ production


def test_a_complete_production_configuration_is_accepted() -> None:
    settings = Settings(**production(cors_origins="https://tasks-frontend.vercel.app/, https://tasks.example.com"))

    assert settings.is_production
    assert settings.cors_origins == ["https://tasks-frontend.vercel.app", "https://tasks.example.com"]
    assert settings.docs_are_enabled is False


def test_production_names_every_missing_variable_at_once() -> None:
    problems = problems_of(environment="production")

    assert problems == [
        "DATABASE_URL: required in production",
        "BETTER_AUTH_SECRET: required in production",
        "CORS_ORIGINS: required in production",
    ]


def test_blank_variables_count_as_missing() -> None:
    problems = problems_of(**production(better_auth_secret="   ", database_url=""))

    assert "BETTER_AUTH_SECRET: required in production" in problems
    assert "DATABASE_URL: required in production" in problems


def test_a_short_secret_is_refused_without_echoing_it() -> None:
    short = secrets.token_urlsafe(16)[:31]

    problems = problems_of(**production(better_auth_secret=short))

    assert problems == ["BETTER_AUTH_SECRET: must be at least 32 characters"]
    assert short not in "".join(problems)


def weak_secrets() -> dict[str, str]:
    """Generated per run: one repeated character, a short random piece repeated, a three-letter alphabet."""
    alphabet = secrets.token_hex(8)
    return {
        "one-character": secrets.choice(alphabet) * 40,
        "repeated-piece": secrets.token_hex(4) * 5,
        "three-characters": "".join(secrets.choice(alphabet[:3]) for _ in range(40)),
    }


@pytest.mark.parametrize("kind", list(weak_secrets()))
def test_an_obviously_low_entropy_secret_is_refused_without_echoing_it(kind: str) -> None:
    weak = weak_secrets()[kind]
    assert len(weak) >= 32

    problems = problems_of(**production(better_auth_secret=weak))

    assert len(problems) == 1 and problems[0].startswith("BETTER_AUTH_SECRET: "), problems
    assert weak not in problems[0] and weak[:8] not in problems[0]


@pytest.mark.parametrize("generate", [lambda: secrets.token_hex(16), lambda: secrets.token_urlsafe(32),
                                      lambda: secrets.token_urlsafe(48)], ids=["hex-32", "urlsafe-43", "urlsafe-64"])
def test_generated_secrets_are_always_accepted(generate: object) -> None:
    for _ in range(200):
        Settings(**production(better_auth_secret=generate()))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("origins", "expected"),
    [
        ("*", "'*' is not allowed"),
        ("https://tasks-frontend.vercel.app,*", "'*' is not allowed"),
        ("http://tasks-frontend.vercel.app", "must use https:// in production"),
        ("https://tasks-frontend.vercel.app/app", "is not an origin"),
        ("tasks-frontend.vercel.app", "is not an origin"),
    ],
    ids=["star", "star-in-list", "http", "with-path", "no-scheme"],
)
def test_production_cors_origins_must_be_exact_https_origins(origins: str, expected: str) -> None:
    problems = problems_of(**production(cors_origins=origins))

    assert len(problems) == 1
    assert problems[0].startswith("CORS_ORIGINS: ")
    assert expected in problems[0]


def test_http_origins_are_fine_outside_production() -> None:
    assert Settings(environment="development", cors_origins="http://localhost:3000/").cors_origins == [
        "http://localhost:3000"
    ]


OWN_PREVIEWS = r"\.preview\.example\.com"  # a preview domain the project owns (Vercel's preview deployment suffix)
UNSAFE_PREVIEW_REGEXES = {
    "any-vercel": r"https://.*\.vercel\.app",
    "anything": r".*",
    "any-slug-on-vercel": r"https://[a-z0-9-]+\.vercel\.app",
    "slug-on-vercel": r"https://tasks-frontend-[a-z0-9-]+\.vercel\.app",  # anyone can name a project so
    "slug-then-anything": r"https://tasks-frontend.*",
    "unanchored-end": r"https://tasks-frontend-[a-z0-9-]+" + OWN_PREVIEWS + ".*",
    "http-too": r"https?://tasks-frontend-[a-z0-9-]+" + OWN_PREVIEWS,
    "invalid": r"(unclosed",
    "alternation": r"https://tasks-frontend-[a-z0-9-]+" + OWN_PREVIEWS + r"|.*\.evil\.net",
    "alternation-in-group": r"https://tasks-frontend-(x|.*\.evil\.net)" + OWN_PREVIEWS,
    "unescaped-dots": r"https://app-[a-z0-9-]+.preview.example.com",
    "nested-quantifier": r"https://app-([a-z0-9]+)+" + OWN_PREVIEWS,
    "two-quantifiers": r"https://app-[a-z0-9]+-[a-z0-9]+" + OWN_PREVIEWS,
    "dot-in-class": r"https://app-[a-z0-9.-]+" + OWN_PREVIEWS,
    "word-class": r"https://app-\w+" + OWN_PREVIEWS,
    "negated-class": r"https://app-[^/]+" + OWN_PREVIEWS,
    "port": r"https://app-[a-z0-9-]+" + OWN_PREVIEWS + ":8443",
    "inline-flags": r"(?i)https://app-[a-z0-9-]+" + OWN_PREVIEWS,
    "top-level-domain-only": r"https://app-[a-z0-9-]+\.com",
}


@pytest.mark.parametrize("pattern", UNSAFE_PREVIEW_REGEXES.values(), ids=UNSAFE_PREVIEW_REGEXES.keys())
def test_preview_regexes_that_could_match_elsewhere_or_slowly_are_refused(pattern: str) -> None:
    problems = problems_of(**production(cors_origin_regex=pattern))

    assert len(problems) == 1
    assert problems[0].startswith("CORS_ORIGIN_REGEX: ")


SAFE_PREVIEW_REGEXES = [r"https://tasks-frontend-[a-z0-9-]+" + OWN_PREVIEWS,
                        r"^https://tasks-frontend-[a-z0-9-]+" + OWN_PREVIEWS + "$",
                        r"https://[a-z0-9-]+" + OWN_PREVIEWS, r"https://pr-[0-9]{1,5}" + OWN_PREVIEWS]


@pytest.mark.parametrize("pattern", SAFE_PREVIEW_REGEXES)
def test_a_preview_regex_under_a_domain_the_project_owns_is_accepted(pattern: str) -> None:
    assert Settings(**production(cors_origin_regex=pattern)).cors_origin_regex == pattern


@pytest.mark.parametrize("pattern", SAFE_PREVIEW_REGEXES)
def test_what_an_accepted_regex_matches_is_one_https_label_under_its_suffix(pattern: str) -> None:
    """The parse is the proof; this samples it: random origins built from the characters that break hosts."""
    compiled = re.compile(pattern)
    pieces = ["a", "7", "-", ".", ":", "/", "@", "evil", "pr-", "pr-7", "tasks-frontend-", ".preview.example.com",
              ".example.com", ".evil.net", "https://", "http://"]
    generator = random.Random(secrets.randbits(32))
    matched = 0
    for _ in range(20_000):
        candidate = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 6)))
        for origin in (candidate, "https://" + candidate, "https://tasks-frontend-" + candidate):
            if compiled.fullmatch(origin):
                matched += 1
                label = origin.removeprefix("https://").removesuffix(".preview.example.com")
                assert origin.endswith(".preview.example.com") and re.fullmatch(r"[a-z0-9-]+", label), origin
    assert matched > 0


def test_a_vercel_preview_regex_is_fine_outside_production() -> None:
    pattern = UNSAFE_PREVIEW_REGEXES["slug-on-vercel"]

    assert Settings(environment="development", cors_origin_regex=pattern).cors_origin_regex == pattern


def test_jwks_url_must_be_https_in_production() -> None:
    problems = problems_of(**production(better_auth_jwks_url="http://tasks-frontend.vercel.app/api/auth/jwks"))

    assert problems == ["BETTER_AUTH_JWKS_URL: must be an https:// URL in production"]


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


@pytest.mark.parametrize(
    ("environment", "docs_enabled", "expected"),
    [("development", None, True), ("test", None, True), ("production", None, False), ("production", True, True),
     ("production", False, False), ("development", False, False)],
)
def test_docs_default_on_outside_production_and_off_in_it(environment: str, docs_enabled: bool | None,
                                                          expected: bool) -> None:
    values = production(environment=environment, docs_enabled=docs_enabled)

    assert Settings(**values).docs_are_enabled is expected


# ------------------------------------------------------------------------------------------------ secrets


def secret_fields() -> list[str]:
    return [name for name, field in Settings.model_fields.items()
            if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("secret")]


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
