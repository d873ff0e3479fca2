"""Origins a browser could send, derived from the one the deployment must allow (FR-004, SC-003).

A CORS setup that reflects any origin, uses ``*``, matches by substring/prefix/suffix, or forgets the scheme
lets one of these through. Decision: history/adr/0006-cors-whitelist.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from hamcrest import assert_that, contains_string, equal_to, has_item, none, not_

from steps.support import checks
from steps.support.http import Api
from steps.support.tasks import tasks_path

FRONTEND_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
FRONTEND_HEADERS = ("authorization", "content-type")
PROBE_PATH = tasks_path("verify-cors-probe")  # a task route: without a token, its answer is an error (401)


@dataclass(frozen=True)
class CorsAnswers:
    denied: dict[str, tuple[httpx.Response, httpx.Response, httpx.Response]]  # what → (success, error, preflight)
    allowed_simple: httpx.Response
    allowed_error: httpx.Response  # a 401 the frontend must be able to read
    allowed_preflight: httpx.Response


def disallowed_origins(allowed: str) -> dict[str, str]:
    """What each origin tries → the origin."""
    host = urlsplit(allowed).hostname or "frontend.vercel.app"
    label, _, parent = host.partition(".")
    return {
        "another domain": "https://evil.example.com",
        "another Vercel app": f"https://evil-{label}-copy.{parent or 'vercel.app'}",
        "lookalike suffix": f"https://{host}.evil.com",
        "lookalike prefix": f"https://evil{host}",
        "plain http of the allowed host": f"http://{host}",
        "null (sandboxed iframe, file://)": "null",
    }


def cross_origin_answers(api: Api, allowed: str) -> CorsAnswers:
    """Each disallowed origin on a success, on an error and on a preflight; the allowed one on each too."""
    denied = {what: (api.get("/health", origin=origin), api.get(PROBE_PATH, origin=origin),
                     api.preflight(PROBE_PATH, origin, "POST", FRONTEND_HEADERS))
              for what, origin in disallowed_origins(allowed).items()}
    return CorsAnswers(denied, api.get("/health", origin=allowed), api.get(PROBE_PATH, origin=allowed),
                       api.preflight(PROBE_PATH, allowed, "DELETE", FRONTEND_HEADERS))


def edge_crossed(api: Api) -> str:
    """``tls`` when the answers came over https, through a TLS edge (Railway's live, HAProxy in the rehearsal):
    what ADR 0020 needs this run to have gone through; ``plain-http`` otherwise."""
    return "tls" if api.base_url.startswith("https://") else "plain-http"


def assert_denied(denied: dict[str, tuple[httpx.Response, httpx.Response, httpx.Response]]) -> None:
    """No grant to a disallowed origin. (Starlette adds Allow-Credentials to every simple response; without a
    matching Allow-Origin a browser grants nothing, so that header alone is not a finding.)"""
    for what, (*simple, preflight) in denied.items():
        for response in (*simple, preflight):
            checks.header_is(response, "access-control-allow-origin", none(), f"origin '{what}' must not be allowed")
        checks.not_success(preflight, f"the preflight from '{what}' must be refused")


def assert_allowed(answers: CorsAnswers, allowed: str) -> None:
    """The authorized origin echoed exactly (never '*'), with credentials and Vary: Origin, on success and error."""
    for response in (answers.allowed_simple, answers.allowed_error):
        checks.header_is(response, "access-control-allow-origin", equal_to(allowed),
                         "the authorized origin is echoed exactly (never '*')")
        checks.header_is(response, "access-control-allow-credentials", equal_to("true"))
        checks.header_is(response, "vary", contains_string("Origin"), "caches must key on Origin")
    checks.status_is(answers.allowed_error, 401, "no token: 401, readable by the frontend")


def assert_preflight_allowed(response: httpx.Response, allowed: str) -> None:
    """The frontend's preflight succeeds and allows its methods and headers, with no wildcard."""
    checks.status_is(response, 200, "the frontend's preflight must succeed")
    checks.header_is(response, "access-control-allow-origin", equal_to(allowed))
    methods = {item.strip().upper() for item in response.headers.get("access-control-allow-methods", "").split(",")}
    headers = {item.strip().lower() for item in response.headers.get("access-control-allow-headers", "").split(",")}
    for method in FRONTEND_METHODS:
        assert_that(methods, has_item(method), f"method {method} the frontend uses")
    for header in FRONTEND_HEADERS:
        assert_that(headers, has_item(header), f"header {header} the frontend sends")
    assert_that(methods | headers, not_(has_item("*")), "no wildcard methods or headers with credentials")
