"""FR-007 and SC-004: the suite itself runs against a live URL, safely and within a minute."""

from __future__ import annotations

import secrets

from behave import given, then
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    is_not,
    less_than,
    none,
)

from steps.support.config import SuiteConfig, SuiteConfigError, skip_reason

EXAMPLE_URL = "https://tasks-api-production.up.railway.app"
LIVE_BUDGET_SECONDS = 60  # SC-004
MINIMUM_LIVE_SAFE_SCENARIOS = 8


@given("the suite is given only a `BASE_URL`")
def step_only_base_url(context):
    try:
        SuiteConfig.from_sources({"BASE_URL": EXAMPLE_URL}, {})
        context.config_error = None
    except SuiteConfigError as error:
        context.config_error = str(error)


@then("it refuses to start, naming `BETTER_AUTH_SECRET` and `ALLOWED_ORIGIN`")
def step_refuses(context):
    assert_that(context.config_error, all_of(contains_string("BETTER_AUTH_SECRET"), contains_string("ALLOWED_ORIGIN")),
                "live mode without its secret and origin must stop before any request, naming both")


@given("the suite is given a `BASE_URL`, `BETTER_AUTH_SECRET` and `ALLOWED_ORIGIN`")
def step_full_live_config(context):
    environment = {"BASE_URL": EXAMPLE_URL + "/", "BETTER_AUTH_SECRET": secrets.token_urlsafe(48),
                   "ALLOWED_ORIGIN": "https://tasks-frontend.vercel.app/"}
    context.live_config = SuiteConfig.from_sources(environment, {})
    context.overridden = SuiteConfig.from_sources(environment, {"base_url": "https://other.up.railway.app"})


@then("it targets that URL in live mode and skips `@local` scenarios with a recorded reason")
def step_targets_live(context):
    live = context.live_config
    assert_that((live.mode, live.base_url, live.allowed_origin),
                equal_to(("live", EXAMPLE_URL, "https://tasks-frontend.vercel.app")), "live configuration")
    assert_that(context.overridden.base_url, equal_to("https://other.up.railway.app"), "-D base_url wins")
    assert_that(repr(live), all_of(contains_string(EXAMPLE_URL), is_not(contains_string(live.secret))),
                "no secret in repr")
    assert_that(skip_reason({"local", "EC1"}, live), contains_string("not run against a live URL"))
    assert_that(skip_reason({"US2.1"}, live), none(), "live-safe scenarios run against a live URL")
    local = SuiteConfig.from_sources({}, {})
    assert_that(skip_reason({"local"}, local), none(), "local mode runs @local scenarios")


@then("this run reached its target over the network, reusing its connections")
def step_reached_target(context):
    api, config = context.suite.api, context.suite.config
    assert_that(api.base_url, equal_to(config.base_url), "every request goes to the configured target")
    assert_that(api.connections, greater_than_or_equal_to(1), "TCP connections opened (a real network client)")
    assert_that(api.requests, greater_than(api.connections * 2),
                f"{api.requests} requests over {api.connections} connections: keep-alive must be reused")


@given("the live-safe scenarios of this run have finished")
def step_live_safe_finished(context):
    record = context.suite.record
    assert_that(len(record.live_safe()), greater_than_or_equal_to(MINIMUM_LIVE_SAFE_SCENARIOS),
                "SC-004 measures the whole live-safe set: run the whole suite")


@then("they took less than 60 seconds together")
def step_under_a_minute(context):
    seconds = sum(item.seconds for item in context.suite.record.live_safe())
    assert_that(seconds, less_than(LIVE_BUDGET_SECONDS), "seconds spent in the live-safe scenarios (SC-004)")
