"""Faults at the HTTP edge: CORS, API documentation, response headers and the body size limit."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import fastapi
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.middleware import BodySizeLimit
from tests.mutation.fault import Fault, FaultClass, Injection, middleware_options, remove_middleware

CORS, DOCS, ROBUSTNESS = FaultClass.CORS, FaultClass.DOCS, FaultClass.ROBUSTNESS


# ------------------------------------------------------------------------------------------------ CORS


def cors(**options: object) -> object:
    """A fault that builds CORSMiddleware's options from the deployment's allowed origin."""

    def inject(injection: Injection) -> None:
        def hook(app: FastAPI) -> None:
            installed = middleware_options(app, CORSMiddleware)
            origin = installed["allow_origins"][0]  # the deployment's whitelisted origin, as a mistaken config would
            host = urlsplit(origin).hostname or ""
            installed.update({key: value(origin, host) if callable(value) else value for key, value in options.items()})

        injection.after(hook)

    return inject


class _HeaderRewrite:
    """Outermost middleware that rewrites response headers (a hand-written CORS "fix")."""

    def __init__(self, app: ASGIApp, rewrite: object) -> None:
        self.app, self.rewrite = app, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}

        async def rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = {key.decode().lower(): value.decode() for key, value in message.get("headers", [])}
                headers = self.rewrite(scope, request_headers, message["status"], headers)  # type: ignore[operator]
                message["headers"] = [(key.encode(), value.encode()) for key, value in headers.items()]
            await send(message)

        await self.app(scope, receive, rewritten)


def rewrite_headers(rewrite: object) -> object:
    def inject(injection: Injection) -> None:
        injection.after(lambda app: app.add_middleware(_HeaderRewrite, rewrite=rewrite))

    return inject


def _without_vary_origin(scope: Scope, request: dict, status: int, headers: dict) -> dict:
    vary = [item.strip() for item in headers.get("vary", "").split(",") if item.strip().lower() != "origin"]
    headers.pop("vary", None)
    return {**headers, "vary": ", ".join(vary)} if vary else headers


def _errors_readable_by_any_origin(scope: Scope, request: dict, status: int, headers: dict) -> dict:
    """"So the frontend can read its errors": every 4xx/5xx echoes the caller's Origin, with credentials."""
    if status >= 400 and "origin" in request:
        return {**headers, "access-control-allow-origin": request["origin"], "access-control-allow-credentials": "true"}
    return headers


def _preflight_for_anyone(scope: Scope, request: dict, status: int, headers: dict) -> dict:
    """A hand-written OPTIONS answer: every preflight is granted to whoever asks."""
    if scope["method"] == "OPTIONS" and "origin" in request:
        return {**headers, "access-control-allow-origin": request["origin"],
                "access-control-allow-credentials": "true"}
    return headers


