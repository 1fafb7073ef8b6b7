"""Tabular exports: XLSX workbooks whose text cells stay text (never formulas), and CSV streamed in
chunks (UTF-8 with a BOM for Excel, formula-like text prefixed with an apostrophe)."""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from ..domain.spreadsheet import csv_row
from .application_export import applications_workbook

CSV_CHUNK_ROWS = 1000
# A CSV larger than this goes to a temporary file rather than memory.
CSV_SPOOL_BYTES = 8 * 1024 * 1024


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A one-sheet workbook written in streaming mode; every string goes in as text, so "=…" never
    becomes a formula."""
    return applications_workbook(headers, rows, sheet_title=title)


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks of CSV_CHUNK_ROWS rows, for a streamed response: memory stays
    flat however many rows there are."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(headers)
    for count, row in enumerate(rows, start=1):
        writer.writerow(csv_row(row))
        if count % CSV_CHUNK_ROWS == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def csv_file(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> IO[bytes]:
    """The whole CSV written chunk by chunk, in memory up to CSV_SPOOL_BYTES and in a temporary
    file beyond, rewound, to be sent as a file: the rows are read while the request's database
    session is open, and the response streams the file out in blocks (closing it at the end)."""
    out: IO[bytes] = io.BytesIO()
    for chunk in csv_chunks(headers, rows):
        out.write(chunk)
        if isinstance(out, io.BytesIO) and out.tell() > CSV_SPOOL_BYTES:
            disk = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
            disk.write(out.getvalue())
            out = disk
    out.seek(0)
    return out
