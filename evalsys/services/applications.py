"""The applicant's side of an application: start a draft, save, attach documents, submit, withdraw.

Every state change goes through `apply_action`, which asks the domain's transition table, writes
the workflow timeline row, an audit record and the applicants' notifications.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..domain import figures as fig, uscc
from ..domain.marking import N_
from ..domain.notices import label
from ..domain.outlines import Section, load_outline
from ..domain.scoring import check_gates
from ..domain.timeutil import beijing_date
from ..domain.workflow import Action, ApplicationState, Role as FlowRole, check_transition, is_open_for_applications
from ..extensions import db
from ..models import (Application, ApplicationAttachment, AttachmentKind, Call, Organisation, Role, Transition,
                      User)
from ..models.types import utcnow
from . import audit
from .criteria import criteria_dir, system_of
from .files import store_upload
from .notify import notify_organisation, path_for
from ..domain.errors import DomainError, Message, N_

EDITABLE = (ApplicationState.DRAFT, ApplicationState.RETURNED)
REQUIRED_ATTACHMENTS = (AttachmentKind.LICENCE, AttachmentKind.REPORT, AttachmentKind.ACCOUNTS,
                        AttachmentKind.SEALED_FORM)
_FLOW_ROLE = {Role.APPLICANT: FlowRole.APPLICANT, Role.AUTHORITY: FlowRole.AUTHORITY, Role.ADMIN: FlowRole.ADMIN}


class ApplicationError(DomainError, ValueError):
    """A refused operation on an application (Chinese message; HTTP 409 when not a form error)."""


def outline_of(call: Call) -> tuple[Section, ...]:
    """The narrative sections asked for the call's kind."""
    return load_outline(criteria_dir(), call.kind.value)


# --- workflow ----------------------------------------------------------------------------------

def state_notice(call_title: str, state: ApplicationState, acting_unit: str,
                 reason: str | None) -> tuple[str, dict[str, Any]]:
    """The template and values of the notice an organisation gets when its application changes state."""
    params: dict[str, Any] = {"call": call_title, "state": label(state.label), "unit": label(acting_unit)}
    if reason:
        return N_("您的申报《%(call)s》状态变更为“%(state)s”（%(unit)s）。理由：%(reason)s"), {**params, "reason": reason}
    return N_("您的申报《%(call)s》状态变更为“%(state)s”（%(unit)s）"), params


def apply_action(app: Application, action: Action, *, actor: User, reason: str | None = None,
                 publicity_end: datetime | None = None) -> None:
    """Move the application through one transition of the table, or raise TransitionError.

    ``publicity_end`` is the application's own publicity end (announce is allowed only after it).
    """
    role = _FLOW_ROLE.get(actor.role)
    if role is None:
        raise ApplicationError(N_("该角色不能处理申报"))
    rule = check_transition(app.state, action, role=role, now=utcnow(),
                            deadlines=app.call.times.deadlines(publicity_end), reason=reason)
    old = app.state
    app.state = rule.target
    reason = reason.strip() if reason and reason.strip() else None
    db.session.add(Transition(application_id=app.id, action=action.value, from_state=old, to_state=rule.target,
                              actor_id=actor.id, acting_unit=actor.acting_unit, reason=reason))
    audit.record(f"application_{action.value}", obj=app, actor=actor,
                 detail={"from": old.value, "to": rule.target.value, "reason": reason})
    notify_organisation(app.organisation_id, *state_notice(app.call.title, rule.target, actor.acting_unit, reason),
                        link=path_for("applicant.application_detail", app_id=app.id))


# --- drafts ------------------------------------------------------------------------------------

