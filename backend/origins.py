"""What a CORS origin and a CORS origin *pattern* may be (FR-004; history/adr/0006-cors-whitelist.md).

The pattern (``CORS_ORIGIN_REGEX``) is not tested against a few hostile strings: it is parsed with Python's own
regex parser and accepted only when its shape proves what it can match:

    https://  <literal host characters>  <at most one quantified [a-z0-9-] class>  <literal .suffix.tld>

Every variable part matches only ``[a-z0-9-]`` — never ``.``, ``/``, ``:`` or ``@`` — so a match is one DNS label
under the literal suffix, over https, on the default port. No alternation, no groups, no wildcard, no flags, at
most one quantifier (so no nested or adjacent quantifiers: matching is linear, no ReDoS). In production the suffix
must not be a shared hosting domain such as ``vercel.app``, where anyone can name a project ``<app>-anything``.
"""

from __future__ import annotations

import re
from re import _constants as sre  # the parser's vocabulary; stable since Python 3.11 (sre_constants before)
from re import _parser as sre_parse
from typing import Any

ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?")
LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
HOST_CHARACTERS = LABEL_CHARACTERS | {"."}
# Suffixes under which anyone can get a subdomain by naming a project: a pattern ending here is someone else's too.
SHARED_HOSTING_SUFFIXES = ("vercel.app", "now.sh", "netlify.app", "pages.dev", "workers.dev", "github.io",
                           "herokuapp.com", "up.railway.app", "onrender.com", "fly.dev", "web.app",
                           "firebaseapp.com", "amplifyapp.com", "azurewebsites.net", "cloudfront.net")
SCHEME = "https://"


class UnsafePattern(ValueError):
    """The pattern could match an origin outside the intended suffix, or match slowly."""


def normalize_origin(origin: str) -> str:
    """Browsers send ``Origin`` without a trailing slash; people paste URLs with one."""
    return origin.strip().rstrip("/")


def origin_problems(origin: str, production: bool) -> list[str]:
    if origin == "*":
        return ["CORS_ORIGINS: '*' is not allowed; list the exact frontend origins"]
    if not ORIGIN.fullmatch(origin):
        return [f"CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port], no path)"]
    if production and not origin.startswith("https://"):
        return [f"CORS_ORIGINS: {origin!r} must use https:// in production"]
    return []


def origin_regex_problems(pattern: str, production: bool) -> list[str]:
    try:
        suffix = checked_suffix(pattern)
    except UnsafePattern as error:
        return [f"CORS_ORIGIN_REGEX: {error}; safe form: https://<slug>-[a-z0-9-]+\\.<your-domain>\\.<tld>"]
    shared = next((name for name in SHARED_HOSTING_SUFFIXES if suffix == name or suffix.endswith("." + name)), None)
    if production and shared:
        return [f"CORS_ORIGIN_REGEX: anyone can create a host under {shared} (a project named <app>-anything); "
                "use a preview domain you own, or list exact origins in CORS_ORIGINS (README, ADR 0006)"]
    return []


def checked_suffix(pattern: str) -> str:
    """The literal domain a safe pattern's matches all end with; UnsafePattern says why there is none."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as error:
        raise UnsafePattern(f"not a valid regular expression ({error})") from None
    if parsed.state.flags & ~sre.SRE_FLAG_UNICODE:
        raise UnsafePattern("inline flags such as (?i) or (?x) are not allowed")
    items = list(parsed)
    if items and items[0] == (sre.AT, sre.AT_BEGINNING):
        items = items[1:]
    if items and items[-1] in ((sre.AT, sre.AT_END), (sre.AT, sre.AT_END_STRING)):
        items = items[:-1]
    atoms = [_atom(op, argument) for op, argument in items]  # a character, or None for the one variable part
    if atoms.count(None) > 1:
        raise UnsafePattern("at most one quantified part is allowed (more can backtrack: ReDoS)")
    literal = "".join(atom or "" for atom in atoms)
    if not literal.startswith(SCHEME) or (atoms and None in atoms[: len(SCHEME)]):
        raise UnsafePattern("it must start with the literal https://")
    if None not in atoms:  # one exact origin
        if not ORIGIN.fullmatch(literal):
            raise UnsafePattern("it is not an https origin")
        return literal.removeprefix(SCHEME)
    variable = atoms.index(None)
    prefix, suffix = "".join(atoms[len(SCHEME):variable]), "".join(atoms[variable + 1:])  # type: ignore[arg-type]
    if not set(prefix) <= HOST_CHARACTERS:
        raise UnsafePattern("the part before the variable may hold only host name characters")
    if not (suffix.startswith(".") and suffix.count(".") >= 2 and set(suffix) <= HOST_CHARACTERS
            and all(suffix.split(".")[1:])):
        raise UnsafePattern("after the variable part it must end with a literal domain such as \\.example\\.com")
    return suffix[1:]


def _atom(op: Any, argument: Any) -> str | None:
    """One parsed item as a literal character, or None for a quantified host-label class. Anything else: unsafe."""
    if op is sre.LITERAL:
        return chr(argument)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        _, _, body = argument
        if len(body) != 1 or body[0][0] not in (sre.LITERAL, sre.IN):
            raise UnsafePattern("a quantifier may apply to one character class only (no groups, no nesting)")
        if not _characters(*body[0]) <= LABEL_CHARACTERS:
            raise UnsafePattern("a quantified class may match only [a-z0-9-] (never '.', '/', ':' or '@')")
        return None
    if op is sre.IN:
        raise UnsafePattern("a character class must carry a quantifier, e.g. [a-z0-9-]+")
    if op is sre.ANY:
        raise UnsafePattern("an unescaped '.' matches any character; write \\.")
    if op is sre.BRANCH:
        raise UnsafePattern("alternation (|) is not allowed")
    if op is sre.SUBPATTERN:
        raise UnsafePattern("groups are not allowed")
    raise UnsafePattern(f"{str(op).lower()} is not allowed")


def _characters(op: Any, argument: Any) -> set[str]:
    """Every character a LITERAL or IN item can match; a negated set or a category (\\w, \\d) counts as all."""
    if op is sre.LITERAL:
        return {chr(argument)}
    found: set[str] = set()
    for kind, value in argument:
        if kind is sre.LITERAL:
            found.add(chr(value))
        elif kind is sre.RANGE:
            if value[1] - value[0] > 0x7F:
                return {"."}
            found.update(chr(code) for code in range(value[0], value[1] + 1))
        else:  # NEGATE, CATEGORY: unbounded
            return {"."}
    return found
