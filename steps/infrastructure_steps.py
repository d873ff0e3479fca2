"""User Story 1 (secure production infrastructure), FR-002 (Procfile), FR-006 (docs closed), SC-001."""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

from behave import given, then, when
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    has_entries,
    has_item,
    has_key,
    is_,
    less_than,
    less_than_or_equal_to,
    not_,
    starts_with,
)

from backend.local.checkout import service_environment
from backend.local.procfs import listening_addresses
from steps.support import checks, repository
from steps.support.http import json_body
from steps.support.local import web_process_pid
from steps.support.tasks import tasks_path

DEBUG_MARKERS = ("traceback", 'file "', "sqlalchemy", "asyncpg", "postgresql://", "exception", "line ")
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect")
DEPLOYMENT_BUDGET_SECONDS = 300  # SC-001: within 5 minutes of deployment


def neon_console_url() -> str:
    """What Neon's console hands out, with a password generated for this run (never a literal in the repo)."""
    return (f"postgresql://neondb_owner:{secrets.token_urlsafe(18)}@ep-{uuid4().hex[:10]}-pooler"
            ".eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require")


# ------------------------------------------------------------------------------------------------ US1.1


@when("the application starts")
def step_application_starts(context):
    context.response = context.suite.api.get("/health")
    checks.status_is(context.response, 200, "the started application must answer its health check")


@then("it binds to the dynamic `PORT` provided by the platform")
def step_binds_dynamic_port(context):
    suite = context.suite
    if suite.is_live:
        # Railway's edge routes only to the port the platform put in $PORT: an answer through it proves the bind.
        assert_that(str(context.response.url), starts_with(suite.config.base_url), "answered through the edge")
        suite.record.local_only_checks["@US1.1"] = "the exact sockets the process listens on (needs the host's /proc)"
        return
    rehearsal = suite.require_rehearsal()
    sockets = listening_addresses(web_process_pid(rehearsal))
    every_interface = "0.0.0.0"  # noqa: S104 - what the Procfile binds, so Railway's proxy can reach it
    assert_that(sockets, equal_to([(every_interface, rehearsal.port)]),
                f"the web process must listen on PORT={rehearsal.port} (all interfaces, as Railway needs) and "
                "nowhere else")


@then("correctly interprets the environment as `production`")
def step_interprets_production(context):
    checks.json_matches(context.response, has_entries(environment="production"),
                        "/health must report the environment the process runs as")
    schema = context.suite.api.get("/openapi.json")
    checks.status_is(schema, 404, "production must not publish its API schema")


@then("it shows no debug output: unknown routes and malformed bodies get short JSON errors")
def step_no_debug_output(context):
    suite = context.suite
    unknown = suite.api.get(f"/no-such-route-{uuid4().hex[:8]}")
    checks.status_is(unknown, 404)
    checks.json_matches(unknown, equal_to({"detail": "Not Found"}), "an unknown route gets the plain JSON 404")
    user = suite.mint.user()
    malformed = suite.api.request("POST", tasks_path(user.id), token=user.token, content=b'{"title": ',
                                  headers={"Content-Type": "application/json"})
    checks.status_is(malformed, 422, "a malformed body is the client's error, not a 500")
    checks.json_matches(malformed, has_key("detail"))
    for response in (unknown, malformed):
        checks.body_lacks(response, DEBUG_MARKERS, "error bodies must not carry debug output")
        checks.header_is(response, "content-type", starts_with("application/json"))


# ------------------------------------------------------------------------------------------------ US1.2


@given("a Neon PostgreSQL database")
def step_neon_database(context):
    context.neon_url = neon_console_url()
    if not context.suite.is_live:
        context.suite.record.notes.append(f"Neon stand-in: {context.suite.rehearsal.database_path}")


@when("the backend initializes")
def step_backend_initializes(context):
    from backend.database import create_engine
    from backend.settings import Settings

    with service_environment():
        settings = Settings(environment="production", database_url=context.neon_url,
                            better_auth_secret=secrets.token_urlsafe(48), cors_origins=context.suite.allowed_origin)
    context.settings = settings
    context.engine = create_engine(settings)  # lazy: no connection is opened to the made-up Neon host
    context.response = context.suite.api.get("/health")


@then("it establishes a connection using the `postgresql+asyncpg://` protocol with optimized connection pooling")
def step_asyncpg_with_pool(context):
    settings, engine = context.settings, context.engine
    pool = engine.sync_engine.pool
    assert_that(engine.url.drivername, equal_to("postgresql+asyncpg"), "Neon's console URL must become asyncpg's")
    assert_that(dict(engine.url.query), all_of(not_(has_key("sslmode")), not_(has_key("channel_binding"))),
                "asyncpg rejects libpq's sslmode/channel_binding as arguments: they must be translated or dropped")
    connect_args = settings.database.connect_args
    assert_that(connect_args, has_entries(ssl="require", statement_cache_size=0),
                "TLS kept for Neon; statement cache off behind Neon's -pooler (PgBouncer, transaction mode)")
    assert_that(pool.size(), all_of(greater_than(0), less_than_or_equal_to(20)), "pool_size: small and non-zero")
    assert_that(pool.size() + pool._max_overflow, equal_to(sum(settings.pool_limits)),
                "the pool may use the worker's whole share of the budget: a burst is served, never refused")
    assert_that(pool.size() + pool._max_overflow, less_than_or_equal_to(settings.database_max_connections),
                "the pool stays within the replica's DATABASE_MAX_CONNECTIONS budget (ADR 0002)")
    assert_that(pool._recycle, all_of(greater_than(0), less_than(300)),
                "connections recycled before Neon's 5-minute scale-to-zero")
    assert_that(pool._timeout, less_than_or_equal_to(10), "an outage gives a fast 503, not a 30 s hang")
    checks.status_is(context.response, 200, "the deployed backend reaches its database")
    checks.json_matches(context.response, has_entries(database="ok", database_latency_ms=checks.a_number()))
    if context.suite.is_live:
        context.suite.record.local_only_checks["@US1.2"] = "the pool the running process logged at start-up"
        context.suite.record.exercise("database_path", "unknown")  # /health does not reveal it (ADR 0009)
        return
    rehearsal = context.suite.require_rehearsal()
    log = rehearsal.log_path.read_text(errors="replace")
    started = re.search(r"starting: environment=production .*pgbouncer=(\w+) pool=(\d+)\+(\d+)", log)
    assert_that(started, not_(None), f"the web process logs its pool at start-up:\n{log[-800:]}")
    assert started is not None
    assert_that(started.group(1), equal_to(str(rehearsal.pgbouncer is not None)),
                f"PgBouncer transaction-mode compatibility must match the database path ({rehearsal.database_path})")
    # What ADR 0003 (confirmed-when: database_path=pgbouncer-transaction) needs this run to have gone through.
    context.suite.record.exercise("database_path", "pgbouncer-transaction" if rehearsal.pgbouncer else "direct")


