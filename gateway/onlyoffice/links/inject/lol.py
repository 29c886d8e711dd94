"""The fast scanner: Cloudflare's lol-html (python-lolhtml) runs the selectors in Rust.

lol-html cannot report offsets and its handlers cannot look ahead, so the scan asks it to insert a
unique sentinel after every candidate insertion point (`el.after`, `el.append` on head and body),
then reads the offsets back from where the sentinels landed in its output. The result is the very
same `PageScan` the pure-Python scanner builds, so both share one splicer and produce identical
pages. The vocabulary decisions are `vocabulary.Scanner`'s methods, called in the same
order as the pure-Python scanner (`pyscan.py`) calls them.

python-lolhtml is alpha with a single maintainer: `scan.scan_page` falls back to the pure-Python
scanner when it is missing or raises.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from gateway.onlyoffice.links.inject.model import PageScan, ReferenceKind
from gateway.onlyoffice.links.inject.vocabulary import MARKER_ATTRIBUTE, Scanner

lolhtml: Any
try:
    import lolhtml
except ImportError:  # pragma: no cover - the fallback tests cover this path
    lolhtml = None

__all__ = ["available", "scan_with_lolhtml"]

_HEAD_END = re.compile(rb"</head[\t\n\f\r />]", re.IGNORECASE)
_BODY_END = re.compile(rb"</body[\t\n\f\r />]", re.IGNORECASE)
_WRAPPER = "span.confluence-embedded-file-wrapper"


def available() -> bool:
    return lolhtml is not None


def _attrs(el: Any) -> dict[str, str]:
    """Attributes as the pure-Python tokenizer reports them: lower-case names, first wins, decoded."""
    found: dict[str, str] = {}
    for name, value in el.attributes:
        key = name.lower()
        if key not in found:
            found[key] = html.unescape(value) if "&" in value else value
    return found


class _Handlers:
    """Selector handlers feeding the shared `Scanner`, plus sentinels that mark offsets."""

    def __init__(self, scanner: Scanner, token: str) -> None:
        self.scanner = scanner
        self.token = token
        self.slots: list[tuple[str, int]] = []  # per sentinel: (kind, reference or wrapper number)
        self.in_wrapper = False  # set by a descendant-selector handler just before the element's own
        self.nested_wrapper = False

    def sentinel(self, kind: str, index: int) -> str:
        self.slots.append((kind, index))
        return f"\x00{self.token}:{len(self.slots) - 1}\x00"

    def selectors(self) -> list[tuple[str, Any]]:
        """(selector, handler) in the order `pyscan` applies its tests (lol-html calls them so)."""
        return [
            ("tr", self.tr),
            # Tag-qualified selectors: a bare class or attribute selector costs lol-html a test on
            # every element (measured: +1.8 ms per 240 KiB page each).
            (f"span[{MARKER_ATTRIBUTE}]", self.marker),
            (f"script[{MARKER_ATTRIBUTE}]", self.marker),
            (f"li[{MARKER_ATTRIBUTE}]", self.marker),
            ("meta", self.meta),
            ("div.plugin_attachments_container", self.container),
            ("div.plugin_attachments_upload_container", self.upload),
            ("table.attachments", self.table),
            ('fieldset input[name="pageId"]', self.page_id),
            ("tr.attachment-row", self.row),
            ("tr.attachment-row a.filename", self.filename),
            ("tr.attachment-row div.aui-dropdown2 ul", self.menu),
            (f"{_WRAPPER} {_WRAPPER}", self.flag_nested_wrapper),
            (_WRAPPER, self.wrapper),
            (f"{_WRAPPER} a.confluence-embedded-file", self.flag_in_wrapper),
            ("a.confluence-embedded-file", self.embedded_file),
            (f"{_WRAPPER} img.confluence-embedded-image", self.flag_in_wrapper),
            ("img.confluence-embedded-image", self.embedded_image),
            ("head", self.head),
            ("body", self.body),
        ]

    def tr(self, el: Any) -> None:
        self.scanner.tr_start()

    def marker(self, el: Any) -> None:
        self.scanner.marker(el.tag_name.lower(), _attrs(el))

    def meta(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            self.scanner.meta_tag(_attrs(el))

    def container(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            self.scanner.container_start()

    def upload(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE) and self.scanner.upload_area():
            el.prepend(self.sentinel("upload", 0), lolhtml.ContentType.HTML)

    def table(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            self.scanner.container = True

    def page_id(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            self.scanner.page_id_param(_attrs(el))

    def row(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            self.scanner.row(_attrs(el))

    def filename(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            index = self.scanner.filename_link(_attrs(el))
            if index is not None:
                el.after(self.sentinel("ref", index), lolhtml.ContentType.HTML)

    def menu(self, el: Any) -> None:
        if not el.has_attribute(MARKER_ATTRIBUTE):
            index = self.scanner.menu_list()
            if index is not None:
                el.prepend(self.sentinel("menu", index), lolhtml.ContentType.HTML)

    def flag_in_wrapper(self, el: Any) -> None:
        self.in_wrapper = True

    def flag_nested_wrapper(self, el: Any) -> None:
        self.nested_wrapper = True

    def wrapper(self, el: Any) -> None:
        nested, self.nested_wrapper = self.nested_wrapper, False
        if nested or el.has_attribute(MARKER_ATTRIBUTE):
            return  # the pure-Python scanner ignores a wrapper inside a wrapper too
        wrapper = self.scanner.open_wrapper(_attrs(el))
        el.after(self.sentinel("wrapper", wrapper), lolhtml.ContentType.HTML)

    def embedded_file(self, el: Any) -> None:
        self._embedded(el, "file")

    def embedded_image(self, el: Any) -> None:
        self._embedded(el, "image")

    def _embedded(self, el: Any, kind: ReferenceKind) -> None:
        in_wrapper, self.in_wrapper = self.in_wrapper, False
        if el.has_attribute(MARKER_ATTRIBUTE):
            return
        index = self.scanner.embedded(_attrs(el), kind, in_wrapper=in_wrapper)
        if index is not None:
            el.after(self.sentinel("ref", index), lolhtml.ContentType.HTML)

    def head(self, el: Any) -> None:
        el.append(self.sentinel("head", 0), lolhtml.ContentType.HTML)

    def body(self, el: Any) -> None:
        el.append(self.sentinel("body", 0), lolhtml.ContentType.HTML)


class _On:
    """Adapts a plain callable to lol-html's `element` handler protocol."""

    __slots__ = ("element",)

    def __init__(self, method: Any) -> None:
        self.element = method


