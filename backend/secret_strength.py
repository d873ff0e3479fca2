"""How strong a shared secret must be before the service trusts tokens signed with it (ADR 0005, issue 9 item 13).

Length alone let ``"a" * 32`` through. A secret is refused when it is short, when it is one shorter piece repeated
(``passwordpassword…``), or when its characters carry too little information: the Shannon entropy of its own
character distribution, times its length, under ``MIN_ENTROPY_BITS``. That estimate is generous to a human-made
secret and never refuses a generated one: 32 hex characters from ``openssl rand -hex 16`` (128 random bits)
estimate at 90 bits or more, ``openssl rand -base64 32`` far above. It catches the obvious, not every weak secret.
"""

from __future__ import annotations

import math
from collections import Counter

MIN_SECRET_LENGTH = 32
MIN_ENTROPY_BITS = 80


def estimated_entropy_bits(secret: str) -> float:
    """Length × Shannon entropy of the secret's own character frequencies, in bits."""
    length = len(secret)
    return -sum(count * math.log2(count / length) for count in Counter(secret).values())


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak, without quoting it; None when it is acceptable."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters"
    if secret in (secret + secret)[1:-1]:  # true exactly when it is a shorter unit repeated
        return "is one short piece repeated; generate one with `openssl rand -base64 48`"
    if estimated_entropy_bits(secret) < MIN_ENTROPY_BITS:
        return ("uses too few distinct characters to be random (estimated entropy under "
                f"{MIN_ENTROPY_BITS} bits); generate one with `openssl rand -base64 48`")
    return None
