"""Central special subsidy funds (domain.md §8): first-batch bases, allocations with their guard
row, received tranches, expenditures and their compliance flags. Money is integer fen only."""
from __future__ import annotations

import enum
import datetime as dt

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.funds import CATEGORY_LABELS, ExpenditureStatus, is_forbidden
from ..extensions import db
from .account import Organisation, _enum
from .authority import Authority
from .file import StoredFile
from .types import UTCDateTime, utcnow


class FirstBatchBase(db.Model):
    """A first-batch demonstration base; the applicant accounts of its operator act for it."""

    __tablename__ = "first_batch_bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # B1-01 …
    name: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(40))
    authority_code: Mapped[str] = mapped_column(ForeignKey("authorities.code"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    authority: Mapped[Authority] = relationship(lazy="joined")
    operator: Mapped[Organisation] = relationship(lazy="joined")
    targets: Mapped[list[BaseTarget]] = relationship(back_populates="base", order_by="BaseTarget.field_id",
                                                     cascade="all, delete-orphan")

    def target_values(self) -> dict[str, int]:
        """Creation-plan targets by field id of the performance system (criteria/perf-base-b1)."""
        return {t.field_id: t.value for t in self.targets}

    def __repr__(self) -> str:
        return f"<FirstBatchBase {self.code}>"


class BaseTarget(db.Model):
    """One creation-plan target of a base, keyed by the performance system's field id.

    `value` is an integer in the field's smallest unit (domain.md §7): fen for money, basis
    points for ratios, plain counts for integers, ten-thousandths for decimals.
    """

    __tablename__ = "base_targets"
    __table_args__ = (UniqueConstraint("base_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("first_batch_bases.id"), index=True)
    field_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(BigInteger)

    base: Mapped[FirstBatchBase] = relationship(back_populates="targets")


class Allocation(db.Model):
    """Central funds allocated to a base for a year, approved by a document (文号)."""

    __tablename__ = "fund_allocations"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        Index("ix_fund_allocations_base_year", "base_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("first_batch_bases.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    document_no: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    base: Mapped[FirstBatchBase] = relationship(lazy="joined")
    account: Mapped[FundAccount] = relationship(back_populates="allocation", uselist=False)
    tranches: Mapped[list[Tranche]] = relationship(back_populates="allocation", order_by="Tranche.date")

    __mapper_args__ = {"version_id_col": version_id}


class FundAccount(db.Model):
    """The guard row of one allocation: received and verified-spent totals, changed only by
    conditional UPDATE statements so a rule spanning many rows holds under concurrency.

    The CHECK is the last line of defence: verified spending may exceed receipts only where the
    row says so, which the service sets when the "over received is a flag" setting allowed it.
    """

    __tablename__ = "fund_accounts"
    __table_args__ = (
        CheckConstraint("received_fen >= 0", name="received_non_negative"),
        CheckConstraint("overspend_allowed OR verified_spent_fen <= received_fen", name="spent_within_received"),
    )

    allocation_id: Mapped[int] = mapped_column(ForeignKey("fund_allocations.id"), primary_key=True)
    received_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    verified_spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    overspend_allowed: Mapped[bool] = mapped_column(Boolean, default=False)

    allocation: Mapped[Allocation] = relationship(back_populates="account")


class Tranche(db.Model):
    """Funds actually received on an allocation (date, amount, document)."""

    __tablename__ = "fund_tranches"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("fund_allocations.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    document_no: Mapped[str] = mapped_column(String(60), default="")
    created_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    allocation: Mapped[Allocation] = relationship(back_populates="tranches")

    __mapper_args__ = {"version_id_col": version_id}


class Expenditure(db.Model):
    """One payment against an allocation. Verified entries are never changed: a correction is a
    reversing entry (`reverses_id` set, negative amount) that is verified like any other."""

    __tablename__ = "fund_expenditures"
    __table_args__ = (
        CheckConstraint("(reverses_id IS NULL AND amount_fen > 0) OR (reverses_id IS NOT NULL AND amount_fen < 0)",
                        name="amount_sign"),
        # Re-importing a spreadsheet finds its rows by this fingerprint instead of adding them twice.
        UniqueConstraint("allocation_id", "import_key"),
        # At most one live (not rejected) reversal per entry.
        Index("uq_fund_expenditures_live_reversal", "reverses_id", unique=True,
              sqlite_where=text("status != 'rejected'"), postgresql_where=text("status != 'rejected'")),
        Index("ix_fund_expenditures_allocation_status", "allocation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("fund_allocations.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    project: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payee: Mapped[str] = mapped_column(String(200))
    voucher_no: Mapped[str] = mapped_column(String(60), default="")
    voucher_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), default=None)
    explanation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ExpenditureStatus] = mapped_column(_enum(ExpenditureStatus, 10), default=ExpenditureStatus.PENDING)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("fund_expenditures.id"), default=None)
    import_key: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    allocation: Mapped[Allocation] = relationship(lazy="joined")
    voucher_file: Mapped[StoredFile | None] = relationship()
    reverses: Mapped[Expenditure | None] = relationship(remote_side=[id])
    flags: Mapped[list[ComplianceFlag]] = relationship(back_populates="expenditure", order_by="ComplianceFlag.id")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def category_label(self) -> str:
        """Chinese label of the category."""
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def forbidden(self) -> bool:
        """True for the X-… categories."""
        return is_forbidden(self.category)

    @property
    def is_reversal(self) -> bool:
        """True for an entry that cancels a verified one."""
        return self.reverses_id is not None


class FlagState(str, enum.Enum):
    """Where a compliance flag stands. Flags are never deleted."""

    OPEN = "open"          # raised (or reopened by the ministry), awaiting the authority
    RESOLVED = "resolved"  # the authority explained it, with a reason
    CLEARED = "cleared"    # the condition no longer holds (e.g. the voucher scan arrived)


FLAG_STATE_LABELS = {FlagState.OPEN: "待处理", FlagState.RESOLVED: "已处理", FlagState.CLEARED: "已消除"}
FLAG_CODE_LABELS = {
    "forbidden_category": "禁止列支类别",
    "over_received": "超过到位资金",
    "duplicate_voucher": "凭证号重复",
    "outside_period": "超出资金使用期限",
    "large_payment": "大额支付",
    "missing_voucher": "缺少凭证",
}


class ComplianceFlag(db.Model):
    """A compliance finding on one entry (one row per entry and rule), with a plain-Chinese message."""

    __tablename__ = "fund_flags"
    __table_args__ = (UniqueConstraint("expenditure_id", "code"), Index("ix_fund_flags_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    expenditure_id: Mapped[int] = mapped_column(ForeignKey("fund_expenditures.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[FlagState] = mapped_column(_enum(FlagState, 10), default=FlagState.OPEN)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    expenditure: Mapped[Expenditure] = relationship(back_populates="flags")
    events: Mapped[list[FlagEvent]] = relationship(back_populates="flag", order_by="FlagEvent.id")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def code_label(self) -> str:
        """Chinese name of the rule."""
        return FLAG_CODE_LABELS.get(self.code, self.code)

    @property
    def state_label(self) -> str:
        """Chinese name of the state."""
        return FLAG_STATE_LABELS[self.state]

    @property
    def is_open(self) -> bool:
        """Raised or reopened, awaiting the authority."""
        return self.state == FlagState.OPEN


class FlagEvent(db.Model):
    """The history of a flag: raised, resolved, reopened, cleared — each with its reason."""

    __tablename__ = "fund_flag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("fund_flags.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # raised | resolved | reopened | cleared | reraised
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    flag: Mapped[ComplianceFlag] = relationship(back_populates="events")

    @property
    def action_label(self) -> str:
        """Chinese name of the action."""
        return {"raised": "系统提示", "resolved": "主管部门处理", "reopened": "商务部重新打开",
                "cleared": "条件消除", "reraised": "再次出现"}.get(self.action, self.action)


class FundRecovery(db.Model):
    """Funds to be recovered from a base (e.g. after its title is revoked, domain.md §6): an entry
    of the base's fund records, added by the ministry; never changed or deleted."""

    __tablename__ = "fund_recoveries"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("first_batch_bases.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(40), default="")  # e.g. "evaluation:12"
    recorded_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    base: Mapped[FirstBatchBase] = relationship()

    items: Mapped[list[FundRecoveryItem]] = relationship(back_populates="recovery", order_by="FundRecoveryItem.id")


class FundRecoveryItem(db.Model):
    """One line of a recovery: the unspent balance of an allocation, verified spending in a
    forbidden category (X-…), or a further amount the ministry names."""

    __tablename__ = "fund_recovery_items"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recovery_id: Mapped[int] = mapped_column(ForeignKey("fund_recoveries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # unspent | forbidden | other
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("fund_allocations.id"), default=None)
    category: Mapped[str | None] = mapped_column(String(10), default=None)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    recovery: Mapped[FundRecovery] = relationship(back_populates="items")
