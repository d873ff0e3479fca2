"""The OpenAPI schema publishes what validation does (issue 9 item 8; ADR 0017): the title's pattern is the
title validator's rule, stripping before the length check included, so a client (or Schemathesis) that trusts
the schema is never surprised by a 422 or an accepted value.
"""

from __future__ import annotations

import re
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from backend.main import create_app
from backend.schemas import DESCRIPTION_PATTERN, TITLE_MAX, TITLE_PATTERN, WHITESPACE, TaskCreate
from tests.backend.conftest import make_settings

EDGE_CASES = ["a", "", " ", "\x00", " a ", "a\x00", "\u3000a\u3000", "\u200ba", "\x1ca", "a" * TITLE_MAX,
              "a" * (TITLE_MAX + 1), " " * 50 + "a" * TITLE_MAX + "\n" * 50, "a" + " " * (TITLE_MAX - 2) + "a",
              "a" + " " * (TITLE_MAX - 1) + "a", "a\n", "\na"]


def accepted(title: str) -> bool:
    try:
        TaskCreate(title=title)
    except ValidationError:
        return False
    return True


def published(title: str) -> bool:
    return re.search(TITLE_PATTERN, title) is not None


@pytest.mark.parametrize("title", EDGE_CASES)
def test_the_title_pattern_accepts_exactly_what_the_validator_accepts(title: str) -> None:
    assert published(title) == accepted(title)


@settings(database=None)  # nothing written to the working copy
@given(st.text(st.sampled_from([*WHITESPACE, "a", "\x00", "é", "\u200b", "\x1c", "\ufeff"]), max_size=TITLE_MAX + 20))
def test_any_title_is_published_as_valid_exactly_when_it_is_accepted(title: str) -> None:
    assert published(title) == accepted(title)


def test_a_title_is_stored_without_its_surrounding_whitespace() -> None:
    assert TaskCreate(title="\u3000 Buy milk\n").title == "Buy milk"


def test_the_schema_carries_the_patterns() -> None:
    properties = TaskCreate.model_json_schema()["properties"]

    assert properties["title"]["pattern"] == TITLE_PATTERN
    assert properties["description"]["anyOf"][0]["pattern"] == DESCRIPTION_PATTERN
    assert "whitespace" in properties["title"]["description"]


def test_the_openapi_schema_documents_413_422_503_on_every_task_operation_and_405s_allow() -> None:
    settings = make_settings("postgresql://nobody@127.0.0.1:1/none", secrets.token_urlsafe(48))
    schema = create_app(settings).openapi()
    operations = [(method, path, operation) for path, methods in schema["paths"].items()
                  for method, operation in methods.items() if path.startswith("/api/")]

    assert len(operations) == 6
    for method, path, operation in operations:
        assert {"413", "422", "503"} <= set(operation["responses"]), (method, path)
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ValidationErrorBody"}
    assert set(schema["components"]["schemas"]["InvalidInput"]["properties"]) == {"type", "loc", "msg"}
    assert "`Allow` lists every method" in schema["info"]["description"]
