"""The application factory. Railway runs ``create_app_from_environment`` (see the Procfile); tests call
``create_app(Settings(...))`` to build apps with other settings without touching the environment.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backend.dependencies import Services, services_of
from backend.errors import API_DESCRIPTION, TASK_ERROR_RESPONSES, FaultBarrier, install_error_handlers
from backend.middleware import BodySizeLimit, SecurityHeaders
from backend.routers import health, tasks
from backend.settings import Settings
from backend.settings_errors import load_settings
from backend.transport import install_access_log_redaction

logger = logging.getLogger("backend")

CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CORS_HEADERS = ["Authorization", "Content-Type"]
CORS_MAX_AGE_SECONDS = 600


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's one engine (``create_app`` made it; it connects on first use) is disposed at shutdown, so Neon sees
    connections close cleanly."""
    services = services_of(app)
    settings, database = services.settings, services.settings.database
    logger.info("starting: environment=%s database=%s tls=%s pgbouncer=%s pool=%d+%d docs=%s cors_origins=%d",
                settings.environment.value, database.safe_description, database.tls_description, database.pgbouncer,
                *settings.pool_limits, settings.docs_are_enabled, len(settings.cors_origins))
    # Everything allocated so far (modules, routes, schemas: ~100k objects) lives as long as the process. Moved out
    # of the collector's reach, a full collection no longer walks it: ~200 ms pauses under load otherwise (ADR 0018).
    gc.freeze()
    try:
        yield
    finally:
        await services.engine.dispose()
        logger.info("stopped: database connections closed")


def create_app(settings: Settings) -> FastAPI:
    docs = settings.docs_are_enabled
    if docs and settings.is_production:
        # Allowed (the spec permits authorized docs) but never by accident: say so where operators look (ADR 0011).
        logger.warning("DOCS_ENABLED=true in production: /docs, /redoc and /openapi.json are public")
    app = FastAPI(
        title="Tasks API",
        description=API_DESCRIPTION,
        version=settings.version or "dev",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        debug=False,
        # FastAPI's native OpenTelemetry stays off: no SDK is installed here, and even unconfigured it looked up three
        # global providers on every request (7.6 µs, ~1 % of the task list's CPU; ADR 0018). Turn it on here once a
        # tracer or meter provider is configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = Services.from_settings(settings)  # read back by backend.dependencies.services_of only
    install_error_handlers(app)
    app.include_router(health.router)
    # Unknown query parameters are a 422 on the task routes only (checked by their token dependency,
    # backend.strict_query): /health stays as Railway and uptime monitors call it (a cache-busting query is harmless).
    app.include_router(tasks.router, responses=TASK_ERROR_RESPONSES)

    # Added innermost first: CORS must see every response, including the 413 from the size limit and the 500 of
    # a fault.
    app.add_middleware(FaultBarrier)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, read_timeout=settings.request_body_timeout)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_origin_regex=settings.cors_origin_regex,
        allow_credentials=True,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        max_age=CORS_MAX_AGE_SECONDS,
    )
    app.add_middleware(SecurityHeaders)
    return app


def create_app_from_environment() -> FastAPI:
    """Entry point for uvicorn ``--factory``: settings come from the environment or the process exits(2)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s - %(message)s")
    install_access_log_redaction()
    return create_app(load_settings())
