"""Office Open XML (ECMA-376) writers: word-processing, spreadsheet and presentation packages.

Written by hand with the smallest set of parts Word, Excel, PowerPoint, LibreOffice and ONLYOFFICE
accept (checked in tests with python-docx, openpyxl and python-pptx). The gateway makes its blank
documents with these; the simulators add readers and appenders on top (gateway/testing/documents).
docxf/oform (ONLYOFFICE forms) are docx packages whose body holds a content control.
"""

from __future__ import annotations

from gateway.documents.ooxml_parts import (
    DOCX_RELS,
    PPTX_STATIC,
    XLSX_STYLES,
    content_types,
    package_rels,
)
from gateway.documents.textutil import split_lines, xml_text
from gateway.documents.zips import write_zip

__all__ = [
    "PR",
    "A",
    "P",
    "R",
    "S",
    "W",
    "a_paragraphs",
    "make_docx",
    "make_pptx",
    "make_xlsx",
    "w_paragraph",
    "x_row",
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


def w_paragraph(line: str) -> str:
    if not line:
        return "<w:p/>"
    return f'<w:p><w:r><w:t xml:space="preserve">{xml_text(line)}</w:t></w:r></w:p>'


_LETTER = ("12240", "15840")  # US Letter in twentieths of a point; everyone else gets A4
_A4 = ("11906", "16838")


def make_docx(text: str, *, form: bool = False, lang: str = "en-US") -> bytes:
    """A docx; with `form` the last paragraph is followed by a plain-text content control (a field).
    `lang` (a BCP 47 tag) is the text's language, for spelling and hyphenation, and picks the
    paper: Letter for en-US, as Word's own blank document does, A4 otherwise."""
    paragraphs = [w_paragraph(line) for line in split_lines(text)]
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
    width, height = _LETTER if lang == "en-US" else _A4
    document = (
        f'{_DECL}<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body}'
        f'<w:sectPr><w:pgSz w:w="{width}" w:h="{height}"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440"'
        ' w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>'
    )
    styles = (
        f'{_DECL}<w:styles xmlns:w="{W}"><w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22"/>'
        f'<w:lang w:val="{xml_text(lang)}" w:eastAsia="{xml_text(lang)}"/></w:rPr>'
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


# ----- spreadsheets ----------------------------------------------------------------------------


def x_row(index: int, line: str) -> str:
    if not line:
        return f'<row r="{index}"/>'
    cell = f'<c r="A{index}" t="inlineStr"><is><t xml:space="preserve">{xml_text(line)}</t></is></c>'
    return f'<row r="{index}">{cell}</row>'


def make_xlsx(text: str, *, sheet_name: str = "Sheet1") -> bytes:
    """A workbook with one sheet (named as Excel names it in the user's language: "Tabelle1"...),
    one line per row in column A (inline strings)."""
    lines = split_lines(text)
    rows = "".join(x_row(i, line) for i, line in enumerate(lines, start=1))
    sheet = (
        f'{_DECL}<worksheet xmlns="{S}" xmlns:r="{R}"><dimension ref="A1:A{len(lines)}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )
    workbook = (
        f'{_DECL}<workbook xmlns="{S}" xmlns:r="{R}"><sheets>'
        f'<sheet name="{xml_text(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
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


# ----- presentations ---------------------------------------------------------------------------


def a_paragraphs(text: str, lang: str = "en-US") -> str:
    out = []
    tag = xml_text(lang)
    for line in split_lines(text):
        if line:
            out.append(f'<a:p><a:r><a:rPr lang="{tag}"/><a:t>{xml_text(line)}</a:t></a:r></a:p>')
        else:
            out.append(f'<a:p><a:endParaRPr lang="{tag}"/></a:p>')
    return "".join(out)


def make_pptx(text: str, *, lang: str = "en-US") -> bytes:
    """A 16:9 presentation with one slide holding the text in one text box, in language `lang`."""
    slide = (
        f'{_DECL}<p:sld xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{P}"><p:cSld><p:spTree>'
        '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
        '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/>'
        '<a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>'
        '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Text 1"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
        '<p:spPr><a:xfrm><a:off x="838200" y="838200"/><a:ext cx="10515600" cy="5181600"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
        f'<p:txBody><a:bodyPr wrap="square"/><a:lstStyle/>{a_paragraphs(text, lang)}</p:txBody></p:sp>'
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
