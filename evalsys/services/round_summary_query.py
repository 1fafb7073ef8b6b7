"""The figures of a round's national summary, read with SQL aggregates: final grades per authority,
fund arrival and execution per authority (allocations up to the round's year), the 差 bases with
their rectification, and the mean achievement of every indicator over the graded evaluations."""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from ..domain.evaluation import EvaluationState
from ..domain.funds import ExpenditureStatus
from ..domain.timeutil import format_beijing
from ..extensions import db
from ..models import (Allocation, Authority, Evaluation, EvaluationRound, Expenditure, FirstBatchBase,
                      Rectification, Tranche)
from ..reporting.round_summary import GRADES, AuthorityFunds, AuthorityGrades, IndicatorMean, PoorBase
from .authority_list import authority_names

FINAL = (EvaluationState.ACCEPTED, EvaluationState.ISSUED)  # the ministry has fixed the grade


def grades_by_authority(round_: EvaluationRound) -> list[AuthorityGrades]:
    """Per authority with bases in the round: final grades counted by grade, and the others pending."""
    rows = db.session.execute(
        select(FirstBatchBase.authority_code, Evaluation.state, Evaluation.grade_label, func.count(Evaluation.id))
        .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
        .where(Evaluation.round_id == round_.id)
        .group_by(FirstBatchBase.authority_code, Evaluation.state, Evaluation.grade_label)).all()
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(GRADES))
    pending: dict[str, int] = defaultdict(int)
    for code, state, grade, n in rows:
        if state in FINAL and grade in GRADES:
            counts[code][GRADES.index(grade)] += n
        else:
            pending[code] += n
    names = authority_names()
    return [AuthorityGrades(code, names.get(code, code), counts[code], pending[code])
            for code in sorted(set(counts) | set(pending))]


def funds_by_authority(round_: EvaluationRound) -> list[AuthorityFunds]:
    """Allocated, received and verified-spent money of the round's bases per authority (reversals
    included, as in funds_query), for allocations of the round's year and before."""
    in_round = select(Evaluation.base_id).where(Evaluation.round_id == round_.id)
    scope = (Allocation.base_id.in_(in_round), Allocation.year <= round_.year)
    code = FirstBatchBase.authority_code

    def per_authority(amount, *joins, where=()) -> dict[str, int]:
        stmt = select(code, func.coalesce(func.sum(amount), 0)).select_from(Allocation)
        for target, on in joins:
            stmt = stmt.join(target, on)
        stmt = stmt.join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id).where(*scope, *where)
        return {c: int(v) for c, v in db.session.execute(stmt.group_by(code)).all()}

    allocated = per_authority(Allocation.amount_fen)
    received = per_authority(Tranche.amount_fen, (Tranche, Tranche.allocation_id == Allocation.id))
    spent = per_authority(Expenditure.amount_fen, (Expenditure, Expenditure.allocation_id == Allocation.id),
                          where=(Expenditure.status == ExpenditureStatus.VERIFIED,))
    bases = dict(db.session.execute(
        select(code, func.count(Evaluation.id)).join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
        .where(Evaluation.round_id == round_.id).group_by(code)).all())
    names = authority_names()
    return [AuthorityFunds(c, names.get(c, c), bases.get(c, 0), allocated.get(c, 0), received.get(c, 0),
                           spent.get(c, 0)) for c in sorted(bases)]


def poor_bases(round_: EvaluationRound) -> list[PoorBase]:
    """The bases graded 差 (final), lowest total first, with their rectification as it stands."""
    rows = db.session.execute(
        select(FirstBatchBase.code, FirstBatchBase.name, Authority.name, Evaluation.total, Rectification)
        .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
        .join(Authority, Authority.code == FirstBatchBase.authority_code)
        .outerjoin(Rectification, Rectification.evaluation_id == Evaluation.id)
        .where(Evaluation.round_id == round_.id, Evaluation.state.in_(FINAL), Evaluation.grade_label == "差")
        .order_by(FirstBatchBase.code)).all()

    def day(value) -> str:
        return format_beijing(value, "%Y-%m-%d")

    out = [PoorBase(code, name, authority, total or "", rect.state.label if rect else "未提出整改要求",
                    day(rect.deadline) if rect else "", day(rect.reported_at) if rect else "",
                    day(rect.rechecked_at) if rect else "", day(rect.revoked_at) if rect else "")
           for code, name, authority, total, rect in rows]
    return sorted(out, key=lambda p: (Decimal(p.total or "0"), p.base_code))


def graded_totals(round_: EvaluationRound) -> tuple[int, int, str]:
    """(bases in the round, final grades, mean final total rounded half-up to 2 decimals or "")."""
    bases = db.session.scalar(select(func.count(Evaluation.id)).where(Evaluation.round_id == round_.id)) or 0
    totals = [Decimal(t) for t in db.session.scalars(
        select(Evaluation.total).where(Evaluation.round_id == round_.id, Evaluation.state.in_(FINAL),
                                       Evaluation.total.is_not(None)))]
    mean = "" if not totals else str((sum(totals) / len(totals)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return bases, len(totals), mean


def indicator_means(round_: EvaluationRound) -> list[IndicatorMean]:
    """Every scored indicator's mean points and achievement (points / maximum) over the graded
    evaluations, strongest first (ties by the criteria file's order). Points are the scoring rules'
    own (services.evaluations.current_score): the target rules need each base's plan."""
    from .criteria import system_of
    from .evaluations import current_score

    system = system_of(round_)
    points: dict[str, list[Decimal]] = defaultdict(list)
    order, meta = [], {}
    evaluations = db.session.scalars(select(Evaluation).where(Evaluation.round_id == round_.id,
                                                              Evaluation.state.in_(FINAL)).order_by(Evaluation.id))
    for ev in evaluations:
        for group in current_score(ev, system).groups:
            for row in group.rows:
                ind = row.indicator
                if ind.id not in meta:
                    order.append(ind.id)
                    meta[ind.id] = (ind.title, group.title, Decimal(str(ind.max)))
                points[ind.id].append(row.points)
    out = []
    for ind_id in order:
        title, group, maximum = meta[ind_id]
        values = points[ind_id]
        mean = sum(values) / len(values)
        out.append(IndicatorMean(ind_id, title, group, f"{maximum:g}",
                                 str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
                                 str((mean / maximum).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
                                 len(values)))
    rank = {ind_id: i for i, ind_id in enumerate(order)}
    return sorted(out, key=lambda m: (-Decimal(m.achievement), rank[m.indicator_id]))
