"""File names users choose or are given: what may not be in them, and how they are sent back.

Names come from people (the create form, Download As) and from attachments; they end up in
Confluence titles and in `Content-Disposition` headers, so characters Windows refuses in file names,
control characters and bidirectional overrides (which can disguise an extension) are kept out.
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = ["FORBIDDEN_CHARACTERS", "INVISIBLE", "attachment_disposition", "name_problem"]

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


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` naming `filename` (RFC 6266): an ASCII `filename` for old
    clients and `filename*` with the UTF-8 name, percent-encoded, for all others."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
