"""Assertions on responses, with pyhamcrest, whose failure messages show what was expected and what came back.

Every helper passes ``describe(response)`` as the reason, so a failure reads: the request, the status, the headers
that matter and a body excerpt (secrets and tokens redacted) followed by hamcrest's Expected/but.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

import httpx
from hamcrest import (
    all_of,
    any_of,
    assert_that,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    has_key,
    instance_of,
    is_in,
    is_not,
    less_than,
    none,
    starts_with,
)
from hamcrest.core.matcher import Matcher

from steps.support.http import Api, describe, json_body


def a_number() -> Matcher[Any]:
    return any_of(instance_of(float), instance_of(int))


def status_is(response: httpx.Response, expected: int | Collection[int], why: str = "") -> None:
    matcher = is_in(sorted(expected)) if isinstance(expected, Collection) else equal_to(expected)
    assert_that(response.status_code, matcher, _reason(why or "unexpected status", response))


def header_is(response: httpx.Response, name: str, matcher: Matcher[Any], why: str = "") -> None:
    assert_that(response.headers.get(name), matcher, _reason(why or f"header {name}", response))


def json_matches(response: httpx.Response, matcher: Matcher[Any], why: str = "") -> Any:
    body = json_body(response)
    assert_that(body, matcher, _reason(why or "unexpected body", response))
    return body


def body_lacks(response: httpx.Response, needles: Collection[str], why: str) -> None:
    """None of ``needles`` (case-insensitive) in the body: stack traces, DSNs, server internals."""
    text = response.text.lower()
    found = [needle for needle in needles if needle.lower() in text]
    assert_that(found, equal_to([]), _reason(why, response))


def short_json_error(response: httpx.Response, status: int, leaks: Collection[str], why: str) -> None:
    """``status`` with a JSON ``{"detail": …}`` and nothing of ``leaks`` (debug output, internals) in the body."""
    status_is(response, status, why)
    json_matches(response, has_key("detail"), why)
    body_lacks(response, leaks, f"{why}: error bodies must not carry debug output")
    header_is(response, "content-type", starts_with("application/json"), f"{why}: a JSON error")


def not_success(response: httpx.Response, why: str) -> None:
    assert_that(response.status_code, any_of(less_than(200), greater_than_or_equal_to(300)), _reason(why, response))


def health_ok(response: httpx.Response, why: str) -> None:
    """200 with the database round trip's result."""
    status_is(response, 200, why)
    json_matches(response, has_entries(status="ok", database="ok",
                                       database_latency_ms=all_of(a_number(), greater_than_or_equal_to(0))), why)


def health_unavailable(response: httpx.Response, within_seconds: float, why: str) -> None:
    """503 saying the database is unreachable, answered within its bound (not a hang)."""
    status_is(response, 503, why)
    json_matches(response, has_entries(status="unavailable", database="unreachable"), why)
    assert_that(response.elapsed.total_seconds(), less_than(within_seconds),
                "/health must answer within its bound while the database is down")


def fast_503(response: httpx.Response, within_seconds: float, why: str) -> None:
    """503 ``database unavailable`` with Retry-After, answered within ``within_seconds``."""
    status_is(response, 503, why)
    json_matches(response, equal_to({"detail": "database unavailable"}), why)
    header_is(response, "retry-after", is_not(none()), "503 tells clients when to retry")
    assert_that(response.elapsed.total_seconds(), less_than(within_seconds), f"{why}: seconds to the 503")


def wait_for_health(api: Api, timeout: float) -> httpx.Response:
    """Poll /health until 200; the last answer is in the failure message otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get("/health")
        if response.status_code == 200 or time.monotonic() > deadline:
            status_is(response, 200, f"/health must recover within {timeout:.0f}s of the database's return")
            return response
        time.sleep(0.2)


def _reason(why: str, response: httpx.Response) -> str:
    return f"{why}\n{describe(response)}\n"
