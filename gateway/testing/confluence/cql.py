"""The CQL the simulator's two searches understand: clauses joined by AND, nothing else.

`/rest/api/content/search` (rest_content.py) and `/rest/api/search` (rest_users.py) each know
their own clauses; what a query is made of (clauses, `AND` between them, no OR, NOT or brackets)
and how a quoted value escapes its characters are the same for both, so they are read here.
"""

from __future__ import annotations

import re

__all__ = ["clauses", "unescape"]

_AND = re.compile(r"AND\s+", re.IGNORECASE)


def clauses(cql: str, clause: re.Pattern[str]) -> dict[str, str] | None:
    """The query's clauses by kind, or None when it is anything but clauses joined by AND.

    `clause` matches one clause with the spaces around it and names its value after the kind of
    clause (`(?P<title>...)`); values come unescaped, and of two clauses of a kind the later wins."""
    found: dict[str, str] = {}
    position = 0
    while True:
        match = clause.match(cql, position)
        if match is None:
            return None
        found.update(
            (kind, unescape(value)) for kind, value in match.groupdict().items() if value is not None
        )
        position = match.end()
        if position == len(cql):
            return found
        joined = _AND.match(cql, position)
        if joined is None:
            return None
        position = joined.end()


def unescape(text: str) -> str:
    """A quoted value's text: a backslash takes the next character as it is (`\\"` is `"`)."""
    return re.sub(r"\\(.)", r"\1", text)
