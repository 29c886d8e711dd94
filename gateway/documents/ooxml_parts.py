"""The fixed parts of our OOXML packages: content types, relationships, styles, master and theme."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DOCX_RELS", "PPTX_STATIC", "XLSX_STYLES", "content_types", "package_rels"]

_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_P = "http://schemas.openxmlformats.org/presentationml/2006/main"


def content_types(overrides: Mapping[str, str]) -> str:
    """[Content_Types].xml with the defaults every package needs and one override per part."""
    items = "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
    return (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{items}</Types>'
    )


def package_rels(main: str) -> str:
    """_rels/.rels pointing at the main part."""
    return (
        f'{_DECL}<Relationships xmlns="{_PR}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="{main}"/></Relationships>'
    )


def _rels(*items: tuple[str, str]) -> str:
    body = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(items, start=1)
    )
    return f'{_DECL}<Relationships xmlns="{_PR}">{body}</Relationships>'


DOCX_RELS = _rels(("styles", "styles.xml"))

XLSX_STYLES = (
    f'{_DECL}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_SP_TREE_ROOT = (
    '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
    '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/>'
    '<a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>'
)


def _colors() -> str:
    system = '<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1>'
    system += '<a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>'
    named = [
        ("dk2", "44546A"),
        ("lt2", "E7E6E6"),
        ("accent1", "4472C4"),
        ("accent2", "ED7D31"),
        ("accent3", "A5A5A5"),
        ("accent4", "FFC000"),
        ("accent5", "5B9BD5"),
        ("accent6", "70AD47"),
        ("hlink", "0563C1"),
        ("folHlink", "954F72"),
    ]
    return system + "".join(f'<a:{n}><a:srgbClr val="{v}"/></a:{n}>' for n, v in named)


_FONTS = '<a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/>'
_SOLID = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
_LINE = f'<a:ln w="6350">{_SOLID}</a:ln>'
_THEME = (
    f'{_DECL}<a:theme xmlns:a="{_A}" name="Office Theme"><a:themeElements>'
    f'<a:clrScheme name="Office">{_colors()}</a:clrScheme>'
    f'<a:fontScheme name="Office"><a:majorFont>{_FONTS}</a:majorFont><a:minorFont>{_FONTS}</a:minorFont>'
    "</a:fontScheme>"
    f'<a:fmtScheme name="Office"><a:fillStyleLst>{_SOLID * 3}</a:fillStyleLst>'
    f"<a:lnStyleLst>{_LINE * 3}</a:lnStyleLst>"
    f"<a:effectStyleLst>{'<a:effectStyle><a:effectLst/></a:effectStyle>' * 3}</a:effectStyleLst>"
    f"<a:bgFillStyleLst>{_SOLID * 3}</a:bgFillStyleLst></a:fmtScheme>"
    "</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"
)

_CLR_MAP = (
    '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3"'
    ' accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
)

_MASTER = (
    f'{_DECL}<p:sldMaster xmlns:a="{_A}" xmlns:r="{_REL}" xmlns:p="{_P}"><p:cSld><p:bg><p:bgRef idx="1001">'
    f'<a:schemeClr val="bg1"/></p:bgRef></p:bg><p:spTree>{_SP_TREE_ROOT}</p:spTree></p:cSld>{_CLR_MAP}'
    '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst>'
    "<p:txStyles><p:titleStyle/><p:bodyStyle/><p:otherStyle/></p:txStyles></p:sldMaster>"
)

_LAYOUT = (
    f'{_DECL}<p:sldLayout xmlns:a="{_A}" xmlns:r="{_REL}" xmlns:p="{_P}" type="blank" preserve="1">'
    f'<p:cSld name="Blank"><p:spTree>{_SP_TREE_ROOT}</p:spTree></p:cSld>'
    "<p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"
)

_PRESENTATION = (
    f'{_DECL}<p:presentation xmlns:a="{_A}" xmlns:r="{_REL}" xmlns:p="{_P}">'
    '<p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst>'
    '<p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst>'
    '<p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>'
)

PPTX_STATIC: dict[str, bytes | str] = {
    "ppt/presentation.xml": _PRESENTATION,
    "ppt/_rels/presentation.xml.rels": _rels(
        ("slideMaster", "slideMasters/slideMaster1.xml"),
        ("slide", "slides/slide1.xml"),
        ("theme", "theme/theme1.xml"),
    ),
    "ppt/slideMasters/slideMaster1.xml": _MASTER,
    "ppt/slideMasters/_rels/slideMaster1.xml.rels": _rels(
        ("slideLayout", "../slideLayouts/slideLayout1.xml"), ("theme", "../theme/theme1.xml")
    ),
    "ppt/slideLayouts/slideLayout1.xml": _LAYOUT,
    "ppt/slideLayouts/_rels/slideLayout1.xml.rels": _rels(
        ("slideMaster", "../slideMasters/slideMaster1.xml")
    ),
    "ppt/theme/theme1.xml": _THEME,
    "ppt/slides/_rels/slide1.xml.rels": _rels(("slideLayout", "../slideLayouts/slideLayout1.xml")),
}
