"""Last line of defence: nothing that looks like a credential reaches the report, the console or run.json.

The suite promises never to print tokens or secrets, but a failure message can quote a response or a URL.
Everything taken from the results passes through a ``Redactor`` before it is rendered; the suite's own one
(``steps.support.http.REDACT``) is told every secret and token of its run as they are made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",}]+")
URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+@", re.IGNORECASE)
MIN_SECRET_LENGTH = 8


class Redactor:
    """Replaces tokens, URL passwords, the current values of the given secret variables and every value added."""

    def __init__(self, secret_variables: Iterable[str] = ()) -> None:
        self.values: set[str] = set()
        for name in secret_variables:
            self.add(os.environ.get(name))

    def add(self, value: str | None) -> None:
        if value and len(value) >= MIN_SECRET_LENGTH:
            self.values.add(value)

    def __call__(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, "«redacted»")
        text = BEARER.sub(r"\1«redacted»", text)
        text = JWT.sub("«redacted JWT»", text)
        return URL_PASSWORD.sub(r"\1«redacted»@", text)
