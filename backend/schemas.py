"""Request and response bodies. Unknown fields are rejected so a typo is a 422, not silently ignored data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

TITLE_MAX = 200
DESCRIPTION_MAX = 1000

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]


def _no_nul(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; refuse it here as bad input rather than fail in the driver."""
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[Title, AfterValidator(_no_nul)]
    description: Annotated[Description | None, AfterValidator(_no_nul)] = None


class TaskUpdate(TaskCreate):
    completed: bool | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    # asyncpg decodes timestamptz as UTC-aware datetimes and pydantic writes UTC as "…Z": ISO-8601 UTC with no
    # per-value Python serializer (one cost 5% of the list route's CPU in `make bench`'s profile).
    updated_at: datetime


class ErrorBody(BaseModel):
    detail: str | list[dict[str, object]] = Field(description="What went wrong, never a stack trace.")


class HealthBody(BaseModel):
    status: str
    database: str
    environment: str
    version: str | None
    database_latency_ms: float | None
