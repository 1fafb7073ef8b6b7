"""Reads behind the ministry's admin pages: overview counts, authorities, bases, rounds, weight versions."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, String, cast, func, literal, select, union_all

from ..extensions import db
from ..listing import ListQuery, ordered, yearly
from ..models import (Authority, Evaluation, EvaluationRound, FirstBatchBase, Organisation, OrganisationState, Role,
                      User, WeightVersion)


def overview_counts() -> tuple[dict[OrganisationState, int], dict[Role, int], int]:
    """The admin's overview in one query: organisations per verification state, accounts per role and the number
    of authorities (the stored values of both enums are their member values)."""
    parts = union_all(
        select(literal("org").label("kind"), cast(Organisation.state, String).label("value"), func.count().label("n"))
        .group_by(Organisation.state),
        select(literal("role"), cast(User.role, String), func.count()).group_by(User.role),
        select(literal("auth"), literal(""), func.count()).select_from(Authority)).subquery()
    orgs: dict[OrganisationState, int] = {}
    roles: dict[Role, int] = {}
    authorities = 0
    for which, value, n in db.session.execute(select(parts.c.kind, parts.c.value, parts.c.n)):
        if which == "org":
            orgs[OrganisationState(value)] = n
        elif which == "role":
            roles[Role(value)] = n
        else:
            authorities = n
    return orgs, roles, authorities


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
