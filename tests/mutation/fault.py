"""What a fault is, and the few ways one may change the real app while it is built.

A fault is a deliberate, named break of the real backend, the way a team really breaks one: a forgotten
``WHERE``, a CORS option too broad, a route left on. It is applied in the web process the stage starts (see
``tests/mutation/app.py``): ``before`` patches run before ``backend.main`` builds the app, ``after`` hooks change
the built app (a route replaced, a middleware option changed) before it serves its first request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


class FaultClass(StrEnum):
    CORS = "CORS"
    DOCS = "docs"
    HEALTH = "health"
    AUTH = "auth"
    ISOLATION = "isolation"
    ROBUSTNESS = "robustness and leaks"


LIVE = "live"  # caught by the live-safe suite against a running deployment
LOCAL = "local"  # caught only with control of the deployment's database (an @local-capable run)


@dataclass(frozen=True)
class Fault:
    name: str
    kind: FaultClass
    description: str
    caught_by: tuple[str, ...]  # tags of the scenarios that must catch it (spec ids, e.g. "US2.2")
    inject: Callable[[Injection], None]
    needs: str = LIVE
    web_command: Callable[[str], str] | None = None  # changes the Procfile's web line (a deployment fault)


@dataclass
class Injection:
    """Collects a fault's changes; ``tests.mutation.app`` applies them around ``create_app_from_environment``."""

    patches: list[tuple[Any, str, Any]] = field(default_factory=list)
    after_build: list[Callable[[FastAPI], None]] = field(default_factory=list)

    def patch(self, owner: Any, name: str, value: Any) -> None:
        """Replace ``owner.name`` before the app is built (a module global or a method looked up at call time)."""
        assert hasattr(owner, name), f"{owner!r} has no attribute {name!r}: the fault no longer matches the code"
        self.patches.append((owner, name, value))

    def after(self, hook: Callable[[FastAPI], None]) -> None:
        self.after_build.append(hook)

    def apply_patches(self) -> None:
        for owner, name, value in self.patches:
            setattr(owner, name, value)

    def finish(self, app: FastAPI) -> None:
        for hook in self.after_build:
            hook(app)


def replace_route(app: FastAPI, method: str, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
    """Put a faulty endpoint for ``method path`` in front of the real one (the first matching route answers),
    keeping the real route's status code and response model unless told otherwise."""
    found = [context.original_route for context in iter_route_contexts(app.router.routes)  # included routers too
             if isinstance(context.original_route, APIRoute) and context.path == path and method in context.methods]
    assert found, f"no route {method} {path}: the fault no longer matches the code"
    options.setdefault("status_code", found[0].status_code)
    options.setdefault("response_model", found[0].response_model)
    app.router.add_api_route(path, endpoint, methods=[method], **options)
    app.router.routes.insert(0, app.router.routes.pop())


def middleware_options(app: FastAPI, middleware_class: type) -> dict[str, Any]:
    """The options ``create_app`` installed a middleware with, to read or change (the stack is built at the first
    request)."""
    found = [entry for entry in app.user_middleware if entry.cls is middleware_class]
    assert found, f"{middleware_class.__name__} is not installed: the fault no longer matches the code"
    return found[0].kwargs


def remove_middleware(app: FastAPI, middleware_class: type) -> None:
    before = len(app.user_middleware)
    app.user_middleware[:] = [entry for entry in app.user_middleware if entry.cls is not middleware_class]
    assert len(app.user_middleware) < before, f"{middleware_class.__name__} is not installed"
