"""What the code itself declares: the app's routes and the Settings schema (plus the Procfile's own variables).

Generated, never typed by hand. Building the app does not connect to a database (the engine connects at its first
statement, and none runs here), and no environment variable's value is ever read: Settings are constructed
from explicit arguments only.
"""

from __future__ import annotations

import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INVENTORY_DATABASE_URL = "postgresql://u@localhost/db"
PROCFILE_VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}?")
PROCFILE_MEANINGS = {"PORT": "Port the web process listens on; Railway sets it (read by the Procfile, not Settings)."}


@dataclass(frozen=True)
class Endpoint:
    methods: tuple[str, ...]
    path: str
    auth_required: bool
    purpose: str
    statuses: tuple[int, ...]
    docs_only: bool


@dataclass(frozen=True)
class EnvVar:
    name: str
    aliases: tuple[str, ...]
    required_in_production: bool
    secret: bool
    default: str
    meaning: str


def endpoints() -> list[Endpoint]:
    """Routes of the app as the test configuration builds it; routes absent with docs off are marked docs-only."""
    from backend.main import create_app

    with_docs = _routes(create_app(_settings(docs_enabled=True)))
    without_docs = {_route_key(route) for route in _routes(create_app(_settings(docs_enabled=False)))}
    merged: dict[tuple[str, Any], Endpoint] = {}
    for route in with_docs:
        endpoint = _endpoint(route, docs_only=_route_key(route) not in without_docs)
        # One row per path and handler: a GET and a HEAD registered separately for the same function are one.
        key = (endpoint.path, getattr(route, "endpoint", None))
        if key in merged:
            endpoint = _merge(merged[key], endpoint)
        merged[key] = endpoint
    return sorted(merged.values(), key=lambda item: (item.docs_only, item.path, item.methods))


def _merge(first: Endpoint, second: Endpoint) -> Endpoint:
    return Endpoint(
        methods=tuple(sorted({*first.methods, *second.methods}, key=_method_order)), path=first.path,
        auth_required=first.auth_required or second.auth_required, purpose=first.purpose,
        statuses=tuple(sorted({*first.statuses, *second.statuses})), docs_only=first.docs_only and second.docs_only,
    )


def environment_variables(procfile: Path | None = None) -> list[EnvVar]:
    """One row per Settings field: its variable, markers, default (never a value) and description."""
    from backend.settings import Settings, env_names, is_marked

    variables: list[EnvVar] = []
    for name, field in Settings.model_fields.items():
        variable, *aliases = env_names(name)
        variables.append(EnvVar(
            name=variable, aliases=tuple(aliases),
            required_in_production=is_marked(name, "required_in_production"), secret=is_marked(name, "secret"),
            default=_default(field), meaning=field.description or "",
        ))
    if procfile is not None and procfile.exists():
        variables += procfile_variables(procfile.read_text(encoding="utf-8"))
    return variables


def procfile_variables(text: str) -> list[EnvVar]:
    """Variables the Procfile's command line expands itself (``${PORT:-8000}``)."""
    found: dict[str, EnvVar] = {}
    for match in PROCFILE_VARIABLE.finditer(text):
        name, default = match.group(1), match.group(2)
        found.setdefault(name, EnvVar(
            name=name, aliases=(), required_in_production=False, secret=False,
            default=default if default is not None else "—",
            meaning=PROCFILE_MEANINGS.get(name, "Expanded by the Procfile's web command."),
        ))
    return list(found.values())


def secret_variable_names() -> list[str]:
    """Every variable (aliases included) whose field is marked secret: the redactor masks their current values."""
    return [name for variable in environment_variables() if variable.secret
            for name in (variable.name, *variable.aliases)]


def _settings(*, docs_enabled: bool) -> Any:
    """Test settings from arguments only: the developer's environment cannot change (or break) the inventory."""
    from backend.settings import Settings

    class ArgumentsOnly(Settings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, **sources: Any) -> tuple[Any, ...]:
            return (init_settings,)

    # A throwaway secret so the app does not log that it generated one; it never leaves this process.
    return ArgumentsOnly(environment="test", database_url=INVENTORY_DATABASE_URL, docs_enabled=docs_enabled,
                         better_auth_secret=secrets.token_urlsafe(48))


def _routes(app: Any) -> list[Any]:
    """Flattened routes: FastAPI keeps included routers as lazy entries in ``app.routes``; its OpenAPI generator's
    ``iter_route_contexts`` expands them."""
    from fastapi.routing import iter_route_contexts

    return list(iter_route_contexts(app.routes))


def _route_key(route: Any) -> tuple[str, tuple[str, ...]]:
    return str(getattr(route, "path", "")), tuple(sorted(getattr(route, "methods", None) or ()))


def _endpoint(route: Any, *, docs_only: bool) -> Endpoint:
    from backend.dependencies import bearer_token

    methods = tuple(sorted(getattr(route, "methods", None) or (), key=_method_order))
    dependant = getattr(route, "dependant", None)
    calls = _dependency_calls(dependant) if dependant is not None else []
    statuses: set[int] = set()
    if dependant is not None:
        statuses.add(int(getattr(route, "status_code", None) or 200))
        statuses.update(int(code) for code in (getattr(route, "responses", None) or {}) if str(code).isdigit())
        if dependant.path_params or dependant.query_params or dependant.body_params:
            statuses.add(422)
    return Endpoint(methods=methods, path=str(route.path), auth_required=bearer_token in calls,
                    purpose=_purpose(route), statuses=tuple(sorted(statuses)), docs_only=docs_only)


def _dependency_calls(dependant: Any) -> list[Any]:
    calls = []
    for dependency in dependant.dependencies:
        calls.append(dependency.call)
        calls.extend(_dependency_calls(dependency))
    return calls


def _purpose(route: Any) -> str:
    """What the route says it is for, to its stakeholders (``description=``, else ``summary=``); a route without
    either (the docs pages): its endpoint's docstring, else its name in words plus its module's first sentence."""
    for text in (getattr(route, "description", None), getattr(route, "summary", None)):
        if text:
            return _first_paragraph(str(text))
    endpoint = getattr(route, "endpoint", None)
    doc = _first_paragraph(getattr(endpoint, "__doc__", None))
    if doc:
        return doc
    name = str(getattr(route, "name", "") or "").replace("_", " ").capitalize()
    module = sys.modules.get(getattr(endpoint, "__module__", "") or "")
    ours = module is not None and module.__name__.startswith("backend")
    context = _first_paragraph(getattr(module, "__doc__", None)) if ours else ""
    return f"{name} — {context.split('. ')[0].rstrip('.')}." if context else name


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split()).replace("``", "`")


def _default(field: Any) -> str:
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "(unset)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(empty)"
    return str(getattr(value, "value", value))


def _method_order(method: str) -> int:
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return order.index(method) if method in order else len(order)
