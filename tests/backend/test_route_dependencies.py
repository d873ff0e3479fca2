"""Every route dependency is a coroutine: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop
per request (/health's two ``def`` accessors doubled its CPU per request, 0.45 → 0.8 ms; ADR 0018)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.routing import iter_route_contexts

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
    assert {"reject_unknown_query_parameters", "current_user_tasks", "BearerToken"} <= names  # the walk sees them
    blocking = {f"{path} {name}: {getattr(call, '__name__', call)}"
                for path, name, call in calls if not _runs_on_the_event_loop(call)}
    assert blocking == set()