class _PreflightOk:
    """Turns a refused preflight (400) into a 200, as a catch-all OPTIONS route would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def ok(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("method") == "OPTIONS":
                message["status"] = 200
            await send(message)

        await self.app(scope, receive, ok if scope["type"] == "http" else send)


def preflight_for_anyone(injection: Injection) -> None:
    def hook(app: FastAPI) -> None:
        app.add_middleware(_PreflightOk)
        app.add_middleware(_HeaderRewrite, rewrite=_preflight_for_anyone)

    injection.after(hook)


CORS_FAULTS = [
    Fault("cors-wildcard", CORS, "CORS allows every origin (`allow_origins=['*']`)", ("US2.2",),
          cors(allow_origins=["*"])),
    Fault("cors-reflect-any-origin", CORS, "CORS reflects whatever Origin is sent (regex `.*`)", ("US2.2",),
          cors(allow_origin_regex=".*")),
    Fault("cors-lookalike-suffix", CORS, "the origin regex is not anchored at its end: `<allowed>.evil.com` passes",
          ("US2.2",), cors(allow_origin_regex=lambda origin, host: re.escape(origin) + ".*")),
    Fault("cors-lookalike-prefix", CORS, "the origin regex is not anchored after the scheme: `https://evil<host>`",
          ("US2.2",), cors(allow_origin_regex=lambda origin, host: "https://.*" + re.escape(host))),
    Fault("cors-http-twin", CORS, "the allowed host is also whitelisted over plain `http://`", ("US2.2",),
          cors(allow_origins=lambda origin, host: [origin, f"http://{host}"])),
    Fault("cors-null-origin", CORS, "the `null` origin (sandboxed iframes, file://) is whitelisted", ("US2.2",),
          cors(allow_origins=lambda origin, host: [origin, "null"])),
    Fault("cors-any-vercel-app", CORS, "every `*.vercel.app` app is allowed, not just this project's", ("US2.2",),
          cors(allow_origin_regex=r"https://[a-z0-9-]+\.vercel\.app")),
    Fault("cors-no-vary-origin", CORS, "responses that depend on Origin drop `Vary: Origin` (cache poisoning)",
          ("US2.2",), rewrite_headers(_without_vary_origin)),
    Fault("cors-errors-any-origin", CORS, "error responses grant any origin, with credentials", ("US2.2",),
          rewrite_headers(_errors_readable_by_any_origin)),
    Fault("cors-preflight-any-origin", CORS, "a hand-written preflight answer grants whoever asks, with credentials",
          ("US2.2",), preflight_for_anyone),
]


# ------------------------------------------------------------------------------------------------ docs


def serve_docs(*paths: str) -> object:
    """Serve one documentation page at each of ``paths``, as a forgotten ``docs_url=`` or a mounted copy would."""

    def inject(injection: Injection) -> None:
        def hook(app: FastAPI) -> None:
            for path in paths:
                app.add_api_route(path, _docs_page(app, path), include_in_schema=False)

        injection.after(hook)

    return inject


def _docs_page(app: FastAPI, path: str) -> object:
    async def page() -> object:
        if path.endswith("openapi.json"):
            return JSONResponse(app.openapi())
        if path.endswith("redoc"):
            return get_redoc_html(openapi_url="/openapi.json", title="Tasks API")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Tasks API")

    return page


DOCS_FAULTS = [
    Fault("docs-swagger-ui", DOCS, "Swagger UI left on at `/docs`", ("FR-006",), serve_docs("/docs")),
    Fault("docs-redoc", DOCS, "ReDoc left on at `/redoc`", ("FR-006",), serve_docs("/redoc")),
    Fault("docs-openapi-json", DOCS, "the OpenAPI schema left on at `/openapi.json`", ("FR-006",),
          serve_docs("/openapi.json")),
    Fault("docs-api-prefix-swagger", DOCS, "Swagger UI served under the API prefix, `/api/docs`", ("FR-006",),
          serve_docs("/api/docs")),
    Fault("docs-api-prefix-openapi", DOCS, "the schema served under a versioned prefix, `/api/v1/openapi.json`",
          ("FR-006",), serve_docs("/api/v1/openapi.json")),
]


# ------------------------------------------------------------------------------------------------ headers, sizes


def _powered_by(scope: Scope, request: dict, status: int, headers: dict) -> dict:
    return {**headers, "x-powered-by": f"FastAPI/{fastapi.__version__}"}


def no_body_limit(injection: Injection) -> None:
    injection.after(lambda app: remove_middleware(app, BodySizeLimit))


EDGE_ROBUSTNESS_FAULTS = [
    Fault("leak-server-header", ROBUSTNESS, "the Procfile lost `--no-server-header`: every answer names uvicorn",
          ("US1.1",), lambda injection: None,
          web_command=lambda command: command.replace(" --no-server-header", "")),
    Fault("leak-powered-by", ROBUSTNESS, "an `X-Powered-By` header names the framework and its version", ("US1.1",),
          rewrite_headers(_powered_by)),
    Fault("rob-no-body-limit", ROBUSTNESS, "the request body size limit is gone: a 1 MiB body is parsed", ("US1.1",),
          no_body_limit),
]
