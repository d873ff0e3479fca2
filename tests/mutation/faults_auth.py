"""Faults in token verification and in binding the token's subject to the path's user."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend import dependencies
from backend.auth import InvalidToken, TokenVerifier
from backend.dependencies import EngineDep, bearer_token, services_of
from backend.schemas import UserId
from backend.task_store import UserTasks
from tests.mutation.fault import Fault, FaultClass, Injection

AUTH = FaultClass.AUTH
ORIGINAL_SUBJECT = TokenVerifier.subject
ORIGINAL_DECODE = TokenVerifier._decode
ORIGINAL_FROM_SETTINGS = TokenVerifier.from_settings
ABSURD_LEEWAY_SECONDS = 7 * 24 * 3600
# Keys a team "temporarily" leaves in: a placeholder from a tutorial, jwt.io's example. Public, never secrets.
LEFTOVER_KEYS = {"tutorial placeholder": "change-me", "jwt.io example": "your-256-bit-secret"}


def _decode_with(options: dict[str, Any]) -> Any:
    def decode(self: TokenVerifier, token: str, key: Any, algorithms: list[str]) -> dict[str, Any]:
        try:
            return jwt.decode(token, key, algorithms=algorithms, leeway=self.leeway, options=options)
        except jwt.PyJWTError as error:
            raise InvalidToken("invalid token") from error

    return decode


def patch_decode(options: dict[str, Any]) -> Any:
    return lambda injection: injection.patch(TokenVerifier, "_decode", _decode_with(options))


def accept_alg_none(injection: Injection) -> None:
    async def subject(self: TokenVerifier, token: str) -> str:
        try:
            if str(jwt.get_unverified_header(token).get("alg", "")).lower() == "none":
                return jwt.decode(token, options={"verify_signature": False})["sub"]
        except (jwt.PyJWTError, KeyError):
            pass
        return await ORIGINAL_SUBJECT(self, token)

    injection.patch(TokenVerifier, "subject", subject)


def trust_embedded_key(injection: Injection) -> None:
    """The token's own ``jwk`` header chooses the key that verifies it."""

    async def subject(self: TokenVerifier, token: str) -> str:
        try:
            header = jwt.get_unverified_header(token)
            if isinstance(header.get("jwk"), dict):
                key = jwt.PyJWK(header["jwk"], algorithm=header.get("alg"))
                return jwt.decode(token, key, algorithms=[str(header.get("alg"))])["sub"]
        except (jwt.PyJWTError, KeyError):
            pass
        return await ORIGINAL_SUBJECT(self, token)

    injection.patch(TokenVerifier, "subject", subject)


def leftover_key(name: str) -> Any:
    """The environment's secret first, then a key left in the code "for development"."""

    def inject(injection: Injection) -> None:
        def decode(self: TokenVerifier, token: str, key: Any, algorithms: list[str]) -> dict[str, Any]:
            try:
                return ORIGINAL_DECODE(self, token, key, algorithms)
            except InvalidToken:
                return ORIGINAL_DECODE(self, token, LEFTOVER_KEYS[name], algorithms)

        injection.patch(TokenVerifier, "_decode", decode)

    return inject


def absurd_leeway(injection: Injection) -> None:
    def from_settings(cls: type[TokenVerifier], settings: Any) -> TokenVerifier:
        return dataclasses.replace(ORIGINAL_FROM_SETTINGS(settings), leeway=ABSURD_LEEWAY_SECONDS)

    injection.patch(TokenVerifier, "from_settings", classmethod(from_settings))


def _unauthorized() -> HTTPException:
    return HTTPException(status_code=401, detail="invalid token", headers={"WWW-Authenticate": "Bearer"})


async def _path_user_without_subject(
    request: Request, user_id: UserId,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))],
) -> UserTasks:
    """A signed token without ``sub`` is taken to be for whichever user's path it is sent to."""
    if credentials is None:
        raise _unauthorized()
    verifier = services_of(request.app).token_verifier
    try:
        claims = jwt.decode(credentials.credentials, verifier.secret, algorithms=["HS256"], leeway=verifier.leeway,
                            options={"require": ["exp"]})
    except jwt.PyJWTError:
        raise _unauthorized() from None
    if (claims.get("sub") or user_id) != user_id:
        raise HTTPException(status_code=403, detail="not allowed to access this user's tasks")
    return UserTasks(services_of(request.app).engine, user_id)


async def _path_user_trusted(user_id: UserId, caller: Annotated[str, Depends(bearer_token)],
                             engine: EngineDep) -> UserTasks:
    """Any valid token, whoever's path: the comparison with ``sub`` was lost in a refactoring."""
    return UserTasks(engine, user_id)


def override_authorization(replacement: Any) -> Any:
    def inject(injection: Injection) -> None:
        injection.after(lambda app: app.dependency_overrides.__setitem__(dependencies.current_user_tasks, replacement))

    return inject


AUTH_FAULTS = [
    Fault("auth-alg-none", AUTH, "an unsigned token (`alg: none`) is accepted", ("US2.3",), accept_alg_none),
    Fault("auth-signature-unverified", AUTH, "the signature is never checked (`verify_signature: False`)",
          ("US2.3", "US1.3"), patch_decode({"verify_signature": False, "require": ["exp", "sub"]})),
    Fault("auth-token-supplied-key", AUTH, "the key embedded in the token's own `jwk` header verifies it",
          ("US1.3",), trust_embedded_key),
    Fault("auth-leftover-placeholder-key", AUTH, "tokens signed with a tutorial placeholder key are also trusted",
          ("US1.3",), leftover_key("tutorial placeholder")),
    Fault("auth-leftover-jwtio-key", AUTH, "tokens signed with jwt.io's example key are also trusted", ("US1.3",),
          leftover_key("jwt.io example")),
    Fault("auth-expired-accepted", AUTH, "expiry is not checked (`verify_exp: False`)", ("US2.3",),
          patch_decode({"verify_exp": False, "require": ["exp", "sub"]})),
    Fault("auth-absurd-leeway", AUTH, "a week of clock-skew leeway: long-expired tokens still work", ("US2.3",),
          absurd_leeway),
    Fault("auth-exp-not-required", AUTH, "a token without `exp` never expires", ("US2.3",),
          patch_decode({"require": ["sub"]})),
    Fault("auth-sub-not-required", AUTH, "a token without `sub` acts as whichever user's path it is sent to",
          ("US2.3",), override_authorization(_path_user_without_subject)),
    Fault("auth-path-user-trusted", AUTH, "the path's user id is trusted: any valid token reaches any user's tasks",
          ("US2.3",), override_authorization(_path_user_trusted)),
]
