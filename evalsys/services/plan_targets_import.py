"""Creation-plan targets by spreadsheet: a template generated from the criteria file's `plan` fields
(one row per base, prefilled with the current values in the units people write) and an
all-or-nothing import with a per-row, per-column Chinese error report. Limits are checked before
openpyxl parses anything (domain/spreadsheet.py), as for the expenditure import."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from flask import current_app
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from ..domain.criteria import CriteriaSystem, Field
from ..domain.figures import FigureError
from ..domain.marking import N_
from ..domain.spreadsheet import SpreadsheetRejected, append_text_row, check_xlsx
from ..domain.units import PLAN_SCALE, parse_plan, plan_human, unit_label
from ..extensions import db
from ..models import FirstBatchBase, User
from . import audit
from .funds_import import DEFAULT_MAX_BYTES, DEFAULT_MAX_UNCOMPRESSED, RowError
from .plan_targets import PlanTargetError, locking_round, plan_fields, set_targets
from ..domain.errors import Message, N_, text_of

CODE_HEADER, NAME_HEADER = "基地编号", "基地名称"
# The same two columns in an English template; the plan fields take their English titles (criteria/en/).
FIXED_HEADERS = {"zh": (CODE_HEADER, NAME_HEADER), "en": ("Base code", "Base name")}
DEFAULT_MAX_ROWS = 1001  # the header and 1,000 bases


def _same(text: str) -> str:
    return text


def header_of(f: Field, lang: str = "zh", english: Callable[[str], str] = _same) -> str:
    """A field's column header: its label and the unit its values are written in (`english` names a unit in
    English, for the English header)."""
    unit = unit_label(f)
    if lang == "en":
        label = f.label_en or f.label
        return f"{label} ({english(unit) if unit != '%' else unit})" if unit else label
    return f"{f.label}（{unit}）" if unit else f.label


def headers(system: CriteriaSystem, lang: str = "zh", english: Callable[[str], str] = _same) -> list[str]:
    """The header row of the template in a language: the columns the import reads back, in either language."""
    return [*FIXED_HEADERS[lang]] + [header_of(f, lang, english) for f in plan_fields(system)]


def _cell(f: Field, value: int | None) -> Any:
    """A target as a number cell in people's units (int where whole, else Decimal)."""
    number = plan_human(f, value)
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else number


