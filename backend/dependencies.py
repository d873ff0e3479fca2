"""What a route is given: the caller's user id once it is proven to be the path's user, and what the app was built
with (its settings, its engine, its token verifier). One module, typed: ``create_app`` puts the services on
``app.state`` and only the functions here read them back.

The engine and the settings are read from the request, not injected with ``Depends``: one dependency less to solve
per request on the hot path (ADR 0018). Who the caller is, is a dependency (``AuthorizedUserId``), so that every
task route declares it in its signature and the report can tell which routes need a token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.auth import KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS, InvalidToken, TokenVerifier, bearer_scheme
from backend.jwks import KeysUnavailable
from backend.schemas import UserId
from backend.settings import Settings


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def engine_of(request: Request) -> AsyncEngine:
    """The app's one pool (created by the lifespan). Each route runs one statement through backend.task_store,
    which takes a pooled connection and gives it back before the route returns (ADR 0002)."""
    return request.app.state.engine


def token_verifier_of(request: Request) -> TokenVerifier:
    return request.app.state.token_verifier


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_user_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    """The authenticated user's id (the token's ``sub``); 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("not authenticated")
    try:
        return await token_verifier_of(request).subject(credentials.credentials)
    except InvalidToken as error:
        raise _unauthorized(str(error)) from None
    except KeysUnavailable:
        # Not the client's fault and not a verdict on the token: retry shortly (ADR 0007).
        raise HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="authentication keys unavailable",
                            headers={"Retry-After": str(KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS)}) from None


async def authorized_user_id(
    user_id: UserId, token_user_id: Annotated[str, Depends(current_user_id)]
) -> str:
    """The path's user id, once proven to be the caller's own: 403 when it is someone else's (ADR 0008)."""
    if user_id != token_user_id:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="not allowed to access this user's tasks")
    return token_user_id


AuthorizedUserId = Annotated[str, Depends(authorized_user_id)]
