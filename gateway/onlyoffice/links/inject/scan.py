"""Find every attachment a Confluence page shows, and where links for it may go.

Where links go: in a row, right after the row's first `a.filename` element; for an embedded file
or image, right after its `span.confluence-embedded-file-wrapper` (else right after the `a`/`img`
itself); in a row's actions dropdown (`div.aui-dropdown2` inside the row), right after the start
tag of its first `ul` (menu items, first as the plugin's low web-item weights put them); the script
before `</head>` (else `</body>`). The vocabulary is in `vocabulary.py`.

Two scanners produce the same `PageScan`: lol-html (`lol.py`, fast, the default) and a pure-Python
one (`pyscan.py`), used when python-lolhtml is missing or raises.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Literal

from gateway.onlyoffice.links.inject import lol
from gateway.onlyoffice.links.inject.model import AttachmentReference, PageScan
from gateway.onlyoffice.links.inject.pyscan import scan_with_python
from gateway.onlyoffice.links.inject.vocabulary import MARKER_ATTRIBUTE

__all__ = ["MARKER_ATTRIBUTE", "Backend", "find_references", "scan_page", "scan_with_python"]

_log = logging.getLogger(__name__)

Backend = Literal["auto", "lolhtml", "python"]


def _to_characters(scan: PageScan, encoded: bytes) -> PageScan:
    """Turn a scan's byte offsets into character offsets of the decoded document."""
    offsets = sorted(
        {ref.insert_at for ref in scan.references if ref.insert_at is not None}
        | {ref.menu_at for ref in scan.references if ref.menu_at is not None}
        | ({scan.script_at} if scan.script_at is not None else set())
        | ({scan.upload_at} if scan.upload_at is not None else set())
    )
    mapping: dict[int, int] = {}
    position = characters = 0
    for offset in offsets:
        characters += len(encoded[position:offset].decode("utf-8"))
        mapping[offset] = characters
        position = offset
    return replace(
        scan,
        references=tuple(
            replace(
                ref,
                insert_at=None if ref.insert_at is None else mapping[ref.insert_at],
                menu_at=None if ref.menu_at is None else mapping[ref.menu_at],
            )
            for ref in scan.references
        ),
        script_at=None if scan.script_at is None else mapping[scan.script_at],
        upload_at=None if scan.upload_at is None else mapping[scan.upload_at],
        length=characters + len(encoded[position:].decode("utf-8")),
    )


def scan_page(document: bytes | str, *, backend: Backend = "auto") -> PageScan:
    """One pass over a page: its attachment references, its meta, and what was injected before.

    `backend` "auto" uses lol-html when python-lolhtml is installed and falls back to the
    pure-Python scanner when it is missing or fails; both give the same scan. Offsets are byte
    offsets for bytes and character offsets for str.
    """
    if backend == "python":
        return scan_with_python(document)
    if backend == "lolhtml" or lol.available():
        try:
            if isinstance(document, bytes):
                return lol.scan_with_lolhtml(document)
            encoded = document.encode("utf-8")
            return _to_characters(lol.scan_with_lolhtml(encoded), encoded)
        except Exception as error:
            if backend == "lolhtml":
                raise
            _log.warning("lol-html scan failed (%s); using the pure-Python scanner", type(error).__name__)
    return scan_with_python(document)


def find_references(document: bytes | str, *, backend: Backend = "auto") -> list[AttachmentReference]:
    """Every attachment the page shows, in document order (an id may appear more than once)."""
    return list(scan_page(document, backend=backend).references)
