"""What the injector finds in a Confluence page and what it is told to insert.

Plain frozen data, shared by the scanners, the splicer and the plugin's response filter. Ids are
kept as strings of ASCII digits (Confluence's attachment and page ids); anything else is ignored by
the scanners, so a value in here has already been checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gateway.onlyoffice.rules import Offer

__all__ = [
    "AttachmentLinks",
    "AttachmentReference",
    "PageMeta",
    "PageScan",
    "ReferenceKind",
]

ReferenceKind = Literal["row", "file", "image"]


@dataclass(frozen=True, slots=True)
class AttachmentReference:
    """One place where the page shows an attachment.

    `kind` is "row" (attachments page / attachments macro), "file" (embedded file,
    `a.confluence-embedded-file`) or "image" (`img.confluence-embedded-image`). `page_id` is the
    attachment's container as the markup says (the macro's `pageId` parameter for rows, which may
    differ from the viewed page; `data-linked-resource-container-id` for embedded ones), None if the
    markup does not say. `insert_at` is the offset (in the scanned document's units: bytes for bytes,
    characters for str) where links for this reference go, None when there is no safe place.
    `menu_at` (rows only) is the offset just inside the row's actions dropdown list
    (`div.aui-dropdown2 ul`, the plugin's `system.attachment` web-items live there), None when the
    row's dropdown is not in the markup (AUI or React may create it later; the script covers that).
    """

    attachment_id: str
    kind: ReferenceKind
    filename: str | None = None
    page_id: str | None = None
    version: int | None = None
    insert_at: int | None = field(default=None, compare=False)
    menu_at: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PageMeta:
    """The page's own `<meta name="ajs-...">` facts (what Confluence rendered, for whom).

    The XSRF token (`ajs-atl-token`) is deliberately not collected: nothing server-side needs it and
    it is a secret that should not travel into logs or reports.
    """

    page_id: str | None = None
    space_key: str | None = None
    context_path: str | None = None
    remote_user: str | None = None
    remote_user_key: str | None = None
    user_locale: str | None = None

    @property
    def is_confluence(self) -> bool:
        """True when the page carried Confluence's `ajs-context-path` meta tag (every page does)."""
        return self.context_path is not None


@dataclass(frozen=True, slots=True)
class PageScan:
    """Everything one pass over a page learns; `inject_links` reuses it instead of scanning again."""

    references: tuple[AttachmentReference, ...]
    meta: PageMeta
    # Attachments container / table present: Confluence may re-render it by AJAX (rendermacro.action).
    has_attachments_container: bool
    # Attachment ids that already carry links from an earlier pass (idempotence).
    injected_ids: frozenset[str]
    # Our script tag is already in the page.
    has_script: bool
    # Offset just before `</head>` (else `</body>`), None for fragments without either.
    script_at: int | None
    # Length of the scanned document, to catch a scan being reused on another document.
    length: int
    # Offset just inside the first `div.plugin_attachments_upload_container` (the "New document"
    # control goes there), None when the page has no upload area.
    upload_at: int | None = None
    # The "New document" control is already in the page (an earlier pass).
    has_create_control: bool = False

    @property
    def attachment_ids(self) -> list[str]:
        """Distinct attachment ids, in document order (what the filter asks Confluence about)."""
        return list(dict.fromkeys(ref.attachment_id for ref in self.references))

    @property
    def relevant(self) -> bool:
        """Whether the page shows anything the browser script works on."""
        return bool(self.references) or self.has_attachments_container


@dataclass(frozen=True, slots=True)
class AttachmentLinks:
    """Which links to show for one attachment: `mode` edit/view/None, `convert` target or None,
    `download` whether Download As is offered."""

    mode: Literal["edit", "view"] | None
    convert: str | None = None
    download: bool = False

    @classmethod
    def from_offer(cls, offer: Offer) -> AttachmentLinks:
        return cls(mode=offer.mode, convert=offer.convert_to, download=bool(offer.download_to))

    @property
    def anything(self) -> bool:
        return self.mode is not None or self.convert is not None or self.download
