"""Reads behind the ministry's decision pages: a call's proposals, objections and applications by state."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import Application, Call, Objection, Proposal


def applications_in_state(call: Call, state: ApplicationState) -> list[Application]:
    """The call's applications in one state."""
    return list(db.session.scalars(select(Application).where(Application.call_id == call.id,
                                                             Application.state == state)))


def application_ids_in_state(call: Call, state: ApplicationState) -> list[int]:
    """The ids of the call's applications in one state."""
    return list(db.session.scalars(select(Application.id).where(Application.call_id == call.id,
                                                                Application.state == state)))


def proposals_of(call: Call) -> list[Proposal]:
    """The call's proposals, newest first."""
    return list(db.session.scalars(select(Proposal).where(Proposal.call_id == call.id)
                                   .order_by(Proposal.id.desc())))


def objections_of(call: Call) -> list[Objection]:
    """The call's objections, newest first."""
    return list(db.session.scalars(select(Objection).where(Objection.call_id == call.id)
                                   .order_by(Objection.id.desc())))
