"""What a route is given, as typed ``Annotated`` aliases: ``CurrentUserTasks`` (the caller's own tasks, once the
token is verified and its ``sub`` is the path's user), ``SettingsDep`` and ``EngineDep`` (for /health).

No ``SessionDep``: there is no session. Each task operation is one statement on a pooled connection taken and given
back inside it (ADR 0002); its replacement is :class:`backend.task_store.UserTasks`, bound to the engine *and* the
proven user id, so a task route cannot even name another user's rows (ADR 0008). A task route solves two
dependencies per request, :data:`bearer_token` and :func:`current_user_tasks`, and no more: FastAPI solves each one
on every request (ADR 0018 step 16), so the strict-query check runs inside the first of them.

``create_app`` puts one frozen :class:`Services` on ``app.state``; only :func:`services_of` reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from backend.auth import KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS, InvalidToken, TokenVerifier
from backend.database import create_engine
from backend.jwks import KeysUnavailable
from backend.schemas import UserId
from backend.settings import Settings
from backend.strict_query import reject_unknown_query_parameters
from backend.task_store import UserTasks


@dataclass(frozen=True, slots=True)
class Services:
    """What one app is built with. The engine connects at its first statement; the lifespan disposes of it."""

    settings: Settings
    engine: AsyncEngine
    token_verifier: TokenVerifier = field(repr=False)  # holds the secret

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(settings, create_engine(settings), TokenVerifier.from_settings(settings))


def services_of(app: Starlette) -> Services:
    return app.state.services  # type: ignore[no-any-return]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


class BearerToken(HTTPBearer):
    """``Authorization: Bearer <JWT>``, verified: the token's ``sub``, else 401 (503 while a JWKS key cannot be
    fetched: retry, don't log in again; ADR 0007). Being FastAPI's ``HTTPBearer``, it is also the OpenAPI security
    scheme: a route depending on it is documented, and reported by the audit, as needing a token.

    The first dependency a task route solves, so it first refuses the route's unknown query parameters (422,
    :mod:`backend.strict_query`) — before the token, as when that check was a router dependency of its own."""

    async def __call__(self, request: Request) -> str:  # type: ignore[override]
        reject_unknown_query_parameters(request)
        authorization = request.headers.get("Authorization")
        scheme, token = get_authorization_scheme_param(authorization)
        if not token or scheme.lower() != "bearer":
            raise _unauthorized("not authenticated")
        try:
            return await services_of(request.app).token_verifier.subject(token)
        except InvalidToken as error:
            raise _unauthorized(str(error)) from None
        except KeysUnavailable:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="authentication keys unavailable",
                                headers={"Retry-After": str(KEYS_UNAVAILABLE_RETRY_AFTER_SECONDS)}) from None


bearer_token = BearerToken(scheme_name="HTTPBearer", description="Better Auth JWT; `sub` is the user id.")


async def current_user_tasks(user_id: UserId, caller: Annotated[str, Depends(bearer_token)],
                             request: Request) -> UserTasks:
    """The path user's tasks, once proven to be the caller's own: 403 when the path is someone else's (ADR 0008).
    The token is checked first (401 before any 422 on the path)."""
    if user_id != caller:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="not allowed to access this user's tasks")
    return UserTasks(services_of(request.app).engine, caller)


async def _settings(request: Request) -> Settings:
    return services_of(request.app).settings


async def _engine(request: Request) -> AsyncEngine:
    return services_of(request.app).engine


CurrentUserTasks = Annotated[UserTasks, Depends(current_user_tasks)]
SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[AsyncEngine, Depends(_engine)]  # /health's probe; task routes get CurrentUserTasks
