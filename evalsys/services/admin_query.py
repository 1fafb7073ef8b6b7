"""Reads behind the ministry's admin pages: overview counts, authorities, bases, rounds, collections,
weight versions."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from ..extensions import db
from ..models import (Authority, EvaluationRound, FirstBatchBase, Organisation, OrganisationState, Role, User,
                      WeightVersion)
from ..models.summary import SummaryCollection


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


def evaluation_rounds() -> list[EvaluationRound]:
    """Every evaluation round, newest first."""
    return list(db.session.scalars(select(EvaluationRound).order_by(EvaluationRound.id.desc())))


def summary_collections() -> list[SummaryCollection]:
    """Every work-summary collection, latest year first."""
    return list(db.session.scalars(select(SummaryCollection).order_by(SummaryCollection.year.desc())))


def users_by_ids(ids: Iterable[int]) -> list[User]:
    """The accounts with these ids."""
    return list(db.session.scalars(select(User).where(User.id.in_(list(ids)))))


def weight_version_counts() -> dict[tuple[str, int], int]:
    """The number of weight versions per indicator system id and version."""
    return {(cid, ver): n for cid, ver, n in db.session.execute(
        select(WeightVersion.criteria_id, WeightVersion.criteria_version, func.count())
        .group_by(WeightVersion.criteria_id, WeightVersion.criteria_version)).all()}
