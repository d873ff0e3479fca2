"""User Story 1 (secure production infrastructure), FR-002 (Procfile), FR-006 (docs closed), SC-001."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

from behave import given, then, when
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    has_entries,
    less_than,
    matches_regexp,
    not_,
    starts_with,
)

from backend.local.checkout import procfile
from backend.local.procfs import listening_addresses
from steps.support import checks, configuration, probes
from steps.support.http import json_body
from steps.support.local import web_process_pid
from steps.support.tasks import tasks_path

DEBUG_MARKERS = ("traceback", 'file "', "sqlalchemy", "asyncpg", "postgresql://", "exception", "line ")
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what the Procfile binds, so Railway's proxy can reach it
DEPLOYMENT_BUDGET_SECONDS = 300  # SC-001: within 5 minutes of deployment


# ------------------------------------------------------------------------------------------------ US1.1


@when("the application starts")
def step_application_starts(context):
    context.response = context.suite.api.get("/health")
    checks.status_is(context.response, 200, "the started application must answer its health check")


@then("it binds to the dynamic `PORT` provided by the platform")
def step_binds_dynamic_port(context):
    suite = context.suite
    if suite.is_live:  # Railway's edge routes only to the port the platform put in $PORT: an answer proves the bind
        assert_that(str(context.response.url), starts_with(suite.config.base_url), "answered through the edge")
        suite.record.local_only_checks["@US1.1"] = "the exact sockets the process listens on (needs the host's /proc)"
        return
    rehearsal = suite.require_rehearsal()
    assert_that(listening_addresses(web_process_pid(rehearsal)), equal_to([(EVERY_INTERFACE, rehearsal.port)]),
                f"the web process must listen on PORT={rehearsal.port} (all interfaces, as Railway needs), "
                "and nowhere else")


@then("correctly interprets the environment as `production`")
def step_interprets_production(context):
    checks.json_matches(context.response, has_entries(environment="production"),
                        "/health must report the environment the process runs as")
    schema = context.suite.api.get("/openapi.json")
    checks.status_is(schema, 404, "production must not publish its API schema")


@then("it shows no debug output: unknown routes and malformed bodies get short JSON errors")
def step_no_debug_output(context):
    suite, user = context.suite, context.suite.mint.user()
    unknown = suite.api.get(f"/no-such-route-{uuid4().hex[:8]}")
    checks.json_matches(unknown, equal_to({"detail": "Not Found"}), "an unknown route gets the plain JSON 404")
    malformed = suite.api.request("POST", tasks_path(user.id), token=user.token, content=b'{"title": ',
                                  headers={"Content-Type": "application/json"})
    checks.short_json_error(unknown, 404, DEBUG_MARKERS, "an unknown route")
    checks.short_json_error(malformed, 422, DEBUG_MARKERS, "a malformed body is the client's error, not a 500")


# ------------------------------------------------------------------------------------------------ US1.2


@given("a Neon PostgreSQL database")
def step_neon_database(context):
    context.neon_url = configuration.neon_console_url()
    if not context.suite.is_live:
        context.suite.record.notes.append(f"Neon stand-in: {context.suite.rehearsal.database_path}")


@when("the backend initializes")
def step_backend_initializes(context):
    from backend.database import create_engine

    context.settings = configuration.production_settings(context.neon_url, context.suite.allowed_origin)
    context.engine = create_engine(context.settings)  # lazy: no connection is opened to the made-up Neon host
    context.response = context.suite.api.get("/health")


@then("it establishes a connection using the `postgresql+asyncpg://` protocol with optimized connection pooling")
def step_asyncpg_with_pool(context):
    configuration.assert_reaches_neon_with_tuned_pool(context.suite, context.settings, context.engine,
                                                     context.response)


@then("the service answers a burst of concurrent requests larger than its pool without an error")
def step_burst(context):
    settings = context.settings
    burst = settings.database_pool_size + settings.database_max_overflow + 2
    with ThreadPoolExecutor(max_workers=burst) as pool:
        responses = list(pool.map(lambda _: context.suite.api.get("/health"), range(burst)))
    statuses = [response.status_code for response in responses]
    assert_that(statuses, equal_to([200] * burst), f"{burst} concurrent /health checks, each a database round trip")


# ------------------------------------------------------------------------------------------------ US1.3


@when("sensitive configuration is required")
def step_sensitive_configuration(context):
    context.secret_settings, context.secret_defaults = configuration.secret_settings_with_defaults()


@then("the system retrieves values (like `JWT_SECRET`) exclusively from environment variables with no hardcoded "
      "fallbacks allowed")
def step_secrets_from_environment(context):
    configuration.assert_secrets_only_from_environment(context.secret_settings, context.secret_defaults,
                                                       context.suite.allowed_origin)


@then("the service trusts tokens signed with the secret from its environment, and no other key")
def step_trusts_environment_secret(context):
    suite = context.suite
    user = suite.mint.user()
    mine = suite.api.get(tasks_path(user.id), token=user.token)
    checks.status_is(mine, 200, "a token signed with the deployment's BETTER_AUTH_SECRET must be accepted")
    checks.json_matches(mine, equal_to([]), "a throwaway user owns no task")
    other = suite.api.get(tasks_path(user.id), token=suite.mint.wrong_signature(user.id))
    checks.status_is(other, 401, "a token signed with any other key must be refused")


# ------------------------------------------------------------------------------------------------ FR-002


@given("the repository's root `Procfile`")
def step_procfile(context):
    context.processes = procfile()


@then("it declares exactly one `web` process")
def step_one_web_process(context):
    assert_that(sorted(context.processes), equal_to(["web"]), "Railway runs the Procfile's web process")


@then("the web process execs uvicorn on `0.0.0.0:$PORT`, trusting the proxy's headers, with a graceful-shutdown "
      "timeout")
def step_web_command(context):
    command = context.processes["web"]
    assert_that(command, all_of(
        starts_with("exec uvicorn "),  # exec: SIGTERM reaches uvicorn, not a shell
        contains_string("--host 0.0.0.0"),
        matches_regexp(r"--port \$\{?PORT\b"),
        contains_string("--proxy-headers"),
        contains_string("--timeout-graceful-shutdown"),
    ), "the Procfile web line")
    assert_that(command, all_of(not_(contains_string("--reload")), not_(contains_string("--debug"))),
                "no development flags in production")


# ------------------------------------------------------------------------------------------------ FR-006


@when("the interactive documentation is requested")
def step_request_docs(context):
    context.responses = [context.suite.api.get(f"/{document}") for document in probes.DOCS_DOCUMENTS]


@then("`/docs`, `/redoc`, `/openapi.json` and `/docs/oauth2-redirect` each answer `404` without revealing the schema")
def step_docs_closed(context):
    for response in context.responses:
        checks.status_is(response, 404, "interactive docs must be closed in production (FR-006)")
        checks.body_lacks(response, probes.SCHEMA_MARKERS, "the API schema leaked")


# ------------------------------------------------------------------------------------------------ SC-001


@when("the health check is requested as Railway's healthcheck requests it")
def step_railway_healthcheck(context):
    suite = context.suite
    # Railway's healthcheck calls from host healthcheck.railway.app; through the public edge the Host must stay.
    headers = {} if suite.is_live else {"Host": "healthcheck.railway.app"}
    context.response = suite.api.request("GET", "/health", headers=headers)


@then("it answers `200` within the 5-minute deployment budget")
def step_within_budget(context):
    suite = context.suite
    checks.status_is(context.response, 200, "Railway routes traffic only after /health answers 200")
    if suite.is_live:
        suite.record.local_only_checks["@SC-001"] = "seconds from process start to the first 200 (needs the process)"
        return
    ready = suite.require_rehearsal().ready_after_seconds
    assert_that(ready, less_than(DEPLOYMENT_BUDGET_SECONDS), "seconds from process start to /health 200")
    json_body(context.response)
