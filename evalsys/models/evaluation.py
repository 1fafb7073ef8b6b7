"""Performance evaluation of the first-batch bases (issue 7): rounds, one evaluation per base with
its figures, expert points, narratives and history, evidence, rectification, issued reports and
the batch jobs that issue them. Scores are Decimal text; money stays in the fund tables."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.evaluation import EvaluationState, RectificationState

from ..domain.marking import N_
from ..extensions import db
from .account import _enum
from .file import StoredFile
from .funds import FirstBatchBase
from .types import UTCDateTime, utcnow


class EvaluationRound(db.Model):
    """One evaluation round (e.g. perf-2015): indicator system, deadlines, the bases in scope
    (one Evaluation each) and the batch-issuing lock (a lease on this row)."""

    __tablename__ = "evaluation_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)  # fund figures count allocations up to this year
    criteria_id: Mapped[str] = mapped_column(String(60))
    criteria_version: Mapped[int] = mapped_column(Integer)
    self_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    authority_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issuer: Mapped[str] = mapped_column(String(100), default="中华人民共和国商务部电子商务和信息化司")
    created_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The one lock that batch issuing from the UI and from the CLI share: a lease, renewed while
    # the holder works, so a killed holder frees the round once the lease runs out.
    lock_owner: Mapped[str | None] = mapped_column(String(80), default=None)
    lock_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    evaluations: Mapped[list[Evaluation]] = relationship(back_populates="round", order_by="Evaluation.id")

    __mapper_args__ = {"version_id_col": version_id}


class Evaluation(db.Model):
    """One base's evaluation in a round."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("round_id", "base_id"), Index("ix_evaluations_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("first_batch_bases.id"), index=True)
    state: Mapped[EvaluationState] = mapped_column(_enum(EvaluationState, 20), default=EvaluationState.DRAFT)
    narratives: Mapped[dict] = mapped_column(JSON, default=dict)  # level-1 group id -> operator's text
    conclusions: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    other_notes: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[str | None] = mapped_column(String(10), default=None)  # Decimal text, 2 decimals
    bonus: Mapped[str | None] = mapped_column(String(10), default=None)
    grade_code: Mapped[str | None] = mapped_column(String(20), default=None)
    grade_label: Mapped[str | None] = mapped_column(String(10), default=None)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    self_submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    round: Mapped[EvaluationRound] = relationship(back_populates="evaluations", lazy="joined")
    base: Mapped[FirstBatchBase] = relationship(lazy="joined")
    values: Mapped[list[EvaluationValue]] = relationship(back_populates="evaluation",
                                                         order_by="EvaluationValue.id")
    scores: Mapped[list[EvaluationScore]] = relationship(back_populates="evaluation",
                                                         order_by="EvaluationScore.id")
    events: Mapped[list[EvaluationEvent]] = relationship(back_populates="evaluation",
                                                         order_by="EvaluationEvent.id")
    attachments: Mapped[list[EvaluationAttachment]] = relationship(back_populates="evaluation",
                                                                   order_by="EvaluationAttachment.id")
    rectification: Mapped[Rectification | None] = relationship(back_populates="evaluation", uselist=False)
    reports: Mapped[list[IssuedReport]] = relationship(back_populates="evaluation", order_by="IssuedReport.id",
                                                       foreign_keys="IssuedReport.evaluation_id")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def total_decimal(self) -> Decimal | None:
        return None if self.total is None else Decimal(self.total)

    @property
    def valid_report(self) -> IssuedReport | None:
        return next((r for r in self.reports if r.status == ReportStatus.VALID), None)


