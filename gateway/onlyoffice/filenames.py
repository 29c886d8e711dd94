"""File names users choose or are given: what may not be in them, and how they are sent back.

Names come from people (the create form, Download As) and from attachments; they end up in
Confluence titles and in `Content-Disposition` headers, so characters Windows refuses in file names,
control characters and bidirectional overrides (which can disguise an extension) are kept out.
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = [
    "FORBIDDEN_CHARACTERS",
    "INVISIBLE",
    "MAX_NAME",
    "attachment_disposition",
    "name_problem",
    "safe_filename",
]

# What the plugin refuses in a Download As name (and what Windows refuses in any file name).
FORBIDDEN_CHARACTERS = '\\/":?*<|>'
# Control characters and bidirectional overrides: invisible, and able to disguise an extension.
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_NAME = 200  # Confluence stores titles up to 255 characters; names in headers stay short too


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a file name, in words for the user; None when it can."""
    if not name.strip():
        return "Enter a file name."
    if any(character in FORBIDDEN_CHARACTERS for character in name):
        return 'A file name cannot contain any of these characters: \\ / " : ? * < | >'
    if INVISIBLE.search(name):
        return "A file name cannot contain control or text-direction characters."
    if len(name) > MAX_NAME:
        return f"A file name can have at most {MAX_NAME} characters."
    return None


_SEPARATORS = str.maketrans({"/": "_", "\\": "_"})


def safe_filename(name: str, default: str = "document") -> str:
    """`name` made harmless wherever it goes (a header, a Confluence title, a saved file): no control
    or text-direction characters, no path separators, no lone surrogates, at most MAX_NAME
    characters with the extension kept; `default` when nothing is left. For names that were not
    checked with `name_problem` (Confluence's titles), and as a last line before a header."""
    cleaned = INVISIBLE.sub("", name).translate(_SEPARATORS)
    cleaned = cleaned.encode("utf-8", "ignore").decode("utf-8").strip()  # drops lone surrogates
    if len(cleaned) > MAX_NAME:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and stem and len(extension) <= 10:
            cleaned = stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            cleaned = cleaned[:MAX_NAME].rstrip()
    return cleaned if cleaned.strip(".") else default


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` naming `filename` (RFC 6266): an ASCII `filename` for old
    clients and `filename*` with the UTF-8 name, percent-encoded, for all others. Whatever the
    name holds (CR/LF, NUL, U+202E, separators, thousands of characters), the header stays one
    well-formed line of printable ASCII."""
    filename = safe_filename(filename, "download")
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
