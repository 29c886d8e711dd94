"""OpenDocument (ODF 1.2) text, spreadsheet and presentation packages.

The `mimetype` member comes first and uncompressed, as ODF readers sniff it at a fixed offset.
Runs of spaces and tabs are written as <text:s>/<text:tab>, since ODF collapses white space.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from gateway.documents.textutil import split_lines, xml_text

from .errors import DocumentError
from .xmlparts import insert_before_last, parse_xml, part
from .zips import read_zip, write_zip

__all__ = ["ODF_MEDIA_TYPES", "append_odf", "make_odf", "odf_text"]

ODF_MEDIA_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_NS = {
    "office": OFFICE,
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": TEXT,
    "table": TABLE,
    "draw": DRAW,
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
}
_XMLNS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in _NS.items())
_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_BODY = {"odt": "text", "ods": "spreadsheet", "odp": "presentation"}


def _spans(line: str) -> str:
    """A line as ODF inline content: tabs and every space after the first of a run are elements."""
    out: list[str] = []
    for piece in re.split(r"(\t| {2,}|^ )", line):
        if piece == "\t":
            out.append("<text:tab/>")
        elif piece and piece.strip(" ") == "" and (len(piece) > 1 or not out):
            first = " " if out else ""
            count = len(piece) - len(first)
            out.append(first + (f'<text:s text:c="{count}"/>' if count > 1 else "<text:s/>"))
        else:
            out.append(xml_text(piece))
    return "".join(out)


def _paragraphs(text: str) -> str:
    return "".join(f"<text:p>{_spans(line)}</text:p>" for line in split_lines(text))


def _rows(text: str) -> str:
    rows = []
    for line in split_lines(text):
        if line:
            paragraph = f"<text:p>{_spans(line)}</text:p>"
            cell = f'<table:table-cell office:value-type="string">{paragraph}</table:table-cell>'
        else:
            cell = "<table:table-cell/>"
        rows.append(f"<table:table-row>{cell}</table:table-row>")
    return "".join(rows)


def _body(ext: str, text: str) -> str:
    if ext == "odt":
        return _paragraphs(text)
    if ext == "ods":
        return f'<table:table table:name="Sheet1"><table:table-column/>{_rows(text)}</table:table>'
    return (
        '<draw:page draw:name="page1" draw:master-page-name="Default">'
        '<draw:frame svg:x="2cm" svg:y="2cm" svg:width="24cm" svg:height="14cm">'
        f"<draw:text-box>{_paragraphs(text)}</draw:text-box></draw:frame></draw:page>"
    )


def _styles() -> str:
    return (
        f'{_DECL}<office:document-styles {_XMLNS} office:version="1.2"><office:automatic-styles>'
        '<style:page-layout style:name="PM1"><style:page-layout-properties fo:page-width="28cm"'
        ' fo:page-height="21cm" style:print-orientation="landscape"/></style:page-layout>'
        '</office:automatic-styles><office:master-styles><style:master-page style:name="Default"'
        ' style:page-layout-name="PM1"/></office:master-styles></office:document-styles>'
    )


def _manifest(ext: str) -> str:
    files = "".join(
        f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
        for name in ("content.xml", "styles.xml", "meta.xml")
    )
    return (
        f'{_DECL}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
        f' manifest:media-type="{ODF_MEDIA_TYPES[ext]}"/>{files}</manifest:manifest>'
    )


def make_odf(ext: str, text: str) -> bytes:
    """An odt (paragraphs), ods (one cell per line in column A) or odp (one page, one text box)."""
    content = (
        f'{_DECL}<office:document-content {_XMLNS} office:version="1.2"><office:body>'
        f"<office:{_BODY[ext]}>{_body(ext, text)}</office:{_BODY[ext]}>"
        "</office:body></office:document-content>"
    )
    meta = (
        f'{_DECL}<office:document-meta {_XMLNS} office:version="1.2"><office:meta>'
        '<meta:generator xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0">onlyoffice-gateway'
        "</meta:generator></office:meta></office:document-meta>"
    )
    return write_zip(
        {
            "mimetype": ODF_MEDIA_TYPES[ext],
            "content.xml": content,
            "styles.xml": _styles(),
            "meta.xml": meta,
            "META-INF/manifest.xml": _manifest(ext),
        },
        stored=frozenset({"mimetype"}),
    )


def _content(ext: str, data: bytes) -> tuple[dict[str, bytes], ET.Element]:
    parts = read_zip(data, ext)
    mimetype = part(parts, "mimetype", ext).decode("ascii", errors="replace").strip()
    if mimetype != ODF_MEDIA_TYPES[ext]:
        raise DocumentError(f"not an {ext} document: its mimetype is {mimetype!r}")
    root = parse_xml(part(parts, "content.xml", ext), "content.xml")
    return parts, root


def _inline(element: ET.Element) -> str:
    """The text of a paragraph, expanding the white-space elements."""
    out = [element.text or ""]
    for child in element:
        if child.tag == f"{{{TEXT}}}s":
            out.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif child.tag == f"{{{TEXT}}}tab":
            out.append("\t")
        elif child.tag == f"{{{TEXT}}}line-break":
            out.append("\n")
        elif child.tag not in (f"{{{OFFICE}}}annotation", f"{{{TEXT}}}note"):
            out.append(_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _paragraph_lines(container: ET.Element) -> list[str]:
    return [_inline(p) for p in container.iter() if p.tag in (f"{{{TEXT}}}p", f"{{{TEXT}}}h")]


def _sheet_lines(table: ET.Element) -> list[str]:
    lines: list[str] = []
    for row in table.iter(f"{{{TABLE}}}table-row"):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell"):
                continue
            value = "\n".join(_paragraph_lines(cell)) or cell.get(f"{{{OFFICE}}}value", "")
            cells.extend([value] * min(int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1")), 1024))
        while cells and not cells[-1]:
            cells.pop()
        lines.extend(["\t".join(cells)] * min(int(row.get(f"{{{TABLE}}}number-rows-repeated", "1")), 1024))
    while lines and not lines[-1]:
        lines.pop()
    return lines


def odf_text(ext: str, data: bytes) -> str:
    """Paragraphs (odt), the first sheet's rows (ods) or every page's paragraphs (odp), one per line."""
    _, root = _content(ext, data)
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}{_BODY[ext]}")
    if body is None:
        raise DocumentError(f"not an {ext} document: content.xml has no office:{_BODY[ext]}")
    if ext == "ods":
        table = body.find(f"{{{TABLE}}}table")
        return "\n".join(_sheet_lines(table)) if table is not None else ""
    return "\n".join(_paragraph_lines(body))


def append_odf(ext: str, data: bytes, text: str) -> bytes:
    """New paragraphs at the end of the text / last text box, or new rows at the end of the first sheet."""
    parts, _ = _content(ext, data)
    xml = parts["content.xml"]
    if ext == "odt":
        parts["content.xml"] = insert_before_last(xml, "office:text", _paragraphs(text), "content.xml")
    elif ext == "odp":
        parts["content.xml"] = insert_before_last(xml, "draw:text-box", _paragraphs(text), "content.xml")
    else:
        decoded = xml.decode("utf-8")
        end = re.search(r"</(\w+:)?table>", decoded)
        if end is None:
            raise DocumentError("ods: the spreadsheet has no table to append to")
        parts["content.xml"] = (decoded[: end.start()] + _rows(text) + decoded[end.start() :]).encode("utf-8")
    parse_xml(parts["content.xml"], "content.xml")
    return write_zip(parts, stored=frozenset({"mimetype"}))
