"""Unknown query parameters are a 422, as unknown body fields are: ``?complete=true`` (a typo of ``completed``)
used to be ignored silently and list every task. Found by Schemathesis (issue 9 item 15; ADR 0017).

Called first by the task routes' token dependency (:class:`backend.dependencies.BearerToken`), not solved as a
dependency of its own: FastAPI solves every dependency on every request, ~6 µs of CPU each (ADR 0018 step 16).
So the 422 still comes before the token is looked at, whoever sends it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute


def _query_names(dependant: Dependant) -> set[str]:
    """The query names a route declares, its dependencies' included (a walk of a handful of nodes, only when the
    request has a query string)."""
    names = {parameter.alias for parameter in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def reject_unknown_query_parameters(request: Request) -> None:
    """422 naming each query parameter that no parameter of the request's route declares."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    known = _query_names(route.dependant)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown query parameter"} for name in unknown
        ])
