"""Every route dependency is a coroutine: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop
per request (/health's two ``def`` accessors doubled its CPU per request, 0.45 → 0.8 ms; ADR 0018)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.routing import iter_route_contexts

from backend.main import create_app
from backend.settings import Settings


def _calls(dependant: Any) -> list[Any]:
    return [call for sub in dependant.dependencies for call in (sub.call, *_calls(sub))]


def _runs_on_the_event_loop(call: Any) -> bool:
    # A function, or an instance whose ``__call__`` is the coroutine (FastAPI's security classes, bearer_token).
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def test_no_route_dependency_runs_in_the_thread_pool(settings: Settings) -> None:
    routes = [route for route in iter_route_contexts(create_app(settings).routes) if route.path and route.methods
              and hasattr(route, "dependant")]
    blocking = {f"{route.path} {route.name}: {getattr(call, '__name__', call)}"
                for route in routes for call in _calls(route.dependant) if not _runs_on_the_event_loop(call)}
    assert {route.path for route in routes} >= {"/health", "/api/{user_id}/tasks"}
    every_call = {getattr(call, "__name__", type(call).__name__)
                  for route in routes for call in _calls(route.dependant)}
    assert {"reject_unknown_query_parameters", "current_user_tasks", "BearerToken"} <= every_call  # the walk sees them
    assert blocking == set()
