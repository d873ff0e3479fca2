"""Every failure becomes JSON ``{"detail": …}`` with the right status: never a stack trace, never a DSN.

Spec edge case "Database Connection Dropout": an unreachable database is a fast 503 and the process stays up;
the pool's pre-ping and a fresh connection bring it back by itself.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from backend.database import UNAVAILABLE_ERRORS, is_database_unavailable

logger = logging.getLogger("backend.errors")

DATABASE_UNAVAILABLE = {"detail": "database unavailable"}


async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
    # Log the class only: driver messages can carry host names and user names.
    logger.warning("database unavailable during %s %s: %s", request.method, request.url.path, type(error).__name__)
    return JSONResponse(DATABASE_UNAVAILABLE, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": "5"})


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A driver error is a 503 when it says the database is unreachable, otherwise a bug (500)."""
    if is_database_unavailable(error):
        return await _database_unavailable(request, error)
    return await _unexpected(request, error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error during %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
