"""Deep health check (FR-005, US2 scenario 1): 200 only after a real database round trip.

Decision: history/adr/0009-deep-health-check.md. No auth, and nothing in the body that helps an attacker:
no host names, no driver versions, no error text.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from backend.database import probe_database
from backend.dependencies import EngineDep, SettingsDep
from backend.schemas import HealthBody

router = APIRouter(tags=["health"])


@router.head("/health", include_in_schema=False)  # same check; listed once so operation ids stay unique
@router.get(
    "/health",
    response_model=HealthBody,
    responses={503: {"model": HealthBody, "description": "The database did not answer in time"}},
    summary="Deep health check",
    description="200 only after a real round trip to the database; 503 while it is unreachable. No sign-in needed.",
)
async def health(settings: SettingsDep, engine: EngineDep, response: Response) -> HealthBody:
    probe = await probe_database(engine, settings.health_timeout)
    response.headers["Cache-Control"] = "no-store"
    if not probe.reachable:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthBody(
        status="ok" if probe.reachable else "unavailable",
        database="ok" if probe.reachable else "unreachable",
        environment=settings.environment.value,
        version=settings.version,
        database_latency_ms=probe.latency_ms,
    )
