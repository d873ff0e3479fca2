"""Before any scenario: can the suite run against this target at all?

Two requests. ``/health`` must answer (any status: a 503 is the scenarios' finding, not a reason not to run),
else the run stops as NOT RUN: target unreachable. Then one authenticated request with a token minted from
``BETTER_AUTH_SECRET``: a 401 means the deployment does not share the suite's secret, and every authenticated
scenario would fail for that one reason — the run stops as NOT RUN: token rejected, in one line, not after 35 s
of failing scenarios. Decision: history/adr/0013-behave-live-and-local-rehearsal.md.
"""

from __future__ import annotations

import httpx

from steps.support.suite import Suite, SuiteNotRun
from steps.support.tasks import tasks_path

# /health deliberately reveals nothing about the infrastructure (ADR 0009): a live run cannot see the database path.
LIVE_DATABASE_PATH = ("unknown: /health does not reveal whether the service reaches Neon through its pooler "
                      "(by design, ADR 0009); this run cannot see it")


def preflight(suite: Suite) -> None:
    """Record the target's version and latency; raise SuiteNotRun when the suite cannot run against it."""
    health = _reach(suite, "/health")
    suite.record.health_latency_ms = round(health.elapsed.total_seconds() * 1000, 2)
    try:
        body = health.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        suite.record.version = body.get("version")
    else:
        suite.record.notes.append(f"/health answered {health.status_code} without a JSON object before the run")
    if suite.is_live:
        suite.record.database_path = LIVE_DATABASE_PATH

    user = suite.mint.user()
    if _reach(suite, tasks_path(user.id), token=user.token).status_code == 401:
        raise SuiteNotRun("token rejected", f"{suite.config.base_url} answered 401 to a token signed with "
                          "BETTER_AUTH_SECRET: it is not the deployment's secret (set the service's value)")


def _reach(suite: Suite, path: str, token: str | None = None) -> httpx.Response:
    try:
        return suite.api.get(path, token=token)
    except AssertionError as error:  # Api turns transport errors and timeouts into a message that says which
        raise SuiteNotRun("target unreachable", str(error)) from None
