"""Excel import of expenditures: the template, all-or-nothing parsing with a per-row, per-column
Chinese error report, and idempotent re-import through a fingerprint per row."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from ..domain import funds as rules
from ..domain.marking import N_
from ..domain.money import MoneyError, fen_from_number, parse_yuan
from ..domain.spreadsheet import SpreadsheetRejected, check_xlsx
from ..extensions import db
from ..models import Allocation, Expenditure, User
from ..reporting.xlsx import SheetSpec, workbook_bytes
from . import audit
from .funds import FundsError, lock_base
from .funds_flags import refresh_flags
from .funds_ledger import ExpenditureInput, input_errors, record_expenditure
from ..domain.errors import Message, N_, text_of

# Column keys and their headers in Chinese and in English: the template is written in the reader's language,
# and the header row of an upload must match one of the two sets exactly.
COLUMNS = [("date", "支出日期", "Date"), ("project", "项目名称", "Project"),
           ("category", "支出类别代码", "Category code"), ("amount", "金额（元）", "Amount (yuan)"), ("payee", "收款单位", "Payee"),
           ("voucher_no", "凭证号", "Voucher number"), ("explanation", "说明", "Explanation")]
HEADER_SETS = {"zh": [zh for _, zh, _ in COLUMNS], "en": [en for _, _, en in COLUMNS]}
HEADERS = HEADER_SETS["zh"]
HEADER_OF = {key: zh for key, zh, _ in COLUMNS}
WHOLE_ROW = {"zh": "整行", "en": "Whole row"}
LIMITS = {"project": 200, "payee": 200, "voucher_no": 60, "explanation": 2000}
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 2001  # the header and 2,000 entries
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
# Field names of the domain's errors → import columns.
_FIELD_COLUMN = {"category": "category", "explanation": "explanation", "amount_fen": "amount", "project": "project",
                 "payee": "payee"}


@dataclass(frozen=True)
class RowError:
    """One problem in the upload: spreadsheet row number (1 = header), column header, message."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """Outcome: either errors (nothing imported) or counts of new and already-imported rows."""

    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _same(text: str) -> str:
    return text


def template_bytes(*, lang: str = "zh", tr: Callable[[str], str] = _same) -> bytes:
    """The import template in a language (the headers of COLUMNS; the other labels through `tr`): the header row
    to fill in, the category codes and the instructions."""
    other = tr(N_("“其他”必须在“说明”列写明支出内容"))
    codes = [[code, tr(label), other if code in rules.EXPLANATION_REQUIRED else ""]
             for code, label in rules.ALLOWED_CATEGORIES.items()]
    codes += [[code, tr(label), tr(N_("不得使用中央专项补助资金列支；如实登记，系统将提示"))]
              for code, label in rules.FORBIDDEN_CATEGORIES.items()]
    notes = [[tr(N_("从第2行起每行一笔支出，表头（第1行）不得修改。"))],
             [tr(N_("支出日期：如 2014-03-01；金额：以元为单位，最多两位小数，如 12345.67。"))],
             [tr(N_("凭证扫描件请在系统中逐笔上传；重复导入同一文件不会产生重复记录。"))]]
    return workbook_bytes([SheetSpec(tr(N_("支出明细")), HEADER_SETS.get(lang, HEADERS), [],
                                     widths=(14, 30, 14, 16, 30, 16, 40)),
                           SheetSpec(tr(N_("类别代码")), [tr(N_("代码")), tr(N_("类别")), tr(N_("说明"))], codes),
                           SheetSpec(tr(N_("填写说明")), [], notes)])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError(N_("应为文字"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a voucher number typed as 1001 comes back as 1001.0
    return str(value).strip()


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise ValueError(N_("日期格式不正确，应为如 2014-03-01 的日期"))


def _parse_amount(value: Any) -> int:
    if isinstance(value, bool) or value is None or value == "":
        raise MoneyError(N_("请填写金额"))
    if isinstance(value, (int, float)):
        return fen_from_number(value)  # whole fen only, through Decimal (money.py)
    if isinstance(value, str):
        return parse_yuan(value)
    raise MoneyError(N_("金额格式不正确"))


def import_key(allocation_id: int, data: ExpenditureInput) -> str:
    """The fingerprint of one row: same allocation, date, category, amount, voucher, project, payee."""
    voucher = "".join(data.voucher_no.split()).casefold()
    raw = "|".join([str(allocation_id), data.date.isoformat(), data.category, str(data.amount_fen), voucher,
                    data.project.strip(), data.payee.strip()])
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_rows(allocation_id: int, rows: list[tuple], *,
               header_of: dict[str, str] = HEADER_OF) -> tuple[list[tuple[int, ExpenditureInput]], list[RowError]]:
    """Parse data rows (spreadsheet row 2 onwards) into inputs, collecting every error (each under the column's
    header as the file writes it)."""
    parsed: list[tuple[int, ExpenditureInput]] = []
    errors: list[RowError] = []
    for number, raw in enumerate(rows, start=2):
        cells = list(raw[:len(COLUMNS)]) + [None] * (len(COLUMNS) - len(raw))
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        values = dict(zip((k for k, _, _ in COLUMNS), cells, strict=True))
        row_errors: list[RowError] = []
        out: dict[str, Any] = {}
        try:
            out["date"] = _parse_date(values["date"])
        except ValueError as e:
            row_errors.append(RowError(number, header_of["date"], text_of(e)))
        try:
            out["amount_fen"] = _parse_amount(values["amount"])
        except (MoneyError, TypeError) as e:
            row_errors.append(RowError(number, header_of["amount"],
                                       text_of(e) if isinstance(e, MoneyError) else N_("金额格式不正确")))
        for key in ("project", "payee", "voucher_no", "explanation", "category"):
            try:
                text = _text(values[key])
            except ValueError as e:
                row_errors.append(RowError(number, header_of[key], text_of(e)))
                continue
            if _CONTROL.search(text):
                row_errors.append(RowError(number, header_of[key], N_("含有不允许的控制字符")))
            elif key in LIMITS and len(text) > LIMITS[key]:
                row_errors.append(RowError(number, header_of[key], Message(N_("不能超过%(count)s个字符"),
                                                                           count=LIMITS[key])))
            out[key] = text.upper() if key == "category" else text
        # The domain's checks run on whatever parsed; failed cells get neutral stand-ins so every
        # problem of the row is reported at once, each under its own column.
        probe = ExpenditureInput(**{"date": dt.date(2000, 1, 1), "amount_fen": 1, "project": "-", "payee": "-",
                                    "category": "PSP", **out})
        failed = {e.column for e in row_errors}
        for e in input_errors(allocation_id, probe):
            column = header_of[_FIELD_COLUMN.get(e.field, "amount")]
            if column not in failed:
                row_errors.append(RowError(number, column, e.message))
        if row_errors:
            errors.extend(row_errors)
            continue
        data = ExpenditureInput(**out)
        parsed.append((number, data))
    return parsed, errors


def import_expenditures(allocation: Allocation, data: bytes, *, actor: User | None = None,
                        filename: str = "") -> ImportResult:
    """Import an xlsx of expenditures into one allocation: all rows or none.

    A file that is not an xlsx or is over the limits raises FundsError before openpyxl parses it.
    Rows already imported (same fingerprint) are skipped, so the same file imported twice adds nothing.
    """
    cfg = current_app.config
    try:
        check_xlsx(data, max_compressed=int(cfg.get("FUNDS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                   max_uncompressed=int(cfg.get("FUNDS_IMPORT_MAX_UNCOMPRESSED", DEFAULT_MAX_UNCOMPRESSED)),
                   max_rows=int(cfg.get("FUNDS_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except SpreadsheetRejected as e:
        raise FundsError(e.message, "file") from e
    except Exception as e:  # openpyxl's own refusals of a damaged workbook
        raise FundsError(N_("文件不是有效的Excel（xlsx）文件"), "file") from e
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [_text(c) if not isinstance(c, bool) else "" for c in (rows[0] if rows else ())][:len(HEADERS)]
    lang = next((lang for lang, names in HEADER_SETS.items() if header == names), None)
    if lang is None:
        raise FundsError(N_("模板不正确：第1行表头应为“%(headers)s”，请下载最新模板后填写"), "file", headers="、".join(HEADERS))
    names = HEADER_SETS[lang]
    parsed, errors = parse_rows(allocation.id, rows[1:], header_of=dict(zip((k for k, _, _ in COLUMNS), names)))
    keyed: dict[str, int] = {}
    for number, item in parsed:
        key = import_key(allocation.id, item)
        if key in keyed:
            errors.append(RowError(number, WHOLE_ROW[lang], Message(N_("与第%(row)s行完全相同"), row=keyed[key])))
        keyed.setdefault(key, number)
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda e: (e.row, names.index(e.column)
                                                                 if e.column in names else -1)))
    if not parsed:
        raise FundsError(N_("文件中没有支出记录"), "file")
    lock_base(allocation.base_id)  # a concurrent import of the same file waits, then finds the keys
    existing = set(db.session.scalars(select(Expenditure.import_key).where(
        Expenditure.allocation_id == allocation.id, Expenditure.import_key.in_(list(keyed)))))
    result = ImportResult()
    for _, item in parsed:
        key = import_key(allocation.id, item)
        if key in existing:
            result.skipped += 1
            continue
        record_expenditure(allocation, item, actor=actor, import_key=key, refresh=False)
        result.created += 1
    audit.record("fund_expenditures_imported", obj=allocation, actor=actor,
                 detail={"file": filename, "sha256": hashlib.sha256(data).hexdigest(), "created": result.created,
                         "skipped": result.skipped})
    if result.created:
        refresh_flags(allocation.base_id, actor=actor)
    return result
