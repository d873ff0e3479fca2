"""From configuration that does not validate to one log line naming every variable at fault (never its value),
and a refusal to start: what Railway's deploy log shows when a variable is missing or malformed (ADR 0005)."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from backend.settings import Settings, env_name

logger = logging.getLogger("backend.settings")


def load_settings() -> Settings:
    """Read the environment; on any problem log one message naming every variable at fault and exit(2).

    Raising SystemExit before uvicorn binds the port means Railway sees a failed deploy with a readable log line,
    not a traceback wall and not a half-configured service.
    """
    try:
        return Settings()
    except ValidationError as error:
        problems = configuration_problems(error)
        logger.critical("Configuration error, refusing to start (%d problem%s):\n  - %s",
                        len(problems), "" if len(problems) == 1 else "s", "\n  - ".join(problems))
        raise SystemExit(2) from None


def configuration_problems(error: ValidationError) -> list[str]:
    """All problems, not just the first layer: a malformed variable stops pydantic before the cross-field rules
    run, so validate once more with the malformed fields at their defaults and add what that finds."""
    problems = _describe(error)
    malformed = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
    if malformed & set(Settings.model_fields):
        defaults = {name: Settings.model_fields[name].get_default(call_default_factory=True)
                    for name in malformed if name in Settings.model_fields}
        try:
            Settings(**defaults)
        except ValidationError as second:
            reported = {line.split(":", 1)[0] for line in problems}
            problems += [line for line in _describe(second) if line.split(":", 1)[0] not in reported]
    return problems


def _describe(error: ValidationError) -> list[str]:
    """One line per problem, naming the variable, never echoing its value."""
    problems: list[str] = []
    for item in error.errors(include_input=False, include_url=False):
        if item["loc"]:
            field_name = str(item["loc"][0])
            variable = env_name(field_name) if field_name in Settings.model_fields else field_name.upper()
            problems.append(f"{variable}: {item['msg']}")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.extend(part for part in message.split("\n") if part)
    return problems
