"""Production configuration: every missing or unsafe variable named at once, in one fail-fast message (ADR 0005)."""

from __future__ import annotations

import random
import re
import secrets

import pytest

from backend.settings import Settings
from tests.backend.test_settings import problems_of, production

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
