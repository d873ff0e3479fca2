"""User Story 2: deep health, CORS and JWT/user isolation against the target (live URL or rehearsal)."""

from __future__ import annotations

from behave import given, then, when
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    greater_than_or_equal_to,
    has_entries,
    has_item,
    is_not,
    less_than,
    not_,
    only_contains,
)

from steps.support import checks
from steps.support.cors import FRONTEND_HEADERS, FRONTEND_METHODS, disallowed_origins
from steps.support.http import describe, json_body
from steps.support.probes import delete_every_task
from steps.support.tasks import create_task, read_task, tasks_path

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
    checks.status_is(context.response, 200, "the database is up: /health must answer 200")
    checks.json_matches(context.response, has_entries(status="ok", database="ok",
                                                      database_latency_ms=all_of(checks.a_number(),
                                                                                 greater_than_or_equal_to(0))),
                        "200 must come with the database round trip's result")
    if suite.is_live:
        suite.record.local_only_checks["@US2.1"] = "503 while the database is stopped (@EC1 and local mode do it)"
        return
    rehearsal = suite.require_rehearsal()
    rehearsal.stop_database()
    try:
        down = suite.api.get("/health")
        checks.status_is(down, 503, "the database is stopped: a deep health check cannot answer 200")
        checks.json_matches(down, has_entries(status="unavailable", database="unreachable"))
        assert_that(down.elapsed.total_seconds(), less_than(OUTAGE_ANSWER_SECONDS),
                    "/health must answer within its bound while the database is down")
    finally:
        rehearsal.start_database()
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
    api, allowed = context.suite.api, context.suite.allowed_origin
    # Over https: through a TLS edge (Railway's live, HAProxy in the rehearsal), what ADR 0020 needs exercised.
    context.suite.record.exercise("edge", "tls" if api.base_url.startswith("https://") else "plain-http")
    probe_path = tasks_path("verify-cors-probe")
    # Each denied origin on a success, on an error (the 401 of a task route) and on a preflight.
    context.denied = {
        what: (api.get("/health", origin=origin), api.get(probe_path, origin=origin),
               api.preflight(probe_path, origin, "POST", FRONTEND_HEADERS))
        for what, origin in disallowed_origins(allowed).items()
    }
    context.allowed_simple = api.get("/health", origin=allowed)
    context.allowed_error = api.get(probe_path, origin=allowed)  # a 401 the frontend must be able to read
    context.allowed_preflight = api.preflight(probe_path, allowed, "DELETE", FRONTEND_HEADERS)


@then("CORS headers strictly deny access, while allowing requests from the authorized Vercel production URL")
def step_cors_strict(context):
    allowed = context.suite.allowed_origin
    for what, (*simple, preflight) in context.denied.items():
        for response in (*simple, preflight):
            # The header that grants access. (Starlette adds Allow-Credentials to every simple response; without a
            # matching Allow-Origin a browser grants nothing, so that header alone is not a finding.)
            checks.header_absent(response, "access-control-allow-origin", f"origin '{what}' must not be allowed")
        checks.not_success(preflight, f"the preflight from '{what}' must be refused")
    for response in (context.allowed_simple, context.allowed_error):
        checks.header_is(response, "access-control-allow-origin", equal_to(allowed),
                         "the authorized origin is echoed exactly (never '*')")
        checks.header_is(response, "access-control-allow-credentials", equal_to("true"))
        checks.header_is(response, "vary", contains_string("Origin"), "caches must key on Origin")
    checks.status_is(context.allowed_error, 401, "no token: 401, readable by the frontend")


@then("the authorized origin's preflight allows the methods and headers the frontend sends")
def step_cors_preflight(context):
    response = context.allowed_preflight
    allowed = context.suite.allowed_origin
    checks.status_is(response, 200, "the frontend's preflight must succeed")
    checks.header_is(response, "access-control-allow-origin", equal_to(allowed))
    methods = {item.strip().upper() for item in response.headers.get("access-control-allow-methods", "").split(",")}
    headers = {item.strip().lower() for item in response.headers.get("access-control-allow-headers", "").split(",")}
    for method in FRONTEND_METHODS:
        assert_that(methods, has_item(method), f"method {method} the frontend uses")
    for header in FRONTEND_HEADERS:
        assert_that(headers, has_item(header), f"header {header} the frontend sends")
    assert_that(methods | headers, not_(has_item("*")), "no wildcard methods or headers with credentials")


# ------------------------------------------------------------------------------------------------ US2.3


@given("a valid JWT token from another user")
def step_two_users(context):
    suite = context.suite
    context.owner, context.other = suite.mint.user(), suite.mint.user()
    context.task = create_task(suite.api, context.owner, context)


@when("attempting to access private tasks")
def step_other_user_attempts(context):
    api, owner, other, task_id = context.suite.api, context.owner, context.other, context.task["id"]
    body = {"title": "taken over", "description": None, "completed": True}
    # Through the owner's path (the token is not the owner's): the contract says 403.
    context.add_cleanup(delete_every_task, api, owner)  # a create into the owner's path that wrongly succeeded
    context.foreign_path = {
        "create": api.request("POST", tasks_path(owner.id), token=other.token, json_body={"title": "planted"}),
        "list": api.get(tasks_path(owner.id), token=other.token),
        "read": api.get(tasks_path(owner.id, task_id), token=other.token),
        "update": api.request("PUT", tasks_path(owner.id, task_id), token=other.token, json_body=body),
        "complete": api.request("PATCH", tasks_path(owner.id, task_id, "complete"), token=other.token),
        "delete": api.request("DELETE", tasks_path(owner.id, task_id), token=other.token),
    }
    # Through the attacker's own path with the owner's task id: the contract says 404, as if it did not exist.
    context.own_path = {
        "read": api.get(tasks_path(other.id, task_id), token=other.token),
        "update": api.request("PUT", tasks_path(other.id, task_id), token=other.token, json_body=body),
        "complete": api.request("PATCH", tasks_path(other.id, task_id, "complete"), token=other.token),
        "delete": api.request("DELETE", tasks_path(other.id, task_id), token=other.token),
    }
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
