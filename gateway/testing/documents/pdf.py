"""Reading PDF text and form fields, and appending text (the writer is production code, re-exported).

Append re-lays the pages and keeps the fields; gateway/documents/pdf.py writes the file.
"""

from __future__ import annotations

from gateway.documents.pdf import make_pdf

from .errors import DocumentError
from .pdfread import PdfDocument

__all__ = ["append_pdf", "make_pdf", "pdf_fields", "pdf_text"]


def pdf_text(data: bytes) -> str:
    """Every page's lines, in page order."""
    document = PdfDocument(data)
    return "\n".join(line for page in document.pages() for line in document.page_lines(page))


def pdf_fields(data: bytes) -> dict[str, str]:
    """The AcroForm text fields (name -> value); empty when the file is not a form."""
    return PdfDocument(data).fields()


def append_pdf(data: bytes, text: str) -> bytes:
    """The same pages with the new lines after the last one, keeping any form fields."""
    document = PdfDocument(data)
    pages = document.pages()
    if not pages:
        raise DocumentError("pdf: the document has no page to append to")
    old = "\n".join(line for page in pages for line in document.page_lines(page))
    return make_pdf(old + "\n" + text, document.fields() or None)
