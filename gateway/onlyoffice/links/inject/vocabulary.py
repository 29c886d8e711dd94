"""Confluence's attachment vocabulary, and the scan state both scanners fill in the same way.

Reference confluence.md section 3: attachment rows of the Attachments page and of the attachments
macro (`tr.attachment-row`, `a.filename`, the macro's hidden `fieldset` with its `pageId`),
embedded files and images (`data-linked-resource-*`), and the page's `ajs-*` meta tags. Anything
that does not match exactly (non-digit ids, external images, unknown markup) is ignored, so a
Confluence upgrade that changes the markup means "no links", never a broken page.

The two scanners (lol-html in `lol.py`, pure Python in `pyscan.py`) only walk the document; every
decision is made here, by the same methods called in the same order, so their scans are equal.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from gateway.onlyoffice.links.inject.model import AttachmentReference, PageMeta, PageScan, ReferenceKind

__all__ = ["MARKER_ATTRIBUTE", "WRAPPER_CLASS", "Scanner", "classes"]

# Every element the injector inserts carries this attribute (idempotence, and so the browser
# script knows the server already did the work).
MARKER_ATTRIBUTE = "data-onlyoffice"
WRAPPER_CLASS = "confluence-embedded-file-wrapper"

_DIGITS = re.compile(r"[0-9]{1,19}")
_ASCII_SPACE = re.compile(r"[\t\n\f\r ]+")
_META_FIELDS = {
    "ajs-page-id": "page_id",
    "ajs-space-key": "space_key",
    "ajs-context-path": "context_path",
    "ajs-remote-user": "remote_user",
    "ajs-remote-user-key": "remote_user_key",
    "ajs-user-locale": "user_locale",
}


def digits(value: str | None) -> str | None:
    return value if value is not None and _DIGITS.fullmatch(value) else None


def classes(attrs: dict[str, str]) -> list[str]:
    """Class tokens, split on ASCII whitespace only (as HTML and CSS selectors do)."""
    return _ASCII_SPACE.split(attrs.get("class", ""))


def _filename_from_href(href: str | None) -> str | None:
    """Last path segment of a `/download/attachments/<page>/<name>` URL, URL-decoded."""
    if not href:
        return None
    path = urlsplit(href).path
    if "/download/attachments/" not in path:
        return None
    return unquote(path.rsplit("/", 1)[-1]) or None


class Scanner:
    """What a reader of the page remembers, and the vocabulary decisions (shared by both scanners)."""

    def __init__(self) -> None:
        self.refs: list[AttachmentReference] = []
        self.offsets: dict[int, int] = {}  # reference index -> insertion offset, once known
        self.names: dict[int, str | None] = {}  # reference index -> filename learnt later
        self.meta: dict[str, str] = {}
        self.container = False
        self.container_page_id: str | None = None
        self.row_index: int | None = None  # reference of the attachment row last started
        self.row_linked = False  # that row's a.filename was already seen
        self.row_menu = False  # that row's actions dropdown list was already seen
        self.menus: dict[int, int] = {}  # reference index -> offset inside its dropdown list
        # Wrapper spans in document order: [reference index or None, offset after its end or None].
        self.wrappers: list[list[int | None]] = []
        self.injected: set[str] = set()
        self.has_script = False
        self.upload_seen = False  # the first upload area was seen (only that one gets the control)
        self.upload_at: int | None = None
        self.has_create = False
        self.head_end: int | None = None
        self.body_end: int | None = None

    def tr_start(self) -> None:
        """Any <tr> ends the previous row's chance of getting its a.filename."""
        self.row_index = None
        self.row_linked = False
        self.row_menu = False

    def meta_tag(self, attrs: dict[str, str]) -> None:
        field = _META_FIELDS.get(attrs.get("name", ""))
        if field is not None and field not in self.meta:
            self.meta[field] = attrs.get("content", "")

    def container_start(self) -> None:
        self.container = True
        self.container_page_id = None

    def page_id_param(self, attrs: dict[str, str]) -> None:
        """The attachments macro's hidden `pageId` parameter (the first one counts)."""
        if self.container_page_id is None:
            self.container_page_id = digits(attrs.get("value"))

    def marker(self, name: str, attrs: dict[str, str]) -> None:
        if name == "script":
            self.has_script = True
        if attrs.get(MARKER_ATTRIBUTE) == "create":
            self.has_create = True
        attachment_id = digits(attrs.get("data-attachment-id"))
        if attachment_id is not None:
            self.injected.add(attachment_id)

    def upload_area(self) -> bool:
        """A `div.plugin_attachments_upload_container`: True for the first, whose start gets the control."""
        first, self.upload_seen = not self.upload_seen, True
        return first

    def place_upload(self, offset: int) -> None:
        self.upload_at = offset

    def row(self, attrs: dict[str, str]) -> None:
        attachment_id = digits(attrs.get("data-attachment-id"))
        if attachment_id is None:
            row_id = attrs.get("id", "")
            attachment_id = digits(row_id[len("attachment-") :]) if row_id.startswith("attachment-") else None
        if attachment_id is None:
            return
        self.row_index = len(self.refs)
        self.refs.append(
            AttachmentReference(
                attachment_id=attachment_id,
                kind="row",
                filename=attrs.get("data-attachment-filename") or None,
                page_id=self.container_page_id if self.container else None,
            )
        )

    def filename_link(self, attrs: dict[str, str]) -> int | None:
        """An a.filename inside a row: completes the row; returns the reference to place after it."""
        if self.row_index is None or self.row_linked:
            return None
        self.row_linked = True
        if self.refs[self.row_index].filename is None:
            self.names[self.row_index] = _filename_from_href(attrs.get("href")) or attrs.get("title") or None
        return self.row_index

    def menu_list(self) -> int | None:
        """A `ul` inside a row's `div.aui-dropdown2`: the first one per row holds the row's actions.

        Returns the row's reference, whose menu items go right after this start tag.
        """
        if self.row_index is None or self.row_menu:
            return None
        self.row_menu = True
        return self.row_index

    def place_menu(self, index: int, offset: int) -> None:
        self.menus[index] = offset

    def _reference(self, attrs: dict[str, str], kind: ReferenceKind) -> AttachmentReference | None:
        attachment_id = digits(attrs.get("data-linked-resource-id"))
        if attachment_id is None or attrs.get("data-linked-resource-type", "attachment") != "attachment":
            return None
        version = digits(attrs.get("data-linked-resource-version"))
        return AttachmentReference(
            attachment_id=attachment_id,
            kind=kind,
            filename=attrs.get("data-linked-resource-default-alias") or None,
            page_id=digits(attrs.get("data-linked-resource-container-id")),
            version=int(version) if version is not None else None,
        )

    def open_wrapper(self, attrs: dict[str, str]) -> int:
        """A (non-nested) wrapper span starts; it may carry the `data-linked-resource-*` itself."""
        ref = self._reference(attrs, "file")
        index: int | None = None
        if ref is not None:
            index = len(self.refs)
            self.refs.append(ref)
        self.wrappers.append([index, None])
        return len(self.wrappers) - 1

    def close_wrapper(self, wrapper: int, offset: int) -> None:
        self.wrappers[wrapper][1] = offset

    def embedded(self, attrs: dict[str, str], kind: ReferenceKind, *, in_wrapper: bool) -> int | None:
        """An embedded file or image; returns its reference when links go right after it.

        Inside a wrapper span the links go after the wrapper (the last one opened), once per wrapper.
        """
        if in_wrapper and self.wrappers and self.wrappers[-1][0] is not None:
            return None
        ref = self._reference(attrs, kind)
        if ref is None:
            return None
        index = len(self.refs)
        self.refs.append(ref)
        if in_wrapper:
            if self.wrappers:
                self.wrappers[-1][0] = index
            return None
        return index

    def place(self, index: int, offset: int) -> None:
        self.offsets[index] = offset

    def end_of(self, name: str, offset: int) -> None:
        """Where the first head (body) element ends: before its own end tag."""
        if name == "head" and self.head_end is None:
            self.head_end = offset
        elif name == "body" and self.body_end is None:
            self.body_end = offset

    def result(self, length: int) -> PageScan:
        for index, offset in self.wrappers:
            if index is not None and offset is not None:
                self.offsets[index] = offset
        return PageScan(
            references=tuple(
                AttachmentReference(
                    ref.attachment_id,
                    ref.kind,
                    self.names.get(index, ref.filename),
                    ref.page_id,
                    ref.version,
                    self.offsets.get(index),
                    self.menus.get(index),
                )
                for index, ref in enumerate(self.refs)
            ),
            meta=PageMeta(**self.meta),
            has_attachments_container=self.container,
            injected_ids=frozenset(self.injected),
            has_script=self.has_script,
            script_at=self.head_end if self.head_end is not None else self.body_end,
            length=length,
            upload_at=self.upload_at,
            has_create_control=self.has_create,
        )