def start_application(call: Call, org: Organisation, *, actor: User) -> Application:
    """Create the organisation's draft for a call (one per organisation and call)."""
    if not is_open_for_applications(call.times, utcnow()):
        raise ApplicationError(N_("该批次当前不在申报期内"))
    if db.session.scalar(select(Application.id).where(Application.call_id == call.id,
                                                      Application.organisation_id == org.id)):
        raise ApplicationError(N_("本单位已在该批次申报，每个单位每批次只能申报一次"))
    app = Application(call_id=call.id, organisation_id=org.id, authority_code=org.authority_code,
                      contact_name=actor.display_name, contact_phone=actor.phone or "",
                      contact_email=actor.email or "")
    db.session.add(app)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ApplicationError(N_("本单位已在该批次申报，每个单位每批次只能申报一次")) from None
    db.session.add(Transition(application_id=app.id, action="create", from_state=ApplicationState.DRAFT,
                              to_state=ApplicationState.DRAFT, actor_id=actor.id, acting_unit=actor.acting_unit))
    audit.record("application_created", obj=app, actor=actor, detail={"call": call.code})
    return app


@dataclass
class DraftData:
    """A validated draft form: contact data, category, figures (storage units) and narrative."""

    contact_name: str
    contact_phone: str
    contact_email: str
    address: str
    legal_representative: str
    category: str | None
    parent_uscc: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    narrative: dict[str, str] = field(default_factory=dict)


def save_draft(app: Application, data: DraftData, *, actor: User, expected_version: int) -> None:
    """Save the form; refused for a submitted application or when another tab saved meanwhile."""
    if app.state not in EDITABLE:
        raise ApplicationError(N_("申报当前状态为“%(state)s”，不能修改"), state=Message(app.state.label))
    if expected_version != app.version_id:
        raise StaleDataError("stale application form")
    if data.category and data.category not in app.call.category_codes:
        raise ApplicationError(N_("请选择本批次的类别"))
    for name in ("contact_name", "contact_phone", "contact_email", "address", "legal_representative", "category",
                 "parent_uscc"):
        setattr(app, name, getattr(data, name))
    system = system_of(app)
    asked = {f.id for f in system.fields if f.source == "form" and not f.derived}
    app.figures = json.dumps({k: v for k, v in data.figures.items() if k in asked}, ensure_ascii=False,
                             sort_keys=True)
    sections = {s.id for s in outline_of(app.call)}
    app.narrative = json.dumps({k: v for k, v in data.narrative.items() if k in sections}, ensure_ascii=False)
    audit.record("application_saved", obj=app, actor=actor)


def attach(app: Application, kind: AttachmentKind, upload, *, actor: User) -> ApplicationAttachment:
    """Store an uploaded document for an editable application (content-checked, ≤ 20 MB)."""
    if app.state not in EDITABLE:
        raise ApplicationError(N_("申报当前状态为“%(state)s”，不能更换附件"), state=Message(app.state.label))
    stored = store_upload(upload, purpose=f"application:{kind.value}", actor_id=actor.id, allowed=kind.allowed)
    att = ApplicationAttachment(application_id=app.id, kind=kind, file_id=stored.id, uploaded_by_id=actor.id)
    db.session.add(att)
    db.session.flush()
    audit.record("attachment_added", obj=app, actor=actor, detail={"kind": kind.value, "file": stored.id})
    return att


def current_attachments(app: Application) -> dict[AttachmentKind, ApplicationAttachment]:
    """The newest attachment of each kind."""
    rows = db.session.scalars(select(ApplicationAttachment).where(ApplicationAttachment.application_id == app.id)
                              .order_by(ApplicationAttachment.id))
    return {row.kind: row for row in rows}


# --- submission --------------------------------------------------------------------------------

def _duplicate_parent(app: Application) -> bool:
    """A parent and its subsidiary may not both apply to the same call. Checked both ways against
    the call's other live applications, by USCC: this application's declared parent applies, or
    another applicant declared this organisation as its parent."""
    own = app.organisation.uscc
    declared = app.parent_uscc
    live = (Application.call_id == app.call_id, Application.id != app.id,
            Application.state != ApplicationState.DRAFT)
    if declared and declared != own and db.session.scalar(
            select(Application.id).join(Organisation).where(*live, Organisation.uscc == declared).limit(1)):
        return True
    return db.session.scalar(select(Application.id).where(*live, Application.parent_uscc == own).limit(1)) \
        is not None


