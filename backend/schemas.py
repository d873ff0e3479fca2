"""Request and response bodies. Unknown fields are rejected so a typo is a 422, not silently ignored data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

TITLE_MAX = 200
DESCRIPTION_MAX = 1000
USER_ID_MAX = 128  # the tasks.user_id column's length
TASK_ID_MAX = 2**63 - 1  # tasks.id is a BIGINT identity starting at 1

# Path parameters that reach the database, defined once for every route. A value no row can have is invalid input
# (422, like a non-integer id), never a driver error: an id past int64 used to be a 500 (issue 9 item 5, ADR 0017).
TaskId = Annotated[int, Path(ge=1, le=TASK_ID_MAX, description="A task id: an integer from 1 to 2^63-1.")]
UserId = Annotated[str, Path(min_length=1, max_length=USER_ID_MAX, pattern=r"^[^\x00-\x1f\x7f]+$",
                             description="Must equal the token's `sub`; 1-128 characters, no control characters.")]

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
