"""Central special subsidy funds (domain.md §8): categories, execution figures, compliance flags."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from evalsys.domain.marking import N_
from evalsys.domain.money import format_fen, rate

ALLOWED_CATEGORIES: dict[str, str] = {
    "PSP": N_("公共服务平台建设与运营"),
    "TEC": N_("公共技术服务"),
    "INC": N_("创业孵化"),
    "TRN": N_("人才培训"),
    "LOG": N_("公共仓储物流与共同配送"),
    "PRO": N_("宣传推广与对接活动"),
    "STD": N_("标准、信用、统计体系建设"),
    "FIN": N_("融资服务（贴息、担保补助）"),
    "EVA": N_("第三方评估与审计"),
    "OTH": N_("其他"),
}
# Recorded when money was spent on them (hiding it helps nobody) but always flagged.
FORBIDDEN_CATEGORIES: dict[str, str] = {
    "X-LND": N_("征地拆迁"),
    "X-BLD": N_("楼堂馆所"),
    "X-STF": N_("人员经费等经常性开支"),
    "X-WRK": N_("提取工作经费"),
    "X-TRF": N_("购买流量"),
    "X-OWN": N_("自建网络交易平台"),
}
CATEGORY_LABELS: dict[str, str] = {**ALLOWED_CATEGORIES, **FORBIDDEN_CATEGORIES}
EXPLANATION_REQUIRED = frozenset({"OTH"})

# A single payment above this is flagged for a closer look (500,000 yuan); configurable.
DEFAULT_LARGE_PAYMENT_FEN = 50_000_000


def category_label(code: str) -> str:
    """Chinese label of a category code (KeyError for an unknown code)."""
    return CATEGORY_LABELS[code]


def is_forbidden(code: str) -> bool:
    """True for the X-… categories that central funds may not pay for."""
    return code in FORBIDDEN_CATEGORIES


class ExpenditureStatus(StrEnum):
    """Verification state of an entry. A reversal is an entry with `reverses` set, not a status:
    it is verified like any other entry, which is what keeps verified rows immutable."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Allocation:
    id: int
    base_id: int
    year: int
    amount_fen: int
    period_start: date
    period_end: date
    document_no: str = ""
    purpose: str = ""


@dataclass(frozen=True)
class Tranche:
    id: int
    allocation_id: int
    date: date
    amount_fen: int
    document_no: str = ""


@dataclass(frozen=True)
class Expenditure:
    id: int
    allocation_id: int
    date: date
    category: str
    amount_fen: int
    voucher_no: str = ""
    has_voucher_scan: bool = False
    project: str = ""
    payee: str = ""
    explanation: str = ""
    status: ExpenditureStatus = ExpenditureStatus.PENDING
    reverses: int | None = None  # id of the verified entry this one cancels (negative amount)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


@dataclass(frozen=True)
class ComplianceSettings:
    """Knobs of the compliance checks; `over_received_is_flag` False means verification refuses."""

    large_payment_fen: int = DEFAULT_LARGE_PAYMENT_FEN
    over_received_is_flag: bool = False


def validate_expenditure(e: Expenditure) -> list[FieldError]:
    """Errors that prevent saving an entry (not flags): unknown category, OTH unexplained, signs."""
    errors = []
    if e.category not in CATEGORY_LABELS:
        errors.append(FieldError("category", N_("支出类别无效")))
    elif e.category in EXPLANATION_REQUIRED and not e.explanation.strip():
        errors.append(FieldError("explanation", N_("类别为“其他”时必须说明支出内容")))
    if isinstance(e.amount_fen, bool) or not isinstance(e.amount_fen, int):
        errors.append(FieldError("amount_fen", N_("金额必须以分为单位的整数保存")))
    elif e.reverses is None and e.amount_fen <= 0:
        errors.append(FieldError("amount_fen", N_("支出金额必须大于零")))
    elif e.reverses is not None and e.amount_fen >= 0:
        errors.append(FieldError("amount_fen", N_("冲销分录的金额必须为负数")))
    return errors


def received_fen(allocation_id: int, tranches: Iterable[Tranche]) -> int:
    """Funds received so far on one allocation."""
    return sum(t.amount_fen for t in tranches if t.allocation_id == allocation_id)


def verified_spent_fen(allocation_id: int, expenditures: Iterable[Expenditure]) -> int:
    """Verified spending on one allocation (reversals included, they are negative)."""
    return sum(e.amount_fen for e in expenditures
               if e.allocation_id == allocation_id and e.status == ExpenditureStatus.VERIFIED)


def exceeds_received(amount_fen: int, verified_spent: int, received: int) -> bool:
    """Would verifying `amount_fen` take verified spending above the funds received?"""
    return amount_fen > 0 and verified_spent + amount_fen > received


def _voucher_key(voucher_no: str) -> str:
    # People type the same voucher as "JZ-001 " or "jz-001": compare the normalised form.
    return "".join(voucher_no.split()).casefold()


