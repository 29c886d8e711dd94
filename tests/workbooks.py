"""openpyxl's active sheet as the worksheet the tests read and write: its stubs type
`Workbook.active` as a worksheet, a chart sheet or None."""

from __future__ import annotations

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["active_sheet"]


def active_sheet(workbook: Workbook) -> Worksheet:
    sheet = workbook.active
    assert isinstance(sheet, Worksheet), f"the active sheet is {sheet!r}, not a worksheet"
    return sheet
