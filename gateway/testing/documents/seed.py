"""The demo seed's attachments: fixed names and contents, identical bytes on every call."""

from __future__ import annotations

from .formats import SUPPORTED_EXTENSIONS, make_document
from .pdf import make_pdf

__all__ = ["DEMO_CONTENTS", "demo_files"]

DEMO_CONTENTS: dict[str, str] = {
    "report.docx": "Quarterly report\nRevenue grew 12% this quarter.\nNext steps: hire two engineers.",
    "budget.xlsx": "Budget 2024\nTravel: 12000\nHardware: 30000\nTraining: 8000",
    "slides.pptx": "Team kick-off\nGoals for the year\nQuestions welcome",
    "form.pdf": "Leave request form\nPlease fill in your name below.",
    "legacy.doc": "Legacy memo\nThis document was written with Word 97.",
    "notes.odt": "Meeting notes\nDecided to adopt ONLYOFFICE for Confluence.",
    "data.ods": "Measurements\n3.14\n2.72\n1.41",
    "old.ppt": "Old presentation\nMade with PowerPoint 97.",
}


def demo_files() -> dict[str, bytes]:
    """File name -> bytes, for every demo attachment whose format is available."""
    files: dict[str, bytes] = {}
    for name, text in DEMO_CONTENTS.items():
        ext = name.rsplit(".", 1)[1]
        if name == "form.pdf":  # a real form: one fillable text field
            files[name] = make_pdf(text, {"Name": ""})
        elif ext in SUPPORTED_EXTENSIONS:
            files[name] = make_document(ext, text)
    return files