def scan_with_lolhtml(document: bytes) -> PageScan:
    """Scan `document` with lol-html; raises if python-lolhtml is missing or fails."""
    if lolhtml is None:
        raise RuntimeError("python-lolhtml is not installed")
    token = secrets.token_hex(8)
    while token.encode() in document:  # pragma: no cover - 64 random bits
        token = secrets.token_hex(8)
    scanner = Scanner()
    handlers = _Handlers(scanner, token)
    out = bytearray()
    rewriter = lolhtml.HTMLRewriter(out.extend)
    for selector, method in handlers.selectors():
        rewriter.on(selector, _On(method))
    rewriter.write(document)
    rewriter.end()

    # Each sentinel's offset in the original is its position minus the sentinels before it.
    shift = 0
    pattern = re.compile(b"\x00" + token.encode() + rb":([0-9]+)\x00")
    for match in pattern.finditer(out):
        offset = match.start() - shift
        shift += match.end() - match.start()
        kind, index = handlers.slots[int(match.group(1))]
        if kind == "ref":
            scanner.place(index, offset)
        elif kind == "menu":
            scanner.place_menu(index, offset)
        elif kind == "upload":
            scanner.place_upload(offset)
        elif kind == "wrapper":
            scanner.close_wrapper(index, offset)
        elif kind == "head" and _HEAD_END.match(document, offset):
            scanner.end_of("head", offset)  # only where the head element's own end tag is
        elif kind == "body" and _BODY_END.match(document, offset):
            scanner.end_of("body", offset)
    return scanner.result(len(document))