def system_figures(app: Application) -> dict[str, Any]:
    """Values of the fields the system determines itself (source = "system")."""
    closing = beijing_date(app.call.closes_at)
    stored = app.figure_values
    known = {
        # GB 32100 positions 1–2: an enterprise or co-operative registered by market regulation.
        "uscc_valid": uscc.legal_entity_refusal(app.organisation.uscc) is None,
        "years_operating": fig.years_between(stored.get("opened_on"), closing),
        "shop_years": fig.years_between(stored.get("shop_opened_on"), closing),
        "duplicate_parent_subsidiary": _duplicate_parent(app),
    }
    return {f.id: known.get(f.id) for f in system_of(app).fields if f.source == "system"}


def _gate_detail(app: Application, field_id: str) -> str:
    """Why a gate on a system-determined field failed (shown after the gate's title)."""
    if field_id == "uscc_valid":
        return uscc.legal_entity_refusal(app.organisation.uscc) or ""
    if field_id in ("shop_years", "years_operating"):
        opened = app.figure_values.get("shop_opened_on" if field_id == "shop_years" else "opened_on")
        if opened:
            return Message(N_("开通（运营）日期 %(opened)s，至申报截止日 %(date)s"),
                           opened=opened, date=closing_date(app).isoformat())
    if field_id == "duplicate_parent_subsidiary":
        return N_("本批次已有与本单位存在母子公司关系的单位提交申报")
    return ""


def all_figures(app: Application) -> dict[str, Any]:
    """Stored form figures plus the system-determined ones (storage units)."""
    return {**app.figure_values, **system_figures(app)}


def submission_problems(app: Application) -> list[str]:
    """Everything that stops the application from being submitted, in Chinese."""
    problems = []
    if not app.organisation.is_verified:
        problems.append(N_("单位尚未通过所属地方商务主管部门核验，暂不能提交"))
    system = system_of(app)
    stored = all_figures(app)
    for f in fig.missing_fields(system, stored):
        problems.append(Message(N_("未填写：%(field)s"), field=Message(f.label)))
    if app.call.category_codes and not app.category:
        problems.append(N_("未选择申报类别"))
    if not app.contact_name or not app.contact_phone:
        problems.append(N_("未填写联系人或联系电话"))
    narrative = app.narrative_sections
    for section in outline_of(app.call):
        if not (narrative.get(section.id) or "").strip():
            problems.append(Message(N_("未填写：%(title)s"), title=section.title))
    have = current_attachments(app)
    for kind in REQUIRED_ATTACHMENTS:
        if kind not in have:
            problems.append(Message(N_("未上传：%(kind)s"), kind=Message(kind.label)))
    if not problems:
        failed = check_gates(system, fig.matrix_values(system, stored))
        for gate_id in failed:
            gate = system.indicator(gate_id)
            detail = _gate_detail(app, gate.gate.field) if gate.gate else ""
            problems.append(Message(N_("不符合申报条件：%(title)s（%(detail)s）"),
                                    title=gate.title, detail=detail) if detail
                            else Message(N_("不符合申报条件：%(title)s"), title=gate.title))
    return problems


def submit(app: Application, *, actor: User) -> None:
    """Submit (or resubmit after a return): completeness and gates are checked, then the form locks;
    the applicant gets a receipt (申报回执) of this submission."""
    if not is_open_for_applications(app.call.times, utcnow()) and app.state == ApplicationState.DRAFT:
        raise ApplicationError(N_("该批次当前不在申报期内，不能提交"))
    problems = submission_problems(app)
    if problems:
        raise ApplicationError(N_("申报内容尚不完整，不能提交："), problems)
    action = Action.RESUBMIT if app.state == ApplicationState.RETURNED else Action.SUBMIT
    apply_action(app, action, actor=actor)
    app.submitted_at = utcnow()
    from .receipts import issue_receipt  # the receipt module renders PDFs: imported when needed

    issue_receipt(app, actor=actor)


def withdraw(app: Application, *, actor: User) -> None:
    """Take a submitted application back to draft (before the closing time)."""
    apply_action(app, Action.WITHDRAW, actor=actor)


def closing_date(app: Application) -> date:
    """The Beijing calendar date of the call's closing time."""
    return beijing_date(app.call.closes_at)
