"""Office Open XML (ECMA-376) word-processing, spreadsheet and presentation packages.

Written by hand with the smallest set of parts Word, Excel, PowerPoint, LibreOffice and ONLYOFFICE
accept; docxf/oform (ONLYOFFICE forms) are docx packages whose body holds a content control.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET

from .errors import DocumentError
from .ooxml_parts import (
    DOCX_RELS,
    PPTX_STATIC,
    XLSX_STYLES,
    content_types,
    package_rels,
)
from .textutil import split_lines, xml_text
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

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# ----- word processing -------------------------------------------------------------------------


def _w_paragraph(line: str) -> str:
    if not line:
        return "<w:p/>"
    return f'<w:p><w:r><w:t xml:space="preserve">{xml_text(line)}</w:t></w:r></w:p>'


def make_docx(text: str, *, form: bool = False) -> bytes:
    """A docx; with `form` the last paragraph is followed by a plain-text content control (a field)."""
    paragraphs = [_w_paragraph(line) for line in split_lines(text)]
    if form:  # an empty inline plain-text content control: the fillable field of a form
        field = (
            '<w:sdt><w:sdtPr><w:alias w:val="Name"/><w:tag w:val="name"/><w:id w:val="1"/><w:text/>'
            '</w:sdtPr><w:sdtContent><w:r><w:t xml:space="preserve"></w:t></w:r></w:sdtContent></w:sdt>'
        )
        last = paragraphs[-1]
        paragraphs[-1] = (
            f"<w:p>{field}</w:p>" if last == "<w:p/>" else last[: -len("</w:p>")] + field + "</w:p>"
        )
    body = "".join(paragraphs)
    document = (
        f'{_DECL}<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440"'
        ' w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>'
    )
    styles = (
        f'{_DECL}<w:styles xmlns:w="{W}"><w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22"/></w:rPr>'
        '</w:rPrDefault><w:pPrDefault/></w:docDefaults><w:style w:type="paragraph" w:default="1"'
        ' w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style></w:styles>'
    )
    overrides = {
        "/word/document.xml": f"{_WML}.document.main+xml",
        "/word/styles.xml": f"{_WML}.styles+xml",
    }
    return write_zip(
        {
            "[Content_Types].xml": content_types(overrides),
            "_rels/.rels": package_rels("word/document.xml"),
            "word/document.xml": document,
            "word/_rels/document.xml.rels": DOCX_RELS,
            "word/styles.xml": styles,
        }
    )


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
    markup = "".join(_w_paragraph(line) for line in split_lines(text))
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


def _x_row(index: int, line: str) -> str:
    if not line:
        return f'<row r="{index}"/>'
    cell = f'<c r="A{index}" t="inlineStr"><is><t xml:space="preserve">{xml_text(line)}</t></is></c>'
    return f'<row r="{index}">{cell}</row>'


def make_xlsx(text: str) -> bytes:
    """A workbook with one sheet, one line per row in column A (inline strings)."""
    lines = split_lines(text)
    rows = "".join(_x_row(i, line) for i, line in enumerate(lines, start=1))
    sheet = (
        f'{_DECL}<worksheet xmlns="{S}" xmlns:r="{R}"><dimension ref="A1:A{len(lines)}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )
    workbook = (
        f'{_DECL}<workbook xmlns="{S}" xmlns:r="{R}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    workbook_rels = (
        f'{_DECL}<Relationships xmlns="{PR}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/></Relationships>'
    )
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = {
        "/xl/workbook.xml": f"{sml}.sheet.main+xml",
        "/xl/worksheets/sheet1.xml": f"{sml}.worksheet+xml",
        "/xl/styles.xml": f"{sml}.styles+xml",
    }
    return write_zip(
        {
            "[Content_Types].xml": content_types(overrides),
            "_rels/.rels": package_rels("xl/workbook.xml"),
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": workbook_rels,
            "xl/styles.xml": XLSX_STYLES,
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


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
    markup = "".join(_x_row(last + i, line) for i, line in enumerate(lines, start=1))
    updated = insert_before_last(xml, "sheetData", markup, name).decode("utf-8")
    updated = re.sub(
        r'(<(?:\w+:)?dimension ref=")[^"]*(")', rf"\g<1>A1:A{last + len(lines)}\g<2>", updated, count=1
    )
    parts[name] = updated.encode("utf-8")
    parse_xml(parts[name], name)
    return write_zip(parts)


# ----- presentations ---------------------------------------------------------------------------


def _a_paragraphs(text: str) -> str:
    out = []
    for line in split_lines(text):
        if line:
            out.append(f'<a:p><a:r><a:rPr lang="en-US"/><a:t>{xml_text(line)}</a:t></a:r></a:p>')
        else:
            out.append('<a:p><a:endParaRPr lang="en-US"/></a:p>')
    return "".join(out)


def make_pptx(text: str) -> bytes:
    """A 16:9 presentation with one slide holding the text in one text box."""
    slide = (
        f'{_DECL}<p:sld xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{P}"><p:cSld><p:spTree>'
        '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
        '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/>'
        '<a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>'
        '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Text 1"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
        '<p:spPr><a:xfrm><a:off x="838200" y="838200"/><a:ext cx="10515600" cy="5181600"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
        f'<p:txBody><a:bodyPr wrap="square"/><a:lstStyle/>{_a_paragraphs(text)}</p:txBody></p:sp>'
        "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
    )
    pml = "application/vnd.openxmlformats-officedocument.presentationml"
    overrides = {
        "/ppt/presentation.xml": f"{pml}.presentation.main+xml",
        "/ppt/slides/slide1.xml": f"{pml}.slide+xml",
        "/ppt/slideMasters/slideMaster1.xml": f"{pml}.slideMaster+xml",
        "/ppt/slideLayouts/slideLayout1.xml": f"{pml}.slideLayout+xml",
        "/ppt/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
    }
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": content_types(overrides),
        "_rels/.rels": package_rels("ppt/presentation.xml"),
    }
    parts.update(PPTX_STATIC)
    parts["ppt/slides/slide1.xml"] = slide
    return write_zip(parts)


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
    parts[name] = insert_before_last(part(parts, name, "pptx"), "p:txBody", _a_paragraphs(text), name)
    parse_xml(parts[name], name)
    return write_zip(parts)
