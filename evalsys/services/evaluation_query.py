"""Read-only figures of a round for its dashboard: rows per base, grade distribution, scores by
authority, execution rate against score, rectification status."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, Select, cast, select
from sqlalchemy.orm import selectinload

from ..domain.evaluation import EvaluationState
from ..domain.money import rate_bp
from ..extensions import db
from ..listing import ListQuery, ordered, yearly
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


# The total is stored as decimal text: it sorts as a number.
EVALUATION_SORTS = {"round": (EvaluationRound.year, EvaluationRound.code), "base": (FirstBatchBase.code,),
                    "state": (Evaluation.state,),
                    "total": (cast(Evaluation.total, Numeric(10, 2)).label("total_value"),)}


def _evaluations(where: Any, lq: ListQuery) -> Select:
    """Evaluations of the bases selected by `where` matching the search (base code or name, round code or title, a
    round's year), ?state= and ?year=; by default newest first."""
    stmt = (select(Evaluation).options(selectinload(Evaluation.rectification))
            .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
            .join(EvaluationRound, EvaluationRound.id == Evaluation.round_id).where(where))
    stmt = yearly(stmt, lq, EvaluationRound.year, FirstBatchBase.code, FirstBatchBase.name, EvaluationRound.code,
                  EvaluationRound.title)
    if lq.get("state"):
        stmt = stmt.where(Evaluation.state == EvaluationState(lq.get("state")))
    return ordered(stmt, lq, EVALUATION_SORTS, (Evaluation.id.desc(),), Evaluation.id)


def organisation_evaluations(organisation_id: int | None, lq: ListQuery) -> Select:
    """Evaluations of the bases one organisation operates (only those: the search narrows within them)."""
    return _evaluations(FirstBatchBase.organisation_id == organisation_id, lq)


def jurisdiction_evaluations(authority_code: str | None, lq: ListQuery) -> Select:
    """Evaluations of the jurisdiction's bases (only those: the search narrows within them)."""
    return _evaluations(FirstBatchBase.authority_code == authority_code, lq)


def round_years() -> list[int]:
    """The years of the evaluation rounds, latest first (the year filter)."""
    return list(db.session.scalars(select(EvaluationRound.year).distinct().order_by(EvaluationRound.year.desc())))
