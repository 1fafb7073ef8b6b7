"""Calls, the applications of a call (scoped like the web lists) and the announced results (public)."""
from __future__ import annotations

import marshmallow as ma
from flask import abort
from sqlalchemy import select

from ...domain.workflow import STATE_LABELS, ApplicationState
from ...models import Application, Call, Organisation, Role
from ...permissions import public
from ...services import decisions as dec
from ...services import application_query
from ...services.calls import find_call
from .. import schemas as s
from ..auth import current_api_user, public_limited, token_required
from ..blueprint import bp
from ..paging import page
from . import problems

READERS = (Role.APPLICANT, Role.AUTHORITY, Role.ADMIN)


def call_item(call: Call) -> dict:
    return {"code": call.code, "kind": call.kind.value, "title": call.title, "year_from": call.year_from,
            "year_to": call.year_to, "opens_at": call.opens_at, "closes_at": call.closes_at,
            "recommend_deadline": call.recommend_deadline, "review_starts_at": call.review_starts_at,
            "review_ends_at": call.review_ends_at, "quota_per_authority": call.quota_per_authority,
            "categories": list(call.category_codes), "announced": dec.announcement(call) is not None}


def application_item(app: Application) -> dict:
    return {"id": app.id, "call": app.call.code, "organisation": app.organisation.name,
            "uscc": app.organisation.uscc,
            "authority_code": app.authority_code, "category": app.category, "state": app.state.value,
            "state_label": STATE_LABELS[app.state]}


def _call_or_404(code: str) -> Call:
    return find_call(code) or abort(404, description="未找到该批次")


@bp.route("/calls")
@token_required(*READERS)
@bp.arguments(s.PageArgs, location="query", unknown=ma.RAISE)
@bp.response(200, s.page_schema(s.CallSchema, "CallPage"))
@problems(401, 403, 422, 429)
@bp.doc(tags=["calls"], summary="批次列表")
def calls(args):
    """All calls, oldest first (the same list the authority and ministry pages offer)."""
    return page(select(Call), Call.id, args, call_item)


@bp.route("/calls/<code>")
@token_required(*READERS)
@bp.response(200, s.CallDetailSchema)
@problems(401, 403, 404, 429)
@bp.doc(tags=["calls"], summary="批次详情")
def call_detail(code: str):
    """One call; an authority also sees its quota in the call and whether its letter is uploaded."""
    call = _call_or_404(code)
    user = current_api_user()
    quota = None
    if user.role == Role.AUTHORITY and user.authority_code:
        panel = application_query.panel(call, user.authority_code)  # the authority's own figure where it has one
        quota = {"used": panel.used, "max": panel.quota, "letter_uploaded": panel.letter is not None}
    return {**call_item(call), "criteria_id": call.criteria_id, "criteria_version": call.criteria_version,
            "places_total": call.places_total, "blind": call.blind, "publicity_days": call.publicity_days,
            "quota": quota}


def visible_applications(user, call: Call):
    """The applications of a call the account sees on its pages: an applicant its organisation's, an
    authority its jurisdiction's submitted ones, the ministry every submitted one."""
    stmt = select(Application).where(Application.call_id == call.id)
    if user.role == Role.APPLICANT:
        return stmt.where(Application.organisation_id == (user.organisation_id or -1))
    stmt = stmt.where(Application.state != ApplicationState.DRAFT)
    if user.role == Role.AUTHORITY:
        return stmt.where(Application.authority_code == (user.authority_code or ""))
    return stmt


@bp.route("/calls/<code>/applications")
@token_required(*READERS)
@bp.arguments(s.PageArgs, location="query", unknown=ma.RAISE)
@bp.response(200, s.page_schema(s.ApplicationItemSchema, "ApplicationPage"))
@problems(401, 403, 404, 422, 429)
@bp.doc(tags=["applications"], summary="批次的申报列表")
def call_applications(args, code: str):
    """Applications of the call within the account's scope, by id."""
    call = _call_or_404(code)
    stmt = visible_applications(current_api_user(), call)
    return page(stmt, Application.id, args, application_item, code=code)


@bp.route("/calls/<code>/results")
@public
@public_limited
@bp.arguments(s.PageArgs, location="query", unknown=ma.RAISE)
@bp.response(200, s.ResultsSchema)
@problems(401, 404, 422, 429)
@bp.doc(tags=["results"], summary="公布的评审结果（公开）", security=[{}, {"bearerAuth": []}])
def call_results(args, code: str):
    """The approved applications of a call once its results are announced (404 before): public."""
    call = _call_or_404(code)
    announced = dec.announcement(call)
    if announced is None:
        abort(404, description="该批次的评审结果尚未公布")
    labels = dec.category_labels(call)
    stmt = select(Application).join(Organisation, Organisation.id == Application.organisation_id).where(
        Application.call_id == call.id, Application.state == ApplicationState.APPROVED)

    def item(app: Application) -> dict:
        return {"id": app.id, "organisation": app.organisation.name, "uscc": app.organisation.uscc,
                "authority_code": app.authority_code, "category": app.category,
                "category_label": labels.get(app.category or "", app.category or "")}

    return {"call": call.code, "announced_at": announced.announced_at,
            **page(stmt, Application.id, args, item, code=code)}
