"""Givens that name the target: a live Railway URL, or the local rehearsal standing in for it."""

from __future__ import annotations

from behave import given
from hamcrest import assert_that, equal_to, is_not, matches_regexp


@given("a production environment on Railway")
@given("a production deployment")
@given("the live Railway URL")
@given("the production endpoint")
def step_target(context):
    suite = context.suite
    assert_that(suite.config.base_url, matches_regexp(r"^https?://"), "the suite has no target URL")
    if not suite.is_live:  # the rehearsal is what Railway would run: production, a PORT chosen by the platform
        rehearsal = suite.require_rehearsal()
        environment = rehearsal.environment()
        assert_that(environment["ENVIRONMENT"], equal_to("production"), "the rehearsal must run production")
        assert_that(rehearsal.port, is_not(equal_to(8000)), "PORT must be the platform's, not the Procfile default")
