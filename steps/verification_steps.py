"""User Story 2: deep health, CORS and JWT/user isolation against the target (live URL or rehearsal)."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import (
    assert_that,
    contains_string,
    equal_to,
    has_item,
    is_not,
    not_,
    only_contains,
)

from steps.support import checks, cors
from steps.support.http import describe, json_body
from steps.support.local import health_during_outage
from steps.support.probes import delete_every_task
from steps.support.tasks import attempts_on, create_task, read_task, tasks_path

HEALTH_KEYS = ("status", "database", "environment", "version", "database_latency_ms")
HEALTH_LEAKS = ("postgres", "neon.tech", "asyncpg", "password", "traceback", "sqlalchemy", "pgbouncer", "@")
OUTAGE_ANSWER_SECONDS = 4.0  # health_timeout (2 s) plus margin: "unreachable" must come fast, not hang
RECOVERY_SECONDS = 15.0


# ------------------------------------------------------------------------------------------------ US2.1


@when("a deep-health check is requested at `/health`")
def step_request_health(context):
    context.response = context.suite.api.get("/health")
    context.suite.record.health_latency_ms = round(context.response.elapsed.total_seconds() * 1000, 2)


@then("the system returns a `200 OK` status only if the Neon database connection is active and responsive")
def step_health_only_if_database(context):
    suite = context.suite
    checks.health_ok(context.response, "the database is up: /health must answer 200 with the round trip's result")
    if suite.is_live:
        suite.record.local_only_checks["@US2.1"] = "503 while the database is stopped (@EC1 and local mode do it)"
        return
    down = health_during_outage(suite.require_rehearsal(), suite.api)
    checks.health_unavailable(down, OUTAGE_ANSWER_SECONDS, "the database is stopped: a deep health check cannot "
                                                           "answer 200")
    checks.wait_for_health(suite.api, RECOVERY_SECONDS)


@then("the body proves the database round trip and reveals nothing an attacker could use")
def step_health_body(context):
    response = context.response
    body = json_body(response)
    assert_that(sorted(body), only_contains(*HEALTH_KEYS), "/health body: status and timing only")
    checks.body_lacks(response, HEALTH_LEAKS, "/health must not reveal hosts, drivers or errors")
    checks.header_is(response, "cache-control", contains_string("no-store"), "no proxy may cache a health answer")
    head = context.suite.api.request("HEAD", "/health")
    checks.status_is(head, 200, "HEAD /health: what uptime monitors send")


# ------------------------------------------------------------------------------------------------ US2.2


@when("a request is made from a non-Vercel domain")
def step_cross_origin_requests(context):
    context.cors = cors.cross_origin_answers(context.suite.api, context.suite.allowed_origin)
    context.suite.record.exercise("edge", cors.edge_crossed(context.suite.api))  # ADR 0020's confirmed-when


@then("CORS headers strictly deny access, while allowing requests from the authorized Vercel production URL")
def step_cors_strict(context):
    cors.assert_denied(context.cors.denied)
    cors.assert_allowed(context.cors, context.suite.allowed_origin)


@then("the authorized origin's preflight allows the methods and headers the frontend sends")
def step_cors_preflight(context):
    cors.assert_preflight_allowed(context.cors.allowed_preflight, context.suite.allowed_origin)


# ------------------------------------------------------------------------------------------------ US2.3


@given("a valid JWT token from another user")
def step_two_users(context):
    suite = context.suite
    context.owner, context.other = suite.mint.user(), suite.mint.user()
    context.task = create_task(suite.api, context.owner, context)


@when("attempting to access private tasks")
def step_other_user_attempts(context):
    api, owner, other, task_id = context.suite.api, context.owner, context.other, context.task["id"]
    context.add_cleanup(delete_every_task, api, owner)  # a create into the owner's path that wrongly succeeded
    # Through the owner's path (the token is not the owner's): the contract says 403.
    context.foreign_path = {
        "create": api.request("POST", tasks_path(owner.id), token=other.token, json_body={"title": "planted"}),
        "list": api.get(tasks_path(owner.id), token=other.token), **attempts_on(api, owner.id, task_id, other)}
    # Through the attacker's own path with the owner's task id: the contract says 404, as if it did not exist.
    context.own_path = attempts_on(api, other.id, task_id, other)
    context.other_list = api.get(tasks_path(other.id), token=other.token)


@then("the production system strictly enforces user isolation")
def step_isolation(context):
    for action, response in {**context.foreign_path, **context.own_path}.items():
        checks.not_success(response, f"another user's '{action}' of a private task must not succeed")
    checks.status_is(context.other_list, 200)
    ids = [task["id"] for task in json_body(context.other_list)]
    assert_that(ids, not_(has_item(context.task["id"])),
                f"another user's list must not contain the owner's task\n{describe(context.other_list)}")


@then("returns unauthorized/not-found")
def step_unauthorized_or_not_found(context):
    for action, response in context.foreign_path.items():
        checks.status_is(response, 403, f"'{action}' on someone else's path: 403 (contract)")
    for action, response in context.own_path.items():
        checks.status_is(response, 404, f"'{action}' of someone else's task id: 404, never revealing it exists")


@then("the owner's task is unchanged when its owner reads it back")
def step_unchanged(context):
    after = read_task(context.suite.api, context.owner, context.task["id"])
    assert_that(after, equal_to(context.task), "the owner's task after the other user's attempts")


@then("a token that is missing, garbage, wrongly signed, unsigned (`alg: none`), expired (even by only twice the "
      "largest leeway), without expiry or without subject gets `401`")
def step_bad_tokens(context):
    suite, owner = context.suite, context.owner
    for kind, token in suite.mint.bad_tokens(owner.id).items():
        response = suite.api.get(tasks_path(owner.id), token=token)
        checks.status_is(response, 401, f"{kind}: must be refused")
        checks.header_is(response, "www-authenticate", is_not(None), f"{kind}: 401 names the Bearer scheme")
