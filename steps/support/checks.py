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
    any_of,
    assert_that,
    equal_to,
    greater_than_or_equal_to,
    instance_of,
    is_in,
    less_than,
    none,
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


def header_absent(response: httpx.Response, name: str, why: str = "") -> None:
    assert_that(response.headers.get(name), none(), _reason(why or f"header {name} must be absent", response))


def json_matches(response: httpx.Response, matcher: Matcher[Any], why: str = "") -> Any:
    body = json_body(response)
    assert_that(body, matcher, _reason(why or "unexpected body", response))
    return body


def body_lacks(response: httpx.Response, needles: Collection[str], why: str) -> None:
    """None of ``needles`` (case-insensitive) in the body: stack traces, DSNs, server internals."""
    text = response.text.lower()
    found = [needle for needle in needles if needle.lower() in text]
    assert_that(found, equal_to([]), _reason(why, response))


def not_success(response: httpx.Response, why: str) -> None:
    assert_that(response.status_code, any_of(less_than(200), greater_than_or_equal_to(300)), _reason(why, response))


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