class EvaluationValue(db.Model):
    """One figure of an evaluation in storage units (text of the stored value, figures.py).
    A correction by the authority keeps the operator's original and needs a reason."""

    __tablename__ = "evaluation_values"
    __table_args__ = (UniqueConstraint("evaluation_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    field_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(String(40), default=None)
    prefilled: Mapped[bool] = mapped_column(Boolean, default=False)  # taken from the fund records
    original: Mapped[str | None] = mapped_column(String(40), default=None)  # the operator's, once corrected
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    corrected_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    corrected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    evaluation: Mapped[Evaluation] = relationship(back_populates="values")


class EvaluationScore(db.Model):
    """The authority's points for one E indicator (Decimal text, steps of 0.1) with its comment."""

    __tablename__ = "evaluation_scores"
    __table_args__ = (UniqueConstraint("evaluation_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    indicator_id: Mapped[str] = mapped_column(String(60))
    points: Mapped[str | None] = mapped_column(String(10), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")

    evaluation: Mapped[Evaluation] = relationship(back_populates="scores")


class EvaluationEvent(db.Model):
    """The history of an evaluation: who (acting unit), what, when, why."""

    __tablename__ = "evaluation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20), default=None)
    to_state: Mapped[str | None] = mapped_column(String(20), default=None)
    acting_unit: Mapped[str] = mapped_column(String(100), default="")
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="events")


class EvaluationAttachment(db.Model):
    """Evidence the base operator attached to its self-evaluation."""

    __tablename__ = "evaluation_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    evaluation: Mapped[Evaluation] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship(lazy="joined")


class Rectification(db.Model):
    """Use of results for 差: requirement and deadline, the base's report, the authority's re-check,
    and on failure the ministry's revocation with the funds to be recovered."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    state: Mapped[RectificationState] = mapped_column(_enum(RectificationState, 12),
                                                      default=RectificationState.REQUIRED)
    requirement: Mapped[str] = mapped_column(Text)
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    required_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    required_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    report: Mapped[str] = mapped_column(Text, default="")
    report_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), default=None)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    recheck_result: Mapped[str] = mapped_column(Text, default="")
    rechecked_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    rechecked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    recovery_id: Mapped[int | None] = mapped_column(ForeignKey("fund_recoveries.id"), default=None)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    evaluation: Mapped[Evaluation] = relationship(back_populates="rectification")
    report_file: Mapped[StoredFile | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


class ReportStatus(str, enum.Enum):
    VALID = "valid"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"valid": N_("有效"), "superseded": N_("已被替代")}[self.value]


class IssuedReport(db.Model):
    """An issued, signed report. Never changed after issue except `status` (valid → superseded).

    `snapshot` is the exact data rendered, so re-rendering reproduces `unsigned_sha256`;
    `path` is relative to ISSUED_DIR and holds the signed file whose hash is `signed_sha256`.
    """

    __tablename__ = "issued_reports"
    __table_args__ = (
        UniqueConstraint("round_id", "sequence"),
        # At most one valid report per evaluation: issuing twice fails here even if a lock did not.
        Index("uq_issued_reports_valid_evaluation", "evaluation_id", unique=True,
              sqlite_where=text("status = 'valid'"), postgresql_where=text("status = 'valid'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    unsigned_sha256: Mapped[str] = mapped_column(String(64))
    signed_sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, 12), default=ReportStatus.VALID)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("issued_reports.id"), default=None)
    issuer: Mapped[str] = mapped_column(String(100))
    issued_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[str] = mapped_column(Text)

    evaluation: Mapped[Evaluation] = relationship(back_populates="reports", foreign_keys=[evaluation_id])
    round: Mapped[EvaluationRound] = relationship()
    supersedes: Mapped[IssuedReport | None] = relationship(remote_side=[id])


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": N_("排队中"), "running": N_("进行中"), "done": N_("已完成"), "failed": N_("出错")}[self.value]


class BatchJob(db.Model):
    """A batch issuing run of one round; its items and progress live here so a reload shows them
    and an interrupted run resumes with the items still pending."""

    __tablename__ = "batch_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    state: Mapped[JobState] = mapped_column(_enum(JobState, 10), default=JobState.QUEUED)
    backend: Mapped[str] = mapped_column(String(10), default="thread")  # rq | thread | cli
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    items: Mapped[list[BatchItem]] = relationship(back_populates="job", order_by="BatchItem.id")


class BatchItem(db.Model):
    """One evaluation to issue within a batch job."""

    __tablename__ = "batch_items"
    __table_args__ = (UniqueConstraint("job_id", "evaluation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("batch_jobs.id"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | skipped | failed
    report_id: Mapped[int | None] = mapped_column(ForeignKey("issued_reports.id"), default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    job: Mapped[BatchJob] = relationship(back_populates="items")