def template_bytes(system: CriteriaSystem, bases: list[FirstBatchBase], *, lang: str = "zh",
                   tr: Callable[[str], str] = _same) -> bytes:
    """The template in a language (`tr` translates its labels): the header row and one row per base with its
    current targets."""
    fields = plan_fields(system)
    wb = Workbook()
    ws = wb.active
    ws.title = tr(N_("创建方案目标"))
    append_text_row(ws, headers(system, lang, tr))
    for base in bases:
        targets = base.target_values()
        append_text_row(ws, [base.code, base.name] + [_cell(f, targets.get(f.id)) for f in fields])
    ws.column_dimensions["B"].width = 36
    notes = wb.create_sheet(tr(N_("填写说明")))
    lines = [tr(N_("每行一个基地，按“基地编号”对应；表头（第1行）不得修改，“基地名称”仅供核对。")),
             tr(N_("百分比填写百分数（如 95 表示 95%%），金额以元为单位（最多两位小数），元/元等小数最多保留%(places)s位小数，"
                   "人数、项数填写整数。")) % {"places": len(str(PLAN_SCALE['decimal'])) - 1},
             tr(N_("留空表示该基地没有该项目标；导入时全部行通过校验才会保存，任何一处错误都不会保存。")),
             tr(N_("已开始自评的基地目标值已锁定，修改时须在导入页面填写理由。"))]
    for line in lines:
        append_text_row(notes, [line])
    units = wb.create_sheet(tr(N_("目标字段")))
    append_text_row(units, [tr(N_("名称")), tr(N_("计量单位"))])  # the columns above are headed by these names
    for f in fields:
        unit = unit_label(f)
        append_text_row(units, [f.label_en or f.label, tr(unit) if unit != "%" else unit] if lang == "en"
                        else [f.label, unit])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class PlanImportResult:
    """Either errors (nothing saved) or the bases whose targets changed and those left as they were."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _code(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip().upper()


def import_targets(data: bytes, *, actor: User | None, reason: str = "", filename: str = "",
                   system: CriteriaSystem, english: Callable[[str], str] = _same) -> PlanImportResult:
    """Import an xlsx of targets for many bases: every row is checked first, then all are saved or none. The
    header row is the template's in Chinese or in English (`english` names a unit in English)."""
    cfg = current_app.config
    try:
        check_xlsx(data, max_compressed=int(cfg.get("FUNDS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                   max_uncompressed=int(cfg.get("FUNDS_IMPORT_MAX_UNCOMPRESSED", DEFAULT_MAX_UNCOMPRESSED)),
                   max_rows=int(cfg.get("PLAN_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except SpreadsheetRejected as e:
        raise PlanTargetError(e.message, {"file": e.message}) from e
    except Exception as e:  # openpyxl's own refusals of a damaged workbook
        raise PlanTargetError(N_("文件不是有效的Excel（xlsx）文件"), {"file": N_("文件无效")}) from e
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    sets = {lang: headers(system, lang, english) for lang in FIXED_HEADERS}
    expected = sets["zh"]
    header = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else ())][:len(expected)]
    lang = next((lang for lang, names in sets.items() if header == names), None)
    if lang is None:
        raise PlanTargetError(N_("模板不正确：第1行表头应为“%(headers)s”，请下载最新模板后填写"),
                              {"file": N_("模板不正确")}, headers="、".join(expected))
    expected = sets[lang]
    code_header = expected[0]
    fields = plan_fields(system)
    bases = {b.code: b for b in db.session.scalars(select(FirstBatchBase))}
    errors: list[RowError] = []
    parsed: list[tuple[int, FirstBatchBase, dict[str, int | None]]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        cells = list(raw[:len(expected)]) + [None] * (len(expected) - len(raw))
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        code = _code(cells[0])
        base = bases.get(code)
        if not code:
            errors.append(RowError(number, code_header, N_("请填写基地编号")))
        elif base is None:
            errors.append(RowError(number, code_header, Message(N_("基地编号 %(code)s 不存在"), code=code)))
        elif code in seen:
            errors.append(RowError(number, code_header, Message(N_("与第%(row)s行是同一个基地"), row=seen[code])))
        seen.setdefault(code, number)
        values: dict[str, int | None] = {}
        for f, cell in zip(fields, cells[2:], strict=True):
            if isinstance(cell, str) and not cell.strip():
                cell = None
            try:
                values[f.id] = parse_plan(f, cell)
            except FigureError as e:
                errors.append(RowError(number, header_of(f, lang, english), text_of(e)))
        if base is not None and not reason.strip() and locking_round(base) is not None \
                and values != {f.id: base.target_values().get(f.id) for f in fields}:
            errors.append(RowError(number, code_header, Message(N_("基地 %(code)s 的自评已开始，目标值已锁定；修改须填写理由"),
                                                                code=code)))
        if base is not None:
            parsed.append((number, base, values))
    if errors:
        order = {h: i for i, h in enumerate(expected)}
        return PlanImportResult(errors=sorted(errors, key=lambda e: (e.row, order.get(e.column, -1))))
    if not parsed:
        raise PlanTargetError(N_("文件中没有基地目标值"), {"file": N_("没有数据")})
    result = PlanImportResult()
    for _number, base, values in parsed:
        change = set_targets(base, values, actor=actor, reason=reason, source="import", system=system)
        (result.changed if change.changed else result.unchanged).append(base.code)
    audit.record("base_targets_imported", actor=actor, object_type="first_batch_bases",
                 detail={"file": filename, "sha256": hashlib.sha256(data).hexdigest(), "changed": result.changed,
                         "unchanged": len(result.unchanged), "reason": reason.strip() or None,
                         "criteria": f"{system.id}:{system.version}"})
    return result
