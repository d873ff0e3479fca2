"""Request and response bodies. Unknown fields are rejected so a typo is a 422, not silently ignored data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from typing_extensions import TypedDict

TITLE_MAX = 200
DESCRIPTION_MAX = 1000
USER_ID_MAX = 128  # the tasks.user_id column's length
TASK_ID_MAX = 2**63 - 1  # tasks.id is a BIGINT identity starting at 1

# Path parameters that reach the database, defined once for every route. A value no row can have is invalid input
# (422, like a non-integer id), never a driver error: an id past int64 used to be a 500 (issue 9 item 5, ADR 0017).
TaskId = Annotated[int, Path(ge=1, le=TASK_ID_MAX, description="A task id: an integer from 1 to 2^63-1.")]
UserId = Annotated[str, Path(min_length=1, max_length=USER_ID_MAX, pattern=r"^[^\x00-\x1f\x7f]+$",
                             description="Must equal the token's `sub`; 1-128 characters, no control characters.")]

# Unicode White_Space: what a title loses at both ends *before* its length is checked ("  x  " is the title "x";
# "   " is blank). Spelled out once, so the validator and the pattern the OpenAPI schema publishes are one rule
# (issue 9 item 8: Schemathesis sends whatever the schema allows and checks the answer).
WHITESPACE = "".join(map(chr, [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                               0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))


def _char_class(characters: str, *, negated: bool = False) -> str:
    """A regex class in ``\\uXXXX`` escapes, read alike by ECMA-262 (JSON Schema), Python's re and Rust's regex."""
    codes, runs = sorted(map(ord, characters)), []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    ranges = (f"\\u{low:04x}" + (f"-\\u{high:04x}" if high > low else "") for low, high in runs)
    return "[" + "^" * negated + "".join(ranges) + "]"


_SPACE, _EDGE, _ANY = _char_class(WHITESPACE), _char_class(WHITESPACE + "\x00", negated=True), r"[^\u0000]"
# Optional whitespace, then 1-200 characters without NUL that begin and end with a non-whitespace one, then
# optional whitespace: exactly what ``_title`` accepts.
TITLE_PATTERN = f"^{_SPACE}*{_EDGE}(?:{_ANY}{{0,{TITLE_MAX - 2}}}{_EDGE})?{_SPACE}*$"
DESCRIPTION_PATTERN = f"^{_ANY}*$"


def _storable(value: str) -> str:
    """PostgreSQL text is UTF-8 without NUL: refuse NUL and lone surrogates (``"\\ud800"`` is valid JSON but no
    Unicode text) here as bad input, rather than fail in the driver with a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be Unicode text (no lone surrogates)") from None
    return value


def _title(value: str) -> str:
    value = _storable(value).strip(WHITESPACE)
    if not value:
        raise ValueError("must not be blank")
    if len(value) > TITLE_MAX:
        raise ValueError(f"must be at most {TITLE_MAX} characters once surrounding whitespace is removed")
    return value


Title = Annotated[str, AfterValidator(_title), Field(
    json_schema_extra={"pattern": TITLE_PATTERN},
    description=f"1-{TITLE_MAX} characters once leading and trailing whitespace (Unicode White_Space) is removed, "
                "which is what is stored; no NUL.",
)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX), AfterValidator(_storable), Field(
    json_schema_extra={"pattern": DESCRIPTION_PATTERN},
    description=f"At most {DESCRIPTION_MAX} characters, stored as sent; no NUL.",
)]


class TaskCreate(BaseModel):
    # strict: a JSON value of the wrong type is a 422, as the schema says ("1" is no boolean, 1 is no string).
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    description: Description | None = None


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


# The task list's JSON, written straight from the rows by TaskRead's own field types: the bytes FastAPI's response
# model would send (tests/backend/test_task_list_json.py), without validating 20 dicts into models first (~10 % of
# the list route's CPU, ADR 0018). ``warnings="error"``: a value of the wrong type is a 500, as a failed response
# validation would be, never silently other JSON.
_TASK_LIST = TypeAdapter(list[TypedDict("TaskFields", {  # type: ignore[misc]
    name: field.annotation for name, field in TaskRead.model_fields.items()})])


def task_list_json(rows: list[Mapping[str, Any]]) -> bytes:
    return _TASK_LIST.dump_json(rows, warnings="error")


class InvalidInput(BaseModel):
    type: str = Field(description="Pydantic's error type, e.g. `missing`, `extra_forbidden`, `json_invalid`.")
    loc: list[str | int] = Field(description="Where: `body`, `path`, `query`, then the field.")
    msg: str


class ValidationErrorBody(BaseModel):
    detail: list[InvalidInput] = Field(description="The problems found (the first 20); rejected values are never "
                                                   "echoed.")


class ErrorBody(BaseModel):
    detail: str | list[dict[str, object]] = Field(description="What went wrong, never a stack trace.")


class HealthBody(BaseModel):
    status: str
    database: str
    environment: str
    version: str | None
    database_latency_ms: float | None
