"""The shipped format table: at least what the plugin offers, and version-dependent behaviour."""

import pytest

from gateway.onlyoffice.formats import default_format_table, extension_of, parse_version

PLUGIN_EDITABLE = [
    "docx",
    "docm",
    "dotx",
    "dotm",
    "xlsx",
    "xlsm",
    "xlsb",
    "xltx",
    "xltm",
    "pptx",
    "pptm",
    "ppsx",
    "ppsm",
    "potx",
    "potm",
    "pdf",
]
PLUGIN_VIEWABLE = [
    "doc",
    "docm",
    "docx",
    "dot",
    "dotm",
    "dotx",
    "epub",
    "fb2",
    "fodt",
    "hml",
    "htm",
    "html",
    "hwp",
    "hwpx",
    "md",
    "mht",
    "mhtml",
    "odt",
    "ott",
    "pages",
    "rtf",
    "stw",
    "sxw",
    "txt",
    "wps",
    "wpt",
    "xml",
    "csv",
    "et",
    "ett",
    "fods",
    "numbers",
    "ods",
    "ots",
    "sxc",
    "xls",
    "xlsb",
    "xlsm",
    "xlsx",
    "xlt",
    "xltm",
    "xltx",
    "dps",
    "dpt",
    "fodp",
    "key",
    "odg",
    "odp",
    "otp",
    "pot",
    "potm",
    "potx",
    "pps",
    "ppsm",
    "ppsx",
    "ppt",
    "pptm",
    "pptx",
    "sxi",
    "djvu",
    "docxf",
    "oform",
    "oxps",
    "pdf",
    "xps",
    "vsdm",
    "vsdx",
    "vssm",
    "vssx",
    "vstm",
    "vstx",
]
PLUGIN_LOSSY = ["epub", "fb2", "html", "odt", "ott", "rtf", "txt", "csv", "ods", "ots", "odp", "otp"]


@pytest.mark.parametrize("extension", PLUGIN_EDITABLE)
def test_editable_like_the_plugin(extension: str) -> None:
    found = default_format_table().get(extension)
    assert found is not None and found.editable


@pytest.mark.parametrize("extension", PLUGIN_VIEWABLE)
def test_viewable_like_the_plugin(extension: str) -> None:
    found = default_format_table().get(extension)
    assert found is not None and found.viewable


@pytest.mark.parametrize("extension", PLUGIN_LOSSY)
def test_lossy_editing_is_opt_in(extension: str) -> None:
    found = default_format_table().get(extension)
    assert found is not None and found.lossy_editable and not found.editable


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("odt", "docx"),
        ("doc", "docx"),
        ("odp", "pptx"),
        ("ppt", "pptx"),
        ("ods", "xlsx"),
        ("xls", "xlsx"),
        ("xps", "pdf"),
        ("docxf", "pdf"),
        ("docx", None),
        ("xlsx", None),
        ("pptx", None),
        ("pdf", None),
        ("vsdx", None),
    ],
)
def test_convert_default_targets(source: str, target: str | None) -> None:
    found = default_format_table().get(source)
    assert found is not None and found.default_target == target


def test_document_types() -> None:
    table = default_format_table()
    assert {e: table.get(e).document_type for e in ["docx", "xlsx", "pptx", "pdf", "vsdx"]} == {  # type: ignore[union-attr]
        "docx": "word",
        "xlsx": "cell",
        "pptx": "slide",
        "pdf": "pdf",
        "vsdx": "diagram",
    }


def test_forms_follow_the_server_version() -> None:
    table = default_format_table()
    old_docxf = table.get("docxf", parse_version("7.5.1"))
    assert old_docxf is not None and old_docxf.document_type == "word" and old_docxf.editable
    new_docxf = table.get("docxf", parse_version("8.1.0"))
    assert new_docxf is not None and not new_docxf.editable and new_docxf.default_target == "pdf"
    old_oform = table.get("oform", (7, 5))
    assert old_oform is not None and old_oform.fillable
    pdf_on_7 = table.get("pdf", (7, 4))
    assert pdf_on_7 is not None and pdf_on_7.document_type == "word" and not pdf_on_7.editable
    pdf_on_8 = table.get("pdf", (8, 3))
    assert pdf_on_8 is not None and pdf_on_8.fillable and pdf_on_8.document_type == "pdf"


def test_diagrams_need_server_9() -> None:
    table = default_format_table()
    assert table.get("vsdx", (8, 3)) is None
    assert table.get("vsdx", (9, 0, 1)) is not None


def test_mime_types_for_saving() -> None:
    table = default_format_table()
    assert table.get("docx").mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"  # type: ignore[union-attr]
    assert table.get("ppt").mime == "application/vnd.ms-powerpoint"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("Report.DOCX", "docx"),
        ("a.b.xlsx", "xlsx"),
        (".bashrc", ""),
        ("noext", ""),
        ("trail.", ""),
        ("<img src=x onerror=alert(1)>.docx", "docx"),
    ],
)
def test_extension_of(name: str, extension: str) -> None:
    assert extension_of(name) == extension


@pytest.mark.parametrize(
    ("text", "version"), [("9.3.0", (9, 3, 0)), ("8.1.3.4", (8, 1, 3, 4)), ("9.0-beta", (9, 0)), ("", ())]
)
def test_parse_version(text: str, version: tuple[int, ...]) -> None:
    assert parse_version(text) == version


def test_unknown_extension() -> None:
    assert default_format_table().get("exe") is None
