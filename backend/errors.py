"""Every failure becomes JSON ``{"detail": …}`` with the right status: never a stack trace, never a DSN.

Spec edge case "Database Connection Dropout": an unreachable database is a fast 503 and the process stays up;
a fresh connection brings it back by itself (backend/database.py:run).

Bad input is a 4xx and nothing more (issue 9 items 4, 6, 7; ADR 0017): a 422 names what is wrong (``loc``,
``msg``, ``type``) but never echoes the input, a body that cannot be decoded is a 422 like any other invalid body,
a 405 lists every method of the path in ``Allow``, and a client error writes no log line of its own (uvicorn's
access line is the one line); only a real server fault logs a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

from backend.database import UNAVAILABLE_ERRORS, is_database_unavailable
from backend.middleware import HttpMiddleware
from backend.schemas import ErrorBody, ValidationErrorBody

logger = logging.getLogger("backend.errors")

DATABASE_UNAVAILABLE = {"detail": "database unavailable"}
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Published in the OpenAPI schema (issue 9 item 8): what every task operation may answer besides its own responses.
TASK_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "Request body larger than MAX_BODY_BYTES (64 KiB); refused unread"},
    422: {"model": ValidationErrorBody, "description": "Invalid input: a field, an id, a query parameter or "
                                                       "a body that is not UTF-8 JSON"},
}
API_DESCRIPTION = """\
Errors are JSON `{"detail": ...}`, never a stack trace.

* **422**: invalid input. `detail` lists `{type, loc, msg}`; the rejected value is never echoed back. A body that
  is not UTF-8 JSON, or nested too deeply to parse, is a 422 too.
* **413**: the body is larger than `MAX_BODY_BYTES`.
* **405**: the method is not served on this path; `Allow` lists every method the path serves.
* **503** `{"detail": "database unavailable"}` with `Retry-After`: the database cannot be reached; retry.
"""
LOC_PART_MAX = 64  # a key of the client's JSON object can be tens of kilobytes: name it, don't echo it
# A 40 KB query string of 6000 unknown names drew a 500 KB 422 (12 times the request): the first few problems
# are what a client can act on.
ERRORS_MAX = 20


def _safe_text(text: str) -> str:
    """Text from the client, made encodable (a lone surrogate becomes "?") and short."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= LOC_PART_MAX else text[:LOC_PART_MAX] + "…"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors without ``input`` and ``ctx``: both may hold raw client data (a lone surrogate made the
    default handler fail while encoding its own 422, a 500). ``loc`` may hold a client's key, so it is made safe.
    At most ``ERRORS_MAX`` of them, so that a 422 is never much larger than the request."""
    return [
        {
            "type": str(error["type"]),
            "loc": [part if isinstance(part, int) else _safe_text(str(part)) for part in error["loc"]],
            "msg": _safe_text(str(error["msg"])),
        }
        for error in errors[:ERRORS_MAX]
    ]


def invalid_input(errors: Sequence[Any]) -> JSONResponse:
    return JSONResponse({"detail": validation_errors(errors)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _request_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return invalid_input(error.errors())


def _undecodable_body(error: HTTPException) -> list[dict[str, Any]] | None:
    """FastAPI answers 400 when ``json.loads`` fails with anything but a JSONDecodeError: bytes that are not
    UTF-8 (or UTF-16/32, which ``json`` also detects), an integer of more than 4300 digits (Python's limit), or
    nesting deeper than Python's recursion limit. All are invalid input, which the README and the OpenAPI schema
    promise as 422. (A client that disconnected mid-body also gets that 400; nobody reads it, so it stays.)"""
    cause = error.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return [{"type": "json_invalid", "loc": ("body", cause.start), "msg": "JSON body is not valid UTF-8"}]
    if isinstance(cause, RecursionError):
        return [{"type": "json_invalid", "loc": ("body",), "msg": "JSON body is nested too deeply"}]
    if isinstance(cause, ValueError):
        return [{"type": "json_invalid", "loc": ("body",), "msg": "JSON body holds a value that cannot be read"}]
    return None


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path: Starlette's own 405 names only the first route's methods
    (``PATCH /api/u/tasks`` said ``Allow: GET`` although POST is served too)."""
    return [method for method in HTTP_METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == status.HTTP_400_BAD_REQUEST and (errors := _undecodable_body(error)):
        return invalid_input(errors)
    if error.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers = {**(error.headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)
    return await http_exception_handler(request, error)


def _where(request: Request) -> str:
    """Method and path as the client sent them (percent-encoded): a decoded ``%0a`` could forge a log line."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    return f"{request.method} {raw_path.decode('latin-1')}"


async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
    # Log the class only: driver messages can carry host names and user names.
    logger.warning("database unavailable during %s: %s", _where(request), type(error).__name__)
    return JSONResponse(DATABASE_UNAVAILABLE, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "5"})


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A driver error is a 503 when it says the database is unreachable, otherwise a bug (500)."""
    if is_database_unavailable(error):
        return await _database_unavailable(request, error)
    return await _unexpected(request, error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    """A real server fault: the one place that writes a traceback."""
    logger.error("unhandled error during %s", _where(request), exc_info=error)
    return JSONResponse({"detail": "internal server error"}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    # Last resort for a fault in the middlewares outside FaultBarrier (Starlette's ServerErrorMiddleware). The request
    # path runs its statements on asyncpg directly (backend/database.py:run), so driver and pool errors arrive
    # unwrapped, under the driver's own classes: whatever says "database unavailable" is a 503, the rest a 500.
    app.add_exception_handler(Exception, _database_error)


class FaultBarrier(HttpMiddleware):
    """Answers a fault the routes' handlers did not (a bug) with a JSON 500 and logs its traceback once.

    Starlette's last-resort handler re-raises after answering so that the server can log the error, and uvicorn
    then writes the same traceback a second time ("Exception in ASGI application"). This pure-ASGI middleware sits
    just outside the routes, answers, and stops the exception there. A fault after the response has started can
    only be logged: uvicorn then closes the connection.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            response = await _database_error(Request(scope), error)  # 503 when the database is unavailable
            if not started:
                await response(scope, receive, send)
