"""Find every attachment a Confluence page shows, and where links for it may go.

The vocabulary is Confluence's own (reference confluence.md section 3): attachment rows of the
Attachments page and of the attachments macro (`tr.attachment-row`, `a.filename`, the macro's hidden
`fieldset` with its `pageId`), embedded files and images (`data-linked-resource-*`), and the page's
`ajs-*` meta tags. Anything that does not match exactly (non-digit ids, external images, unknown
markup) is ignored, so a Confluence upgrade that changes the markup means "no links", never a
broken page.

Where links go: in a row, right after the first `a.filename` element; for an embedded file or image,
right after its `span.confluence-embedded-file-wrapper` (else right after the `a`/`img` itself).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import unquote, urlsplit

from gateway.onlyoffice.inject.model import AttachmentReference, PageMeta, PageScan, ReferenceKind
from gateway.onlyoffice.inject.tokens import Token, parse_attributes, tokens

__all__ = ["MARKER_ATTRIBUTE", "Backend", "Scanner", "find_references", "scan_page", "scan_with_python"]

_log = logging.getLogger(__name__)

Backend = Literal["auto", "lolhtml", "python"]

# Every element the injector inserts carries this attribute (idempotence, and so the browser
# script knows the server already did the work).
MARKER_ATTRIBUTE = "data-onlyoffice"

_DIGITS = re.compile(r"[0-9]{1,19}")
_ASCII_SPACE = re.compile(r"[\t\n\f\r ]+")
# Every tag the scanner acts on contains one of these (class names and attribute values compare
# case-sensitively, as in lol-html's selectors; our marker is an attribute name, so any case).
_INTERESTING = r"attachment-row|attachments|filename|embedded|ajs-|pageId|(?i:onlyoffice)"
_INTERESTING_BYTES = re.compile(_INTERESTING.encode())
_INTERESTING_STR = re.compile(_INTERESTING)
# Start tags the scanner reads (vocabulary, markers, row and fieldset boundaries, the a and span
# tags open elements count) and the end tags that matter to it; other tags are skipped.
_START_NAMES = frozenset(
    ["meta", "div", "table", "input", "tr", "a", "span", "img", "script", "fieldset", "head", "body"]
)
_BOUNDARIES = frozenset(["tr", "fieldset", "head", "body"])
_END_NAMES = frozenset(["a", "span", "tr", "fieldset", "head", "body"])
_META_FIELDS = {
    "ajs-page-id": "page_id",
    "ajs-space-key": "space_key",
    "ajs-context-path": "context_path",
    "ajs-remote-user": "remote_user",
    "ajs-remote-user-key": "remote_user_key",
    "ajs-user-locale": "user_locale",
}


def _digits(value: str | None) -> str | None:
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
    name = unquote(path.rsplit("/", 1)[-1])
    return name or None


def _version(value: str | None) -> int | None:
    return int(value) if value is not None and _DIGITS.fullmatch(value) else None


@dataclass
class _Pending:
    """A reference whose insertion point is the end of an element not yet closed."""

    index: int  # position in the reference list
    tag: str  # "a" or "span"
    depth: int = 1


class Scanner:
    """One pass over the tokens; state is what a streaming reader would remember."""

    def __init__(self) -> None:
        self.refs: list[AttachmentReference] = []
        self.offsets: dict[int, int] = {}  # reference index -> insertion offset, once known
        self.names: dict[int, str | None] = {}  # reference index -> filename learnt later
        self.meta: dict[str, str] = {}
        self.container = False
        self.container_page_id: str | None = None
        self.in_fieldset = False
        self.row_index: int | None = None  # reference index of the open attachment row
        self.row_linked = False  # the open row's a.filename was already seen
        self.pending: list[_Pending] = []  # elements whose end tag is an insertion point
        self.wrapper: _Pending | None = None  # open span.confluence-embedded-file-wrapper
        self.wrapper_ref: int | None = None
        self.injected: set[str] = set()
        self.has_script = False
        self.head_end: int | None = None  # the </head> (</body>) of an element that was opened
        self.body_end: int | None = None
        self.opened: set[str] = set()  # "head", "body" once their start tag was seen

    # -- tokens -------------------------------------------------------------------------------

    def start(self, token: Token, interesting: bool) -> None:
        name = token.name
        for pending in self.pending:
            if pending.tag == name:
                pending.depth += 1
        if self.wrapper is not None and name == "span":
            self.wrapper.depth += 1
        if name == "tr":
            self.row_index = None
            self.row_linked = False
        elif name == "fieldset":
            self.in_fieldset = True
        elif name == "head" or name == "body":
            self.opened.add(name)
        if not interesting:
            return
        attrs = parse_attributes(token.text)
        if MARKER_ATTRIBUTE in attrs:
            if name in ("span", "script"):  # what the injector inserts
                self.marker(name, attrs)
            return
        # Independent tests in a fixed order: the lolhtml backend registers its handlers in this
        # same order, so an element matching several selectors is treated alike by both.
        klass = classes(attrs)
        if name == "meta":
            self.meta_tag(attrs)
        if name == "div" and "plugin_attachments_container" in klass:
            self.container = True
            self.container_page_id = None
        if name == "table" and "attachments" in klass:
            self.container = True
        if name == "input" and self.in_fieldset and attrs.get("name") == "pageId":
            self.page_id_param(attrs)
        if name == "tr" and "attachment-row" in klass:
            self.row(attrs)
        if name == "a" and "filename" in klass:
            self._filename_link(attrs)
        if name == "span" and "confluence-embedded-file-wrapper" in klass:
            self._wrapper(token, attrs)
        if name == "a" and "confluence-embedded-file" in klass:
            self._embedded(attrs, "file", token)
        if name == "img" and "confluence-embedded-image" in klass:
            self._embedded(attrs, "image", token)

    def end(self, token: Token) -> None:
        name = token.name
        if self.pending:
            for pending in self.pending:
                if pending.tag == name:
                    pending.depth -= 1
                    if pending.depth == 0:
                        self.place(pending.index, token.end)
            self.pending = [pending for pending in self.pending if pending.depth > 0]
        wrapper = self.wrapper
        if wrapper is not None and name == "span":
            wrapper.depth -= 1
            if wrapper.depth == 0:
                if self.wrapper_ref is not None:
                    self.place(self.wrapper_ref, token.end)
                self.wrapper = None
                self.wrapper_ref = None
        if name == "tr":
            self.row_index = None
        elif name == "fieldset":
            self.in_fieldset = False
        elif name == "head" and self.head_end is None and "head" in self.opened:
            self.head_end = token.start
        elif name == "body" and self.body_end is None and "body" in self.opened:
            self.body_end = token.start

    # -- vocabulary ---------------------------------------------------------------------------

    def meta_tag(self, attrs: dict[str, str]) -> None:
        field = _META_FIELDS.get(attrs.get("name", ""))
        if field is not None and field not in self.meta:
            self.meta[field] = attrs.get("content", "")

    def page_id_param(self, attrs: dict[str, str]) -> None:
        """The attachments macro's hidden `pageId` parameter (the first one counts)."""
        if self.container_page_id is None:
            self.container_page_id = _digits(attrs.get("value"))

    def marker(self, name: str, attrs: dict[str, str]) -> None:
        if name == "script":
            self.has_script = True
        attachment_id = _digits(attrs.get("data-attachment-id"))
        if attachment_id is not None:
            self.injected.add(attachment_id)

    def row(self, attrs: dict[str, str]) -> None:
        attachment_id = _digits(attrs.get("data-attachment-id"))
        if attachment_id is None:
            row_id = attrs.get("id", "")
            attachment_id = (
                _digits(row_id[len("attachment-") :]) if row_id.startswith("attachment-") else None
            )
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

    def _filename_link(self, attrs: dict[str, str]) -> None:
        index = self.filename_link(attrs)
        if index is not None:
            self.pending.append(_Pending(index, "a"))

    def filename_link(self, attrs: dict[str, str]) -> int | None:
        """The open row's first `a.filename`: completes the row; its end is where links go."""
        if self.row_index is None or self.row_linked:
            return None
        self.row_linked = True
        if self.refs[self.row_index].filename is None:
            name = _filename_from_href(attrs.get("href")) or attrs.get("title") or None
            self.names[self.row_index] = name
        return self.row_index

    def reference(self, attrs: dict[str, str], kind: ReferenceKind) -> AttachmentReference | None:
        attachment_id = _digits(attrs.get("data-linked-resource-id"))
        if attachment_id is None or attrs.get("data-linked-resource-type", "attachment") != "attachment":
            return None
        return AttachmentReference(
            attachment_id=attachment_id,
            kind=kind,
            filename=attrs.get("data-linked-resource-default-alias") or None,
            page_id=_digits(attrs.get("data-linked-resource-container-id")),
            version=_version(attrs.get("data-linked-resource-version")),
        )

    def _wrapper(self, token: Token, attrs: dict[str, str]) -> None:
        if self.wrapper is not None:
            return  # nested wrappers: the outer one keeps counting spans
        self.wrapper = _Pending(-1, "span")
        self.open_wrapper(attrs)

    def open_wrapper(self, attrs: dict[str, str]) -> None:
        """A wrapper span starts; it may carry the `data-linked-resource-*` itself."""
        self.wrapper_ref = None
        ref = self.reference(attrs, "file")
        if ref is not None:
            self.wrapper_ref = len(self.refs)
            self.refs.append(ref)

    def _embedded(self, attrs: dict[str, str], kind: ReferenceKind, token: Token) -> None:
        index = self.embedded(attrs, kind, in_wrapper=self.wrapper is not None)
        if index is None:
            return
        if kind == "image":
            self.place(index, token.end)  # a void element: links go right after the tag
        else:
            self.pending.append(_Pending(index, "a"))

    def embedded(self, attrs: dict[str, str], kind: ReferenceKind, *, in_wrapper: bool) -> int | None:
        """An embedded file or image; returns its index when links go right after it (no wrapper)."""
        if in_wrapper and self.wrapper_ref is not None:
            return None  # this wrapper already has its reference: one set of links per wrapper
        ref = self.reference(attrs, kind)
        if ref is None:
            return None
        index = len(self.refs)
        self.refs.append(ref)
        if in_wrapper:
            self.wrapper_ref = index
            return None
        return index

    def place(self, index: int, offset: int) -> None:
        self.offsets[index] = offset

    def result(self, length: int) -> PageScan:
        return PageScan(
            references=tuple(
                AttachmentReference(
                    ref.attachment_id,
                    ref.kind,
                    self.names.get(index, ref.filename),
                    ref.page_id,
                    ref.version,
                    self.offsets.get(index),
                )
                for index, ref in enumerate(self.refs)
            ),
            meta=PageMeta(**self.meta),
            has_attachments_container=self.container,
            injected_ids=frozenset(self.injected),
            has_script=self.has_script,
            script_at=self.head_end if self.head_end is not None else self.body_end,
            length=length,
        )


