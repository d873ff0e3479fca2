"""Extra checks beyond the spec's words (US1.1, US1.3, US2.3, FR-006): what an attacker with one valid account
tries. Each one was added because a deliberately broken deployment got past the suite without it (``make
mutation``, history/adr/0021-mutation-stage.md); each checks a property, not one broken value."""

from __future__ import annotations

from behave import then

from steps.support import probes
from steps.support.tasks import assert_lists_only_own, complete_task, create_task, tasks_path

DOCS_PREFIXES = ("/api", "/api/v1", "/v1")
# Each filter and paging combination of the list, alone: a user filter forgotten on any one query path shows.
LIST_QUERIES = ({}, {"completed": "true"}, {"completed": "false"}, {"limit": "1"}, {"limit": "100"},
                {"offset": "0"}, {"offset": "1"}, {"completed": "true", "limit": "1"},
                {"completed": "false", "offset": "0"}, {"completed": "true", "limit": "5", "offset": "0"})


# ------------------------------------------------------------------------------------------------ US1.1


@then("malformed path parameters, query parameters, bodies, encodings and sizes get a short `4xx` JSON error, "
      "never a `5xx`, a traceback, SQL or a connection string")
def step_malformed_input(context):
    suite = context.suite
    user = suite.mint.user()
    context.add_cleanup(probes.delete_every_task, suite.api, user)
    context.probe_answers = probes.probe(suite.api, suite.mint, user)
    probes.assert_client_errors(context.probe_answers)


@then("no response header names the server software or the framework")
def step_no_software_named(context):
    answers = [*getattr(context, "probe_answers", {}).values(), context.response, context.suite.api.get("/health")]
    probes.assert_no_software_named(answers)


# ------------------------------------------------------------------------------------------------ US1.3


@then("a token signed with a well-known default key, or with a key it carries itself, is refused")
def step_no_fallback_keys(context):
    suite, user = context.suite, context.suite.mint.user()
    probes.assert_tokens_refused(suite.api, tasks_path(user.id), suite.mint.foreign_key_tokens(user.id))


# ------------------------------------------------------------------------------------------------ US2.3


@then("every query path of the task list, each filter and paging combination alone, shows the other user only "
      "their own tasks")
def step_every_list_query_isolated(context):
    suite, owner = context.suite, context.owner
    done = create_task(suite.api, owner, context)  # the owner has a completed task and an open one
    complete_task(suite.api, owner, done["id"])
    assert_lists_only_own(suite.api, context.other, {context.task["id"], done["id"]}, LIST_QUERIES)


# ------------------------------------------------------------------------------------------------ FR-006


@then("the same documents under the common prefixes `/api`, `/api/v1` and `/v1` answer `404` too")
def step_docs_closed_under_prefixes(context):
    probes.assert_docs_closed(context.suite.api, DOCS_PREFIXES)
