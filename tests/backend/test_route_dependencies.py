"""What FastAPI does for a route's dependencies on every request: a plain ``def`` dependency runs in its thread pool,
a thread hop per request (/health's two ``def`` accessors doubled its CPU per request, 0.45 → 0.8 ms; ADR 0018 step
14), and every dependency is solved afresh, ~6 µs of CPU each (ADR 0018 step 16)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.routing import iter_route_contexts

from backend.dependencies import bearer_token, current_user_tasks
from backend.main import create_app
from backend.settings import Settings
from tests.backend.conftest import dependency_calls


def _runs_on_the_event_loop(call: Any) -> bool:
    # A function, or an instance whose ``__call__`` is the coroutine (FastAPI's security classes, bearer_token).
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def test_no_route_dependency_runs_in_the_thread_pool(settings: Settings) -> None:
    routes = [route for route in iter_route_contexts(create_app(settings).routes) if route.path and route.methods
              and hasattr(route, "dependant")]
    calls = {(route.path, route.name, call) for route in routes for call in dependency_calls(route.dependant)}
    assert {route.path for route in routes} >= {"/health", "/api/{user_id}/tasks"}
    names = {getattr(call, "__name__", type(call).__name__) for _, _, call in calls}
    assert {"current_user_tasks", "BearerToken", "_settings", "_engine"} <= names  # the walk sees them
    blocking = {f"{path} {name}: {getattr(call, '__name__', call)}"
                for path, name, call in calls if not _runs_on_the_event_loop(call)}
    assert blocking == set()


def test_a_task_route_solves_the_callers_two_dependencies_and_no_more(settings: Settings) -> None:
    """The app's routes as served, router-level dependencies included: the strict-query check runs inside
    ``bearer_token`` (backend.strict_query), not as a third dependency solved on every request."""
    routes = [route for route in iter_route_contexts(create_app(settings).routes) if route.path.startswith("/api/")]

    assert len(routes) == 6
    assert {route.name: dependency_calls(route.dependant) for route in routes} == {
        route.name: [current_user_tasks, bearer_token] for route in routes}
