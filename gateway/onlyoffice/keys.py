"""Document keys: the id the Document Server uses for a co-editing session.

A key must be the same for everyone editing the same revision and new after every save
(reference/documentserver-protocol.md sections 1.2 and 8.2), unique across every integrator that
shares the Document Server, at most 128 characters of `0-9 a-z A-Z - . _ =`.

Our key is `<instance tag>_<attachment id>_<version>`: stable across replicas and restarts (no
Python `hash()`), new with every Confluence version, and readable back. When a save has used a
version's key and the versions it made were deleted since, Confluence is back at that version but
its key is spent: the Document Server opens a key saved less than five minutes ago read-only
("The file version has been changed", protocol §8.2). That version then reopens as
`<...>_<version>-<n>`, its n-th fresh key (`session_key` in saving/save.py). Reading it back matters:
when a save could not finish, the Document Server keeps the edited file as a "forgotten" file under
its key, and the gateway can find and finish such saves from the key alone, even after a restart
that lost every other trace. Keys are not secrets (opening an editor needs a signed config).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "KEY_PATTERN",
    "MAX_REOPENINGS",
    "KeyParts",
    "document_key",
    "instance_tag",
    "is_valid_key",
    "parse_key",
]

KEY_PATTERN = re.compile(r"^[0-9A-Za-z\-._=]{1,128}$")
_OUR_KEY = re.compile(r"^([a-z2-7]{10})_([0-9]{1,19})_([0-9]{1,9})(?:-([1-9][0-9]{0,3}))?$")
MAX_REOPENINGS = 9999  # fresh keys per version (four digits); each needs a save and a deletion


def instance_tag(instance: str) -> str:
    """Ten base32 characters naming this Confluence (its public URL) among a shared server's keys."""
    digest = hashlib.sha256(instance.rstrip("/").encode()).digest()
    return base64.b32encode(digest).decode("ascii")[:10].lower()


def document_key(instance: str, attachment_id: str, version: int, reopening: int = 0) -> str:
    """The key for `attachment_id` at Confluence `version`, within `instance` (the public URL);
    `reopening` n > 0 is the version's n-th fresh key, after saves spent the earlier ones."""
    if not 0 <= reopening <= MAX_REOPENINGS:
        raise ValueError(f"reopening {reopening} out of range")
    key = f"{instance_tag(instance)}_{attachment_id}_{version}"
    return f"{key}-{reopening}" if reopening else key


def is_valid_key(key: str) -> bool:
    return bool(KEY_PATTERN.match(key))


@dataclass(frozen=True, slots=True)
class KeyParts:
    attachment_id: str
    version: int
    reopening: int = 0


def parse_key(key: str, instance: str) -> KeyParts | None:
    """The attachment and version a key of this instance names; None for anyone else's key."""
    match = _OUR_KEY.match(key)
    if match is None or match.group(1) != instance_tag(instance):
        return None
    return KeyParts(
        attachment_id=match.group(2), version=int(match.group(3)), reopening=int(match.group(4) or 0)
    )
