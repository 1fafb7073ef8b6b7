"""The XLSX export of a call's applications: text stays text, numbers stay numbers."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .xlsx import EXCEL_CELL_MAX, SheetSpec, sheet_name, workbook_bytes

__all__ = ["EXCEL_CELL_MAX", "applications_workbook", "sheet_name"]


def applications_workbook(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, sheet_title: str
) -> bytes:
    """One sheet: a bold, frozen, filterable header row, then one row per application.

    Written in streaming (write-only) mode by reporting.xlsx: every string goes in as text, so
    "=HYPERLINK(...)" stays text; int and Decimal stay numbers; floats and ragged rows are refused.
    """
    return workbook_bytes([SheetSpec(sheet_title, columns, rows, filter=True, strict_width=True)])
