"""Tabular exports: XLSX workbooks whose text cells stay text (never formulas)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .application_export import applications_workbook


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A one-sheet workbook; every string goes in as text, so "=…" never becomes a formula."""
    return applications_workbook(headers, rows, sheet_title=title)
