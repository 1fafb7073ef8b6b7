"""Ranking matrix and weights files (CSV, UTF-8 with or without BOM): parsing and checking."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from evalsys.domain.criteria import CriteriaSystem

# Plain decimal numbers only: float() would also take "nan", "inf" and "1_000".
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class MatrixError(ValueError):
    """Bad input file; ``row`` is the 1-based line in the file (1 = header), ``column`` a name."""

    def __init__(self, reason: str, row: int | None = None, column: str | None = None) -> None:
        self.reason, self.row, self.column = reason, row, column
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)


@dataclass(frozen=True)
class Matrix:
    """Parsed matrix rows in file order (the display order wanted inside a tie)."""

    ids: tuple[str, ...]
    columns: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    lines: tuple[int, ...]

    def row(self, index: int) -> dict[str, float]:
        """Row ``index`` as {column: value}."""
        return dict(zip(self.columns, self.values[index]))


def decode_text(data: bytes, what: str = "file") -> str:
    """Decode UTF-8 (a BOM is dropped); anything else, typically GBK from Excel, is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MatrixError(f"{what} is not UTF-8 (byte {exc.start + 1}); GBK and other encodings "
                          "are refused: save it as UTF-8 (CSV UTF-8) and try again") from exc


def parse_number(text: str, row: int, column: str) -> float:
    """A finite decimal number from a cell, or MatrixError naming the cell."""
    cell = text.strip()
    if not NUMBER_RE.match(cell):
        shown = cell if cell else "empty"
        raise MatrixError(f"{shown!r} is not a number" if cell else "empty cell", row, column)
    value = float(cell)
    if not math.isfinite(value):
        raise MatrixError(f"{cell!r} is out of range", row, column)
    return value


def _records(data: bytes, what: str) -> list[tuple[int, list[str]]]:
    text = decode_text(data, what)
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                records.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise MatrixError(f"malformed CSV: {exc}", reader.line_num) from exc
    if not records:
        raise MatrixError(f"{what} is empty")
    return records


def matrix_columns(system: CriteriaSystem) -> tuple[list[str], list[str]]:
    """(indicator columns, target-field columns) a matrix for this system must have."""
    indicators = [i.id for i in system.scored_indicators]
    targets: list[str] = []
    for ind in system.scored_indicators:
        if ind.rule and ind.rule.target_field and ind.rule.target_field not in targets:
            targets.append(ind.rule.target_field)
    return indicators, targets


def parse_matrix(system: CriteriaSystem, data: bytes) -> Matrix:
    """Parse MATRIX_CSV: header ``id,<indicator ids>[,<target fields>]``, one row per candidate."""
    records = _records(data, "matrix")
    header_line, header = records[0]
    if not header or header[0] != "id":
        raise MatrixError("the first column must be 'id'", header_line, header[0] if header else None)
    indicators, targets = matrix_columns(system)
    allowed = set(indicators) | set(targets)
    gates = {g.id for g in system.gates}
    seen: set[str] = set()
    for name in header[1:]:
        if name in seen:
            raise MatrixError("duplicate column", header_line, name)
        seen.add(name)
        if name in gates:
            raise MatrixError("is a gate; leave gates out of the matrix", header_line, name)
        if name not in allowed:
            raise MatrixError(f"unknown column (not a scored indicator or target field of "
                              f"{system.id} v{system.version})", header_line, name)
    for name in indicators + targets:
        if name not in seen:
            raise MatrixError("missing column", header_line, name)
    ids: list[str] = []
    values: list[tuple[float, ...]] = []
    lines: list[int] = []
    first_seen: dict[str, int] = {}
    for line, cells in records[1:]:
        if len(cells) != len(header):
            raise MatrixError(f"has {len(cells)} cells, the header has {len(header)}", line)
        cid = cells[0]
        if not cid:
            raise MatrixError("empty id", line, "id")
        if cid in first_seen:
            raise MatrixError(f"duplicate id {cid!r} (first on row {first_seen[cid]})", line, "id")
        first_seen[cid] = line
        ids.append(cid)
        values.append(tuple(parse_number(c, line, name) for c, name in zip(cells[1:], header[1:])))
        lines.append(line)
    if not ids:
        raise MatrixError("matrix has a header but no candidates")
    return Matrix(ids=tuple(ids), columns=tuple(header[1:]), values=tuple(values),
                  lines=tuple(lines))


def parse_weights(system: CriteriaSystem, data: bytes) -> dict[str, float]:
    """Parse WEIGHTS_CSV: header ``id,weight``; every scored indicator once; ≥ 0, not all zero."""
    records = _records(data, "weights file")
    header_line, header = records[0]
    if header != ["id", "weight"]:
        raise MatrixError("the header must be 'id,weight'", header_line)
    expected = [i.id for i in system.scored_indicators]
    gates = {g.id for g in system.gates}
    weights: dict[str, float] = {}
    for line, cells in records[1:]:
        if len(cells) != 2:
            raise MatrixError(f"has {len(cells)} cells, expected 2", line)
        iid = cells[0]
        if iid in gates:
            raise MatrixError(f"{iid!r} is a gate and has no weight", line, "id")
        if iid not in expected:
            raise MatrixError(f"unknown indicator {iid!r}", line, "id")
        if iid in weights:
            raise MatrixError(f"indicator {iid!r} appears twice", line, "id")
        value = parse_number(cells[1], line, "weight")
        if value < 0:
            raise MatrixError(f"weight of {iid} is negative", line, "weight")
        weights[iid] = value
    missing = [i for i in expected if i not in weights]
    if missing:
        raise MatrixError(f"no weight for {', '.join(missing)}", header_line, "id")
    if not any(w > 0 for w in weights.values()):
        raise MatrixError("all weights are zero")
    return {i: weights[i] for i in expected}


def weights_sha256(system: CriteriaSystem, weights: Mapping[str, float]) -> str:
    """SHA-256 of the canonical weights text: ``id,weight`` lines in indicator order, repr floats.

    Canonical rather than the file's bytes, so the same weights give the same hash whether they
    came from a file, from the criteria defaults or from the database.
    """
    lines = ["id,weight"] + [f"{i.id},{float(weights[i.id])!r}" for i in system.scored_indicators]
    return hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8")).hexdigest()
