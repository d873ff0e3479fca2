"""Last line of defence: nothing that looks like a credential reaches the report.

The suite promises never to print tokens or secrets, but a failure message can quote a response or a URL.
Everything taken from the results passes through ``redact`` before it is rendered.
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
    """Replaces tokens, URL passwords and the current values of the given secret variables."""

    def __init__(self, secret_variables: Iterable[str] = ()) -> None:
        self.values = sorted(
            {value for name in secret_variables if len(value := os.environ.get(name, "")) >= MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "«redacted»")
        text = BEARER.sub(r"\1«redacted»", text)
        text = JWT.sub("«redacted JWT»", text)
        return URL_PASSWORD.sub(r"\1«redacted»@", text)
