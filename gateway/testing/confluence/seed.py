"""The `demo` seed (PRODUCT.md) and the `empty` seed.

Users admin/alice/bob with fixed PATs, space DEMO with the "Welcome" page holding real files from
`gateway.testing.documents`, the attachments macro and embedded files.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from gateway.testing.confluence.store import Store
from gateway.testing.documents import DocumentError, demo_files, media_type

__all__ = ["DEMO_USERS", "DemoUser", "apply_seed", "media_type_of", "png_image"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    locale: str
    token: str
    groups: tuple[str, ...]


DEMO_USERS = (
    DemoUser(
        "admin",
        "admin",
        "Administrator",
        "en_GB",
        "demo-pat-admin-0000000000000000000000000000",
        ("confluence-administrators", "confluence-users"),
    ),
    DemoUser(
        "alice",
        "alice",
        "Alice Example",
        "en_GB",
        "demo-pat-alice-0000000000000000000000000000",
        ("confluence-users",),
    ),
    DemoUser(
        "bob",
        "bob",
        "Bob Example",
        "de_DE",
        "demo-pat-bob-00000000000000000000000000000000",
        ("confluence-users",),
    ),
)

_FALLBACK_TYPES = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "png": "image/png",
}

WELCOME_BODY = (
    "Welcome to the demo space.\n\n"
    "The files below are attached to this page. Open the attachments page from the \u2026 menu to "
    "upload more."
)


def media_type_of(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    try:
        return media_type(ext)
    except DocumentError:
        return _FALLBACK_TYPES.get(ext, "application/octet-stream")


def png_image(width: int = 48, height: int = 32, rgb: tuple[int, int, int] = (32, 80, 129)) -> bytes:
    """A small valid PNG made here (no binary blobs from elsewhere), for the embedded-image markup."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def apply_seed(store: Store, seed: str) -> None:
    """Fill a fresh store; `empty` leaves it empty, `demo` builds the PRODUCT.md content."""
    if seed == "empty":
        return
    if seed != "demo":
        raise ValueError(f"unknown seed {seed!r} (expected 'demo' or 'empty')")
    for demo in DEMO_USERS:
        store.add_user(
            demo.username,
            demo.password,
            demo.display_name,
            locale=demo.locale,
            groups=demo.groups,
            token=demo.token,
        )
    store.add_space("DEMO", "Demo")
    store.grant("DEMO", "group:confluence-administrators", "admin")
    store.grant("DEMO", "user:admin", "admin")
    store.grant("DEMO", "user:alice", "view", "edit", "attach", "comment")
    store.grant("DEMO", "user:bob", "view")
    page = store.add_page("DEMO", "Welcome", body=WELCOME_BODY, by="admin")
    for name, data in demo_files().items():
        store.add_attachment(
            page.id, name, data, media_type_of(name), by="admin", comment="Demo file", minor_edit=True
        )
    store.add_attachment(page.id, "diagram.png", png_image(), "image/png", by="admin", minor_edit=True)
    page.embedded = [
        name for name in ("report.docx", "diagram.png") if store.attachment_by_name(page.id, name)
    ]
    store.save()
