"""Real office files written by the gateway's own code: OOXML packages and PDF (with forms).

Production code (the blank documents of "New document") and the simulators share these writers;
the simulators' readers, appenders and legacy formats stay in gateway/testing/documents.
"""

from __future__ import annotations

from gateway.documents.ooxml import make_docx, make_pptx, make_xlsx
from gateway.documents.pdf import make_pdf

__all__ = ["make_docx", "make_pdf", "make_pptx", "make_xlsx"]
