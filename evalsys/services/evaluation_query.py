"""Read-only figures of a round for its dashboard: rows per base, grade distribution, scores by
authority, execution rate against score, rectification status."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from ..domain.money import rate_bp
from ..extensions import db
from ..models import Evaluation, EvaluationRound, FirstBatchBase
from . import funds_query

GRADE_ORDER = ("优", "良", "中", "差")


@dataclass(frozen=True)
class RoundRow:
    ev: Evaluation
    execution_bp: int | None

    @property
    def total(self) -> Decimal | None:
        return self.ev.total_decimal


def rows(round_: EvaluationRound) -> list[RoundRow]:
    """One row per base of the round with its cumulative execution rate up to the round's year."""
    evs = list(db.session.scalars(select(Evaluation).where(Evaluation.round_id == round_.id).order_by(Evaluation.id)))
    out = []
    for ev in evs:
        years = [f for y, f in funds_query.year_figures(ev.base) if y <= round_.year]
        spent, received = sum(f.spent_fen for f in years), sum(f.received_fen for f in years)
        out.append(RoundRow(ev, rate_bp(spent, received)))
    return out


def grade_distribution(data: list[RoundRow]) -> list[tuple[str, int]]:
    counts = Counter(r.ev.grade_label for r in data if r.ev.grade_label)
    return [(g, counts.get(g, 0)) for g in GRADE_ORDER]


def scores_by_authority(data: list[RoundRow]) -> list[tuple[str, float, int]]:
    """(authority, mean total rounded to 2, number graded), best mean first."""
    groups: dict[str, list[Decimal]] = defaultdict(list)
    for r in data:
        if r.total is not None:
            groups[r.ev.base.authority.name].append(r.total)
    means = [(a, float((sum(v) / len(v)).quantize(Decimal("0.01"))), len(v)) for a, v in groups.items()]
    return sorted(means, key=lambda m: (-m[1], m[0]))


def execution_vs_score(data: list[RoundRow]) -> list[tuple[float, float, str]]:
    return [(r.execution_bp / 100, float(r.total), r.ev.grade_label or "")
            for r in data if r.total is not None and r.execution_bp is not None]


def rectification_status(data: list[RoundRow]) -> list[tuple[Evaluation, str]]:
    return [(r.ev, r.ev.rectification.state.label) for r in data if r.ev.rectification is not None]


def round_by_code(code: str) -> EvaluationRound | None:
    """The round of a code, if any."""
    return db.session.scalar(select(EvaluationRound).where(EvaluationRound.code == code))


def organisation_evaluations(organisation_id: int | None) -> list[Evaluation]:
    """Evaluations of the bases one organisation operates, newest first."""
    return list(db.session.scalars(select(Evaluation).join(FirstBatchBase).where(
        FirstBatchBase.organisation_id == organisation_id).order_by(Evaluation.id.desc())).all())


def jurisdiction_evaluations(authority_code: str | None) -> list[Evaluation]:
    """Evaluations of the jurisdiction's bases, newest first."""
    return list(db.session.scalars(select(Evaluation).join(FirstBatchBase).where(
        FirstBatchBase.authority_code == authority_code).order_by(Evaluation.id.desc())).all())
