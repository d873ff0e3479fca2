"""Edge cases (@local): database dropout, missing production secret, port collision and SIGTERM."""

from __future__ import annotations

import time

from behave import given, then, when
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    has_entries,
    is_,
    is_in,
    less_than,
    none,
    not_,
)

from backend.local.postgres import free_port
from backend.settings import Settings
from steps.support import checks
from steps.support.local import port_is_free, run_web_until_exit, sigterm_a_second_instance, web_process_pid
from steps.support.tasks import create_task, outage_attempts, tasks_path

# Worst case by design (ADR 0002): behind PgBouncer the first statement after the database vanished waits out
# DATABASE_COMMAND_TIMEOUT, then SQLAlchemy spends up to 2 s closing the dead connection; 1 s margin. A hang
# (no statement bound) is PgBouncer's query_wait_timeout: 120 s.
SQLALCHEMY_GRACEFUL_CLOSE_SECONDS = 2.0
FAST_503_SECONDS = Settings.model_fields["database_command_timeout"].default + SQLALCHEMY_GRACEFUL_CLOSE_SECONDS + 1.0
START_FAILURE_SECONDS = 10.0
SECRET_VARIABLES = ("BETTER_AUTH_SECRET", "JWT_SECRET")
GRACEFUL_EXIT_CODES = (0, 143, -15)  # uvicorn re-raises the SIGTERM it handled once shutdown has completed


def _log_path(context, name: str):
    folder = context.suite.reports / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


# ------------------------------------------------------------------------------------------------ EC1


@given("the service is running with its database up")
def step_running_with_database(context):
    suite = context.suite
    rehearsal = suite.require_rehearsal()
    context.web_pid = web_process_pid(rehearsal)
    checks.status_is(suite.api.get("/health"), 200, "the database is up before the dropout")
    context.owner = suite.mint.user()
    context.task = create_task(suite.api, context.owner, context)


@when("the database connection drops out")
def step_database_drops(context):
    rehearsal = context.suite.require_rehearsal()
    rehearsal.stop_database()
    context.database_down = True

    def restart_if_still_down():
        if context.database_down:
            rehearsal.start_database()
            checks.wait_for_health(context.suite.api, 15)

    context.add_cleanup(restart_if_still_down)  # runs before the task cleanup registered earlier (LIFO)


@then("task requests get a fast `503` saying the database is unavailable")
def step_fast_503(context):
    for action, response in outage_attempts(context.suite.api, context.owner, context.task["id"]).items():
        checks.fast_503(response, FAST_503_SECONDS, f"'{action}' while the database is down: 503, not 500, not a hang")


@then("`/health` answers `503` with the database reported unreachable")
def step_health_503(context):
    response = context.suite.api.get("/health")
    checks.status_is(response, 503, "deep health with the database down")
    checks.json_matches(response, has_entries(status="unavailable", database="unreachable"))


@then("the service process is still the same one, still running")
def step_same_process(context):
    rehearsal = context.suite.require_rehearsal()
    assert_that(rehearsal.process.poll(), none(), "the web process must not crash when the database drops")
    assert_that(web_process_pid(rehearsal), equal_to(context.web_pid), "no restart: the same web process")


@when("the database is back")
def step_database_back(context):
    context.suite.require_rehearsal().start_database()
    context.database_down = False
    context.back_at = time.monotonic()


@then("`/health` and the task routes answer `200` again within seconds, without a restart")
def step_recovered(context):
    suite = context.suite
    checks.wait_for_health(suite.api, 15)
    context.suite.record.notes.append(f"@EC1: /health 200 {time.monotonic() - context.back_at:.2f}s after the "
                                      "database came back")
    read = suite.api.get(tasks_path(context.owner.id, context.task["id"]), token=context.owner.token)
    checks.status_is(read, 200, "the task created before the dropout is served again")
    checks.json_matches(read, equal_to(context.task), "and it is unchanged")
    listed = suite.api.get(tasks_path(context.owner.id), token=context.owner.token)
    checks.json_matches(listed, equal_to([context.task]), "nothing was written during the outage")
    step_same_process(context)


# ------------------------------------------------------------------------------------------------ EC2, EC3


@given("a production environment on Railway without `BETTER_AUTH_SECRET`")
def step_without_secret(context):
    context.suite.require_rehearsal()
    context.launch = {"port": free_port(), "without": SECRET_VARIABLES, "log": "missing-secret.log"}


@given("the platform assigns a `PORT` that is already taken")
def step_port_taken(context):
    rehearsal = context.suite.require_rehearsal()
    context.web_pid = web_process_pid(rehearsal)  # the rehearsal itself holds the port
    context.launch = {"port": rehearsal.port, "without": (), "log": "port-taken.log"}


@when("the Procfile's web process starts")
def step_web_starts(context):
    launch = context.launch
    context.outcome = run_web_until_exit(context.suite.require_rehearsal(), launch["port"],
                                         _log_path(context, launch["log"]), without=launch["without"])


@then("it exits non-zero within seconds")
def step_exits_non_zero(context):
    outcome = context.outcome
    assert_that(outcome.exited, is_(True), f"the process must exit by itself, not keep running:\n{outcome.log[-1500:]}")
    assert_that(outcome.exit_code, all_of(not_(none()), not_(equal_to(0))), f"exit code\n{outcome.log[-1500:]}")
    assert_that(outcome.seconds, less_than(START_FAILURE_SECONDS), "seconds until it gave up")


@then("its log names `BETTER_AUTH_SECRET` in one clear message, without a traceback")
def step_log_names_secret(context):
    log = context.outcome.log
    assert_that(log, contains_string("BETTER_AUTH_SECRET"), "the log must name the missing variable")
    assert_that(log, not_(contains_string("Traceback")), f"a clear message, not a traceback wall:\n{log[-1500:]}")


@then("it never bound its port")
def step_never_bound(context):
    assert_that(context.outcome.log, not_(contains_string("Uvicorn running on")), "it must fail before binding")
    assert_that(port_is_free(context.launch["port"]), is_(True), "the port is free after the failed start")


@then("its log says the address is already in use")
def step_log_address_in_use(context):
    assert_that(context.outcome.log, contains_string("address already in use"),
                f"the reason for the exit:\n{context.outcome.log[-1500:]}")


@then("the service already on that port keeps answering")
def step_service_keeps_answering(context):
    checks.status_is(context.suite.api.get("/health"), 200, "the running service is unaffected")
    assert_that(web_process_pid(context.suite.require_rehearsal()), equal_to(context.web_pid))


@then("a running instance sent SIGTERM shuts down gracefully, closing its database connections")
def step_sigterm(context):
    outcome = sigterm_a_second_instance(context.suite.require_rehearsal(), _log_path(context, "sigterm.log"))
    assert_that(outcome.exit_code, is_in(GRACEFUL_EXIT_CODES), f"exit after SIGTERM\n{outcome.log[-1500:]}")
    for line in ("Shutting down", "Application shutdown complete", "database connections closed"):
        assert_that(outcome.log, contains_string(line), f"graceful shutdown: '{line}' in the log")
    assert_that(outcome.log, not_(contains_string("Traceback")), "a clean shutdown")
    context.suite.record.notes.append(f"@EC3: SIGTERM → exit {outcome.exit_code} after {outcome.seconds:.2f}s")