def check_expenditure(
    e: Expenditure, *, allocations: Mapping[int, Allocation], tranches: Iterable[Tranche],
    expenditures: Iterable[Expenditure], settings: ComplianceSettings = ComplianceSettings(),
) -> list[Flag]:
    """Compliance flags of one entry against its allocation and the other entries of its base.

    `expenditures` may include `e` itself; it is skipped by id. Rejected entries count for
    nothing in the other entries' checks.
    """
    allocation = allocations[e.allocation_id]
    others = [x for x in expenditures if x.id != e.id]
    flags = []
    if is_forbidden(e.category):
        flags.append(Flag("forbidden_category",
                          f"“{category_label(e.category)}”（{e.category}）属于中央专项补助资金"
                          "不得列支的范围"))
    if settings.over_received_is_flag and e.status != ExpenditureStatus.REJECTED:
        received = received_fen(e.allocation_id, tranches)
        spent = verified_spent_fen(e.allocation_id, others)
        if exceeds_received(e.amount_fen, spent, received):
            flags.append(Flag("over_received",
                              f"计入本笔后已核实支出 {format_fen(spent + e.amount_fen)} 元，"
                              f"超过已到位资金 {format_fen(received)} 元"))
    key = _voucher_key(e.voucher_no)
    if key and e.status != ExpenditureStatus.REJECTED:
        for x in others:
            if (x.status != ExpenditureStatus.REJECTED
                    and allocations[x.allocation_id].base_id == allocation.base_id
                    and _voucher_key(x.voucher_no) == key
                    and x.reverses != e.id and e.reverses != x.id):
                flags.append(Flag("duplicate_voucher",
                                  f"凭证号“{e.voucher_no.strip()}”在本基地的其他支出中已使用"))
                break
    if not allocation.period_start <= e.date <= allocation.period_end:
        flags.append(Flag("outside_period",
                          f"支出日期 {e.date.isoformat()} 不在该笔资金的使用期限"
                          f"（{allocation.period_start.isoformat()} 至 "
                          f"{allocation.period_end.isoformat()}）内"))
    if abs(e.amount_fen) > settings.large_payment_fen:
        flags.append(Flag("large_payment",
                          f"单笔支出 {format_fen(abs(e.amount_fen))} 元，超过 "
                          f"{format_fen(settings.large_payment_fen)} 元的关注额度"))
    if not e.voucher_no.strip() or not e.has_voucher_scan:
        missing = "凭证号" if not e.voucher_no.strip() else "凭证扫描件"
        flags.append(Flag("missing_voucher", f"缺少{missing}"))
    return flags


@dataclass(frozen=True)
class Figures:
    """Execution figures; rates are 4-decimal strings or None when the denominator is 0."""

    allocated_fen: int
    received_fen: int
    spent_fen: int

    @property
    def arrival_rate(self) -> str | None:
        return rate(self.received_fen, self.allocated_fen)

    @property
    def execution_rate(self) -> str | None:
        return rate(self.spent_fen, self.received_fen)


def figures_by_base_year(
    allocations: Iterable[Allocation], tranches: Iterable[Tranche],
    expenditures: Iterable[Expenditure],
) -> dict[tuple[int, int], Figures]:
    """Figures per (base id, allocation year). The year is that of the allocation the money
    belongs to, not of the payment date: a 2013 allocation may be spent until 2015."""
    by_id = {a.id: a for a in allocations}
    allocated: dict[tuple[int, int], int] = defaultdict(int)
    received: dict[tuple[int, int], int] = defaultdict(int)
    spent: dict[tuple[int, int], int] = defaultdict(int)
    for a in by_id.values():
        allocated[(a.base_id, a.year)] += a.amount_fen
    for t in tranches:
        a = by_id[t.allocation_id]
        received[(a.base_id, a.year)] += t.amount_fen
    for e in expenditures:
        if e.status == ExpenditureStatus.VERIFIED:
            a = by_id[e.allocation_id]
            spent[(a.base_id, a.year)] += e.amount_fen
    keys = sorted(set(allocated) | set(received) | set(spent))
    return {k: Figures(allocated[k], received[k], spent[k]) for k in keys}


def spent_by_category(
    allocations: Iterable[Allocation], expenditures: Iterable[Expenditure],
) -> dict[tuple[int, int, str], int]:
    """Verified spending per (base id, allocation year, category)."""
    by_id = {a.id: a for a in allocations}
    spent: dict[tuple[int, int, str], int] = defaultdict(int)
    for e in expenditures:
        if e.status == ExpenditureStatus.VERIFIED:
            a = by_id[e.allocation_id]
            spent[(a.base_id, a.year, e.category)] += e.amount_fen
    return dict(sorted(spent.items()))


def total_figures(per_key: Mapping[object, Figures]) -> Figures:
    """Sum of several Figures (e.g. all years of a base, or all bases)."""
    values = list(per_key.values())
    return Figures(sum(f.allocated_fen for f in values), sum(f.received_fen for f in values),
                   sum(f.spent_fen for f in values))