@then("the service answers a burst of concurrent requests larger than its pool without an error")
def step_burst(context):
    settings = context.settings
    burst = settings.database_pool_size + settings.database_max_overflow + 2
    with ThreadPoolExecutor(max_workers=burst) as pool:
        responses = list(pool.map(lambda _: context.suite.api.get("/health"), range(burst)))
    statuses = [response.status_code for response in responses]
    assert_that(statuses, equal_to([200] * burst), f"{burst} concurrent /health checks, each a database round trip")


# ------------------------------------------------------------------------------------------------ US1.3


# os.getenv("BETTER_AUTH_SECRET", "<anything but empty/None>") or environ.setdefault(...): a hard-coded fallback.
SECRET_FALLBACK = re.compile(
    r"(getenv|environ\.get|environ\.setdefault)\(\s*['\"](BETTER_AUTH_SECRET|JWT_SECRET|DATABASE_\w*URL)['\"]\s*,"
    r"(?!\s*(\"\"|''|None\b))", re.I)


@when("sensitive configuration is required")
def step_sensitive_configuration(context):
    context.secret_settings, context.secret_defaults = repository.secret_settings_with_defaults()


@then("the system retrieves values (like `JWT_SECRET`) exclusively from environment variables with no hardcoded "
      "fallbacks allowed")
def step_secrets_from_environment(context):
    from pydantic import ValidationError

    from backend.settings import Settings, configuration_problems

    assert_that(context.secret_settings, all_of(has_item("BETTER_AUTH_SECRET"), has_item("DATABASE_URL")),
                "the settings that hold secrets are marked secret")
    assert_that(context.secret_defaults, empty(), "a secret setting has a default: that is a hard-coded fallback")
    fallbacks = [f"{path}:{number}" for path in sorted(repository.ROOT.glob("backend/**/*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1) if SECRET_FALLBACK.search(line)]
    assert_that(fallbacks, empty(), "os.getenv/environ.get with a default for a secret")

    with service_environment(ENVIRONMENT="production", CORS_ORIGINS=context.suite.allowed_origin):
        try:
            Settings()
            problems = []
        except ValidationError as error:
            problems = configuration_problems(error)
    named = " | ".join(problems)
    assert_that(named, all_of(contains_string("BETTER_AUTH_SECRET"), contains_string("DATABASE_URL")),
                "production without its secrets must refuse to configure, naming each")

    alias = secrets.token_urlsafe(48)
    with service_environment(ENVIRONMENT="production", DATABASE_URL=neon_console_url(), JWT_SECRET=alias,
                                        CORS_ORIGINS=context.suite.allowed_origin):
        assert_that(Settings().jwt_secret == alias, is_(True), "JWT_SECRET from the environment is the secret used")
    with service_environment(ENVIRONMENT="development"), repository.captured_log("backend.settings") as log:
        first, second = Settings().jwt_secret, Settings().jwt_secret
    assert_that(first == second, is_(False), "development without a secret must get a random one, never a fixed one")
    assert_that(" | ".join(log), contains_string("BETTER_AUTH_SECRET is not set"),
                "the service says it made up a secret (captured here: it is this check's, not the suite's, warning)")


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
    context.processes = repository.procfile_processes()


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
        matches_port_variable(),
        contains_string("--proxy-headers"),
        contains_string("--timeout-graceful-shutdown"),
    ), "the Procfile web line")
    assert_that(command, all_of(not_(contains_string("--reload")), not_(contains_string("--debug"))),
                "no development flags in production")


def matches_port_variable():
    from hamcrest import matches_regexp

    return matches_regexp(r"--port \$\{?PORT\b")


# ------------------------------------------------------------------------------------------------ FR-006


@when("the interactive documentation is requested")
def step_request_docs(context):
    context.responses = [context.suite.api.get(path) for path in DOCS_PATHS]


@then("`/docs`, `/redoc`, `/openapi.json` and `/docs/oauth2-redirect` each answer `404` without revealing the schema")
def step_docs_closed(context):
    for response in context.responses:
        checks.status_is(response, 404, "interactive docs must be closed in production (FR-006)")
        checks.body_lacks(response, ("swagger", "redoc", "openapi", "/api/{user_id}"), "the API schema leaked")


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
