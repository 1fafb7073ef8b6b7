"""Reads behind the ministry's admin pages: overview counts, authorities, bases, rounds, weight versions."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select

from ..extensions import db
from ..listing import ListQuery, ordered, yearly
from ..models import (Authority, Evaluation, EvaluationRound, FirstBatchBase, Organisation, OrganisationState, Role,
                      User, WeightVersion)


def organisations_by_state() -> dict[OrganisationState, int]:
    """The number of organisations per verification state."""
    return dict(db.session.execute(select(Organisation.state, func.count()).group_by(Organisation.state)).all())


def users_by_role() -> dict[Role, int]:
    """The number of accounts per role."""
    return dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())


def authority_count() -> int:
    """The number of authorities."""
    return db.session.scalar(select(func.count()).select_from(Authority))


def authorities() -> list[Authority]:
    """Every authority by code."""
    return list(db.session.scalars(select(Authority).order_by(Authority.code)))


def organisation_by_uscc(code: str) -> Organisation | None:
    """The organisation with this (normalised) unified social credit code, if any."""
    return db.session.scalar(select(Organisation).where(Organisation.uscc == code))


def bases() -> list[FirstBatchBase]:
    """Every first-batch base by code."""
    return list(db.session.scalars(select(FirstBatchBase).order_by(FirstBatchBase.code)).unique())


_BASES_OF_ROUND = (select(func.count(Evaluation.id)).where(Evaluation.round_id == EvaluationRound.id)
                   .correlate(EvaluationRound).scalar_subquery())
ROUND_SORTS = {"code": (EvaluationRound.code,), "title": (EvaluationRound.title,), "year": (EvaluationRound.year,),
               "self": (EvaluationRound.self_deadline,), "authority": (EvaluationRound.authority_deadline,),
               "bases": (_BASES_OF_ROUND,)}


def evaluation_rounds(lq: ListQuery) -> Select:
    """Evaluation rounds matching the search (code, title, year) and ?year=; by default newest first."""
    stmt = yearly(select(EvaluationRound), lq, EvaluationRound.year, EvaluationRound.code, EvaluationRound.title)
    return ordered(stmt, lq, ROUND_SORTS, (EvaluationRound.id.desc(),), EvaluationRound.id)


def bases_per_round(rounds: Iterable[EvaluationRound]) -> dict[int, int]:
    """The number of bases (evaluations) of each of `rounds`."""
    return dict(db.session.execute(select(Evaluation.round_id, func.count()).where(
        Evaluation.round_id.in_([r.id for r in rounds])).group_by(Evaluation.round_id)).all())


def users_by_ids(ids: Iterable[int]) -> list[User]:
    """The accounts with these ids."""
    return list(db.session.scalars(select(User).where(User.id.in_(list(ids)))))


def weight_version_counts() -> dict[tuple[str, int], int]:
    """The number of weight versions per indicator system id and version."""
    return {(cid, ver): n for cid, ver, n in db.session.execute(
        select(WeightVersion.criteria_id, WeightVersion.criteria_version, func.count())
        .group_by(WeightVersion.criteria_id, WeightVersion.criteria_version)).all()}
