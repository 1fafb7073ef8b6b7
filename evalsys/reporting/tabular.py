"""Tabular exports: XLSX workbooks whose text cells stay text (never formulas)."""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from ..domain.spreadsheet import append_text_row


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A one-sheet workbook; every string goes in as text, so "=…" never becomes a formula."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    append_text_row(ws, headers)
    for row in rows:
        append_text_row(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
