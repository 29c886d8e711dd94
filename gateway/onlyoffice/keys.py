"""Document keys: the id the Document Server uses for a co-editing session.

A key must be the same for everyone editing the same revision and new after every save
(reference/documentserver-protocol.md sections 1.2 and 8.2), unique across every integrator that
shares the Document Server, at most 128 characters of `0-9 a-z A-Z - . _ =`. It is a SHA-256 of the
instance (the public URL), the attachment id and the Confluence version, so it is stable across
gateway replicas and restarts (unlike Python's `hash()`), and a new version gives a new key.
"""

from __future__ import annotations

import base64
import hashlib
import re

__all__ = ["KEY_PATTERN", "document_key", "is_valid_key"]

KEY_PATTERN = re.compile(r"^[0-9A-Za-z\-._=]{1,128}$")
_KEY_LENGTH = 40


def document_key(instance: str, attachment_id: str, version: int) -> str:
    """The key for `attachment_id` at Confluence `version`, within `instance` (the public URL)."""
    digest = hashlib.sha256(f"{instance}\x00{attachment_id}\x00{version}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:_KEY_LENGTH]


def is_valid_key(key: str) -> bool:
    return bool(KEY_PATTERN.match(key))