def scan_with_python(document: bytes | str) -> PageScan:
    """The pure-Python scanner (the reference behaviour, and the fallback)."""
    scanner = Scanner()
    for token in tokens(document):
        name = token.name
        if token.kind == "end":
            if name in _END_NAMES:
                scanner.end(token)
            continue
        if name not in _START_NAMES:
            continue  # neither vocabulary nor a tag an open element counts (those are a and span)
        found = (
            _INTERESTING_BYTES.search(token.text)
            if isinstance(token.text, bytes)
            else _INTERESTING_STR.search(token.text)
        )
        if found is None and name not in _BOUNDARIES and not (scanner.pending or scanner.wrapper is not None):
            continue  # no vocabulary in it, and no open element counts it
        scanner.start(token, found is not None)
    return scanner.result(len(document))


def _to_characters(scan: PageScan, encoded: bytes) -> PageScan:
    """Turn a scan's byte offsets into character offsets of the decoded document."""
    offsets = sorted(
        {ref.insert_at for ref in scan.references if ref.insert_at is not None}
        | ({scan.script_at} if scan.script_at is not None else set())
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
            replace(ref, insert_at=None if ref.insert_at is None else mapping[ref.insert_at])
            for ref in scan.references
        ),
        script_at=None if scan.script_at is None else mapping[scan.script_at],
        length=len(encoded.decode("utf-8")),
    )


def scan_page(document: bytes | str, *, backend: Backend = "auto") -> PageScan:
    """One pass over a page: its attachment references, its meta, and what was injected before.

    `backend` "auto" uses lol-html when python-lolhtml is installed and falls back to the
    pure-Python scanner when it is missing or fails; both give the same scan.
    """
    if backend == "python":
        return scan_with_python(document)
    from gateway.onlyoffice.inject import lol

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
