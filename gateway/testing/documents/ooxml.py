"""Reading and appending to Office Open XML packages (the writers are production code, re-exported).

The simulators read what editors and conversions produce and append text as an edit would; the
writers live in gateway/documents/ooxml.py, where the gateway's blank documents come from.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET

from gateway.documents.ooxml import (
    PR,
    A,
    P,
    R,
    S,
    W,
    a_paragraphs,
    make_docx,
    make_pptx,
    make_xlsx,
    w_paragraph,
    x_row,
)
from gateway.documents.textutil import split_lines

from .errors import DocumentError
from .xmlparts import insert_before_last, parse_xml, part
from .zips import read_zip, write_zip

__all__ = [
    "append_docx",
    "append_pptx",
    "append_xlsx",
    "docx_text",
    "make_docx",
    "make_pptx",
    "make_xlsx",
    "pptx_text",
    "xlsx_text",
]


# ----- word processing -------------------------------------------------------------------------


_ROOTS = {"docx": f"{{{W}}}document", "xlsx": f"{{{S}}}workbook", "pptx": f"{{{P}}}presentation"}


def _main_part(parts: dict[str, bytes], kind: str) -> str:
    """The officeDocument target named by _rels/.rels, checked to be the right kind of document."""
    rels = parse_xml(part(parts, "_rels/.rels", kind), f"{kind} _rels/.rels")
    for rel in rels.iter(f"{{{PR}}}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            name = rel.get("Target", "").lstrip("/")
            root = parse_xml(part(parts, name, kind), name)
            if root.tag != _ROOTS[kind]:
                raise DocumentError(f"not a {kind}: the main part is a {root.tag.split('}')[-1]!r}")
            return name
    raise DocumentError(f"not a valid {kind}: no officeDocument relationship")


def _paragraph_text(paragraph: ET.Element, ns: str) -> str:
    pieces: list[str] = []
    for node in paragraph.iter():
        if node.tag == f"{{{ns}}}t" and node.text:
            pieces.append(node.text)
        elif node.tag == f"{{{ns}}}tab":
            pieces.append("\t")
        elif node.tag in (f"{{{ns}}}br", f"{{{ns}}}cr"):
            pieces.append("\n")
    return "".join(pieces)


def docx_text(data: bytes) -> str:
    """The text of every paragraph in the body, one per line."""
    parts = read_zip(data, "docx")
    name = _main_part(parts, "docx")
    root = parse_xml(part(parts, name, "docx"), name)
    body = root.find(f"{{{W}}}body")
    if body is None:
        raise DocumentError("not a valid docx: the document has no body")
    return "\n".join(_paragraph_text(p, W) for p in body.iter(f"{{{W}}}p"))


def append_docx(data: bytes, text: str) -> bytes:
    """Add paragraphs at the end of the body, before the section properties."""
    parts = read_zip(data, "docx")
    name = _main_part(parts, "docx")
    xml = part(parts, name, "docx")
    parse_xml(xml, name)
    markup = "".join(w_paragraph(line) for line in split_lines(text))
    decoded = xml.decode("utf-8")
    sect = list(re.finditer(r"<(\w+:)?sectPr[\s>/]", decoded))
    body_end = list(re.finditer(r"</(\w+:)?body\s*>", decoded))
    if (
        sect
        and body_end
        and sect[-1].start() < body_end[-1].start()
        and _is_body_level(decoded, sect[-1].start())
    ):
        at = sect[-1].start()
        parts[name] = (decoded[:at] + markup + decoded[at:]).encode("utf-8")
    else:
        parts[name] = insert_before_last(xml, "w:body", markup, name)
    parse_xml(parts[name], name)
    return write_zip(parts)


def _is_body_level(xml: str, at: int) -> bool:
    """A sectPr after the last closing paragraph belongs to the body, not to a paragraph."""
    last_p_close = max(xml.rfind("</w:p>", 0, at), xml.rfind("<w:p/>", 0, at))
    return xml.find("<w:p", last_p_close + 1, at) == -1


# ----- spreadsheets ----------------------------------------------------------------------------


def _rels_of(parts: dict[str, bytes], name: str, kind: str) -> dict[str, str]:
    """Relationship id -> package path, for the part `name`."""
    folder, base = posixpath.split(name)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    root = parse_xml(part(parts, rels_name, kind), rels_name)
    targets: dict[str, str] = {}
    for rel in root.iter(f"{{{PR}}}Relationship"):
        target = rel.get("Target", "")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        targets[rel.get("Id", "")] = path
    return targets


def _first_sheet(parts: dict[str, bytes]) -> str:
    workbook = _main_part(parts, "xlsx")
    root = parse_xml(part(parts, workbook, "xlsx"), workbook)
    sheet = root.find(f"{{{S}}}sheets/{{{S}}}sheet")
    if sheet is None:
        raise DocumentError("not a valid xlsx: the workbook has no sheet")
    return _rels_of(parts, workbook, "xlsx")[sheet.get(f"{{{R}}}id", "")]


def _shared_strings(parts: dict[str, bytes]) -> list[str]:
    data = parts.get("xl/sharedStrings.xml")
    if data is None:
        return []
    root = parse_xml(data, "xl/sharedStrings.xml")
    return ["".join(t.text or "" for t in si.iter(f"{{{S}}}t")) for si in root.iter(f"{{{S}}}si")]


def _column(ref: str) -> int:
    number = 0
    for char in ref:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number


def xlsx_text(data: bytes) -> str:
    """The first sheet as lines: one per row, cells separated by tabs, missing rows empty."""
    parts = read_zip(data, "xlsx")
    name = _first_sheet(parts)
    root = parse_xml(part(parts, name, "xlsx"), name)
    strings = _shared_strings(parts)
    rows: dict[int, list[str]] = {}
    next_row = 1
    for row in root.iter(f"{{{S}}}row"):
        index = int(row.get("r", next_row))
        next_row = index + 1
        cells: dict[int, str] = {}
        for position, cell in enumerate(row.iter(f"{{{S}}}c"), start=1):
            column = _column(cell.get("r", "")) or position
            kind = cell.get("t", "n")
            value = cell.find(f"{{{S}}}v")
            if kind == "inlineStr":
                cells[column] = "".join(t.text or "" for t in cell.iter(f"{{{S}}}t"))
            elif kind == "s" and value is not None and (value.text or "").isdigit():
                position_in = int(value.text or "0")
                cells[column] = strings[position_in] if position_in < len(strings) else ""
            else:
                cells[column] = value.text or "" if value is not None else ""
        if cells:
            rows[index] = [cells.get(c, "") for c in range(1, max(cells) + 1)]
        else:
            rows[index] = []
    if not rows:
        return ""
    return "\n".join("\t".join(rows.get(i, [])) for i in range(1, max(rows) + 1))


def append_xlsx(data: bytes, text: str) -> bytes:
    """Add one row per line below the last used row of the first sheet, in column A."""
    parts = read_zip(data, "xlsx")
    name = _first_sheet(parts)
    xml = part(parts, name, "xlsx")
    root = parse_xml(xml, name)
    last = 0
    for row in root.iter(f"{{{S}}}row"):
        last = int(row.get("r", last + 1))
    lines = split_lines(text)
    markup = "".join(x_row(last + i, line) for i, line in enumerate(lines, start=1))
    updated = insert_before_last(xml, "sheetData", markup, name).decode("utf-8")
    updated = re.sub(
        r'(<(?:\w+:)?dimension ref=")[^"]*(")', rf"\g<1>A1:A{last + len(lines)}\g<2>", updated, count=1
    )
    parts[name] = updated.encode("utf-8")
    parse_xml(parts[name], name)
    return write_zip(parts)


# ----- presentations ---------------------------------------------------------------------------


def _slides(parts: dict[str, bytes]) -> list[str]:
    presentation = _main_part(parts, "pptx")
    root = parse_xml(part(parts, presentation, "pptx"), presentation)
    rels = _rels_of(parts, presentation, "pptx")
    ids = root.find(f"{{{P}}}sldIdLst")
    if ids is None:
        return []
    return [rels[s.get(f"{{{R}}}id", "")] for s in ids if s.get(f"{{{R}}}id", "") in rels]


def pptx_text(data: bytes) -> str:
    """The text of every paragraph of every slide, in slide order, one per line."""
    parts = read_zip(data, "pptx")
    lines: list[str] = []
    for name in _slides(parts):
        root = parse_xml(part(parts, name, "pptx"), name)
        lines.extend(_paragraph_text(p, A) for p in root.iter(f"{{{A}}}p"))
    return "\n".join(lines)


def append_pptx(data: bytes, text: str) -> bytes:
    """Add paragraphs to the last text body of the last slide."""
    parts = read_zip(data, "pptx")
    slides = _slides(parts)
    if not slides:
        raise DocumentError("pptx: the presentation has no slide to append to")
    name = slides[-1]
    parts[name] = insert_before_last(part(parts, name, "pptx"), "p:txBody", a_paragraphs(text), name)
    parse_xml(parts[name], name)
    return write_zip(parts)
