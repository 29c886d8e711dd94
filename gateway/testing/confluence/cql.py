"""The CQL the simulator's two searches understand: clauses joined by AND, nothing else.

`/rest/api/content/search` (rest_content.py) and `/rest/api/search` (rest_users.py) each know
their own clauses; what a query is made of (clauses, `AND` between them, no OR, NOT or brackets)
and how a quoted value escapes its characters are the same for both, so they are read here.
"""

from __future__ import annotations

import re

__all__ = ["clauses", "unescape"]

_AND = re.compile(r"AND\s+", re.IGNORECASE)


def clauses(cql: str, clause: re.Pattern[str]) -> list[re.Match[str]] | None:
    """The query's clauses in order, each a match of `clause` (which takes the spaces around it),
    or None when the query is anything but such clauses joined by AND."""
    found: list[re.Match[str]] = []
    position = 0
    while True:
        match = clause.match(cql, position)
        if match is None:
            return None
        found.append(match)
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
