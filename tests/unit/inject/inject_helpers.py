"""Helpers shared by the injection tests: fixture pages, backends, a stripper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.onlyoffice.links.inject.lol import available

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path("/work/shared/fixtures/confluence-html")
REAL_EMBEDDED_IMAGES = "jenkinswiki-wikicontent-embedded-images.html"

_INSERTED = re.compile(
    rb' <span class="onlyoffice-links" data-onlyoffice="links" data-attachment-id="[0-9]+">.*?</a></span>'
    rb'|<script src="[^"]*" defer data-onlyoffice="script" data-onlyoffice-messages="[^"]*"></script>'
)

BACKENDS = ["python", pytest.param("lolhtml", marks=pytest.mark.skipif(not available(), reason="no lolhtml"))]


def strip_inserted(page: bytes) -> bytes:
    """The page with everything the injector inserts removed (must equal the original)."""
    return _INSERTED.sub(b"", page)


def fixture_page(name: str) -> bytes:
    if name == REAL_EMBEDDED_IMAGES:
        path = SHARED / name
        if not path.exists():
            pytest.skip("shared fixture not present")
        return path.read_bytes()
    return (FIXTURES / name).read_bytes()
