"""The pure-Python scanner: the fallback when lol-html is missing or fails.

It walks the tokens (`tokens.py`) keeping lol-html's model of open elements: void elements (in
HTML content) are never open, a self-closing tag closes only in SVG/MathML, and an end tag (also
`</body>`, `</html>`) closes the nearest open element of its name together with everything opened
inside it (an end tag with no such element is ignored). "Descendant of" below means "opened
while that element was open", as lol-html's descendant selectors mean it. The vocabulary decisions
are `Scanner`'s, called in the order the lol-html scanner registers its selectors.
"""

from __future__ import annotations

import re

from gateway.onlyoffice.links.inject.model import PageScan
from gateway.onlyoffice.links.inject.tokens import Token, parse_attributes, tokens
from gateway.onlyoffice.links.inject.vocabulary import MARKER_ATTRIBUTE, WRAPPER_CLASS, Scanner, classes

__all__ = ["scan_with_python"]

_VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Every tag the scanner acts on contains one of these (class names and attribute values compare
# case-sensitively, as in lol-html's selectors; our marker is an attribute name, so any case).
_KEYWORDS = r"attachment-row|attachments|filename|embedded|ajs-|pageId|aui-dropdown2|(?i:onlyoffice)"
_KEYWORDS_BYTES = re.compile(_KEYWORDS.encode())
_KEYWORDS_STR = re.compile(_KEYWORDS)
_VOCABULARY_TAGS = frozenset(["meta", "div", "table", "input", "tr", "a", "span", "img", "script", "li"])


def _opens(token: Token) -> bool:
    """Whether a start tag opens an element: not when void (in HTML content only, as in lol-html),
    nor a self-closing tag in SVG/MathML."""
    if token.foreign or token.name in ("svg", "math"):
        return token.text[-2:] not in ("/>", b"/>")
    return token.name not in _VOID


class _Open:
    """An open element and what its end means to the scan."""

    __slots__ = ("dropdown", "name", "pending", "row", "wrapper", "wrapper_class")

    def __init__(self, name: str) -> None:
        self.name = name
        self.row = False  # a tr.attachment-row
        self.wrapper_class = False  # a span.confluence-embedded-file-wrapper (nested or not)
        self.wrapper: int | None = None  # the Scanner's wrapper number, for a non-nested one
        self.pending: int | None = None  # a reference whose links go after this element
        self.dropdown = False  # a div.aui-dropdown2 inside an attachment row


class _Walker:
    def __init__(self) -> None:
        self.scanner = Scanner()
        self.stack: list[_Open] = []
        self.rows = 0  # open tr.attachment-row elements
        self.wrappers = 0  # open wrapper spans
        self.fieldsets = 0
        self.dropdowns = 0  # open div.aui-dropdown2 elements inside attachment rows

    def start(self, token: Token) -> None:
        name = token.name
        element = _Open(name)
        scanner = self.scanner
        if name == "tr":
            scanner.tr_start()
        if name in _VOCABULARY_TAGS:
            text = token.text
            found = _KEYWORDS_BYTES.search(text) if isinstance(text, bytes) else _KEYWORDS_STR.search(text)
            if found is not None:
                self._vocabulary(token, element)
        if name == "ul" and self.dropdowns > 0 and self.rows > 0:
            self._menu_list(token)
        if not _opens(token):
            return
        if name == "fieldset":
            self.fieldsets += 1
        self.stack.append(element)

    def _vocabulary(self, token: Token, element: _Open) -> None:
        name = token.name
        scanner = self.scanner
        attrs = parse_attributes(token.text)
        klass = classes(attrs)
        marked = MARKER_ATTRIBUTE in attrs
        in_wrapper = self.wrappers > 0  # before this element counts itself
        if name == "tr" and "attachment-row" in klass:
            element.row = True
            self.rows += 1
        if name == "span" and WRAPPER_CLASS in klass:
            element.wrapper_class = True
            self.wrappers += 1
        if name == "div" and "aui-dropdown2" in klass and self.rows > 0:
            element.dropdown = True
            self.dropdowns += 1
        if marked:
            if name in ("span", "script", "li"):  # what the injector inserts
                scanner.marker(name, attrs)
            return
        # Same order as the lol-html scanner's selectors.
        if name == "meta":
            scanner.meta_tag(attrs)
        if name == "div" and "plugin_attachments_container" in klass:
            scanner.container_start()
        if name == "div" and "plugin_attachments_upload_container" in klass and scanner.upload_area():
            scanner.place_upload(token.end)
        if name == "table" and "attachments" in klass:
            scanner.container = True
        if name == "input" and self.fieldsets > 0 and attrs.get("name") == "pageId":
            scanner.page_id_param(attrs)
        if element.row:
            scanner.row(attrs)
        if name == "a" and "filename" in klass and self.rows > 0:
            element.pending = scanner.filename_link(attrs)
        if element.wrapper_class and not in_wrapper:
            element.wrapper = scanner.open_wrapper(attrs)
        if name == "a" and "confluence-embedded-file" in klass:
            element.pending = scanner.embedded(attrs, "file", in_wrapper=in_wrapper)
        if name == "img" and "confluence-embedded-image" in klass:
            index = scanner.embedded(attrs, "image", in_wrapper=in_wrapper)
            if index is not None and _opens(token):
                element.pending = index  # foreign content: an element like any other, links after its end
            elif index is not None:
                scanner.place(index, token.end)  # a void element: links go right after the tag

    def _menu_list(self, token: Token) -> None:
        """A `ul` in a row's actions dropdown (lol-html: `tr.attachment-row div.aui-dropdown2 ul`)."""
        if MARKER_ATTRIBUTE in parse_attributes(token.text):
            return
        index = self.scanner.menu_list()
        if index is not None:
            self.scanner.place_menu(index, token.end)

    def end(self, token: Token) -> None:
        name = token.name
        stack = self.stack
        for position in range(len(stack) - 1, -1, -1):
            if stack[position].name == name:
                break
        else:
            return  # nothing of that name is open: lol-html ignores the end tag
        closed = stack[position:]
        del stack[position:]
        scanner = self.scanner
        # An end tag closes its element and all opened inside, also </body> and </html> (HTML5
        # would not; lol-html does). lol-html never emits what goes after an element closed that
        # way inside a head or body (their `append` handlers swallow it): no place for links there.
        # Of the elements one end tag closes, lol-html emits the `after` content of the outermost
        # that has some and drops the rest (`<tr><span wrapper><a filename></tr>`: only the
        # wrapper's), so links go only where that one is placed.
        swallowed = after_taken = False
        for element in closed:
            if swallowed or after_taken:
                element.pending = element.wrapper = None
            swallowed = swallowed or element.name in ("head", "body")
            after_taken = after_taken or element.pending is not None or element.wrapper is not None
            if element.pending is not None:
                scanner.place(element.pending, token.end)
            if element.wrapper is not None:
                scanner.close_wrapper(element.wrapper, token.end)
            if element.row:
                self.rows -= 1
            if element.wrapper_class:
                self.wrappers -= 1
            if element.dropdown:
                self.dropdowns -= 1
            if element.name == "fieldset":
                self.fieldsets -= 1
        if name in ("head", "body"):
            scanner.end_of(name, token.start)


def scan_with_python(document: bytes | str) -> PageScan:
    """Scan with the pure-Python tokenizer (the reference behaviour, and the fallback)."""
    walker = _Walker()
    for token in tokens(document):
        if token.kind == "start":
            walker.start(token)
        else:
            walker.end(token)
    return walker.scanner.result(len(document))
