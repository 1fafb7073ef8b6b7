"""Test builders with keyword defaults: organisations, users of every role, sessions."""
from __future__ import annotations

import itertools
from functools import lru_cache

from evalsys.domain import uscc
from evalsys.extensions import db
from evalsys.models import AccountState, Organisation, OrganisationState, Role, User
from evalsys.services.passwords import hash_password
from tests.conftest import TEST_PASSWORD

_seq = itertools.count(1)


@lru_cache(maxsize=8)
def _hash(password: str) -> str:
    # Hashing is deliberately slow; one hash per distinct test password is enough.
    return hash_password(password)


def make_uscc(region: str = "320500", serial: int | None = None) -> str:
    """A valid company USCC registered in `region`."""
    n = next(_seq) if serial is None else serial
    return uscc.make("91", region, f"T{n:08d}")


def make_org(*, name: str | None = None, region: str = "320500", authority_code: str = "320000",
             state: OrganisationState = OrganisationState.VERIFIED, code: str | None = None) -> Organisation:
    """An organisation (verified by default) of the given authority."""
    n = next(_seq)
    org = Organisation(uscc=code or make_uscc(region, n), name=name or f"测试电子商务有限公司{n}",
                       authority_code=authority_code, state=state)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role: Role = Role.APPLICANT, *, username: str | None = None, password: str = TEST_PASSWORD,
              organisation: Organisation | None = None, authority_code: str | None = None,
              state: AccountState = AccountState.ACTIVE, is_org_main: bool = True, commit: bool = True) -> User:
    """A user of `role`; applicants get an organisation, authorities default to 江苏 (320000)."""
    n = next(_seq)
    if role == Role.APPLICANT and organisation is None:
        organisation = make_org()
    if role == Role.AUTHORITY and authority_code is None:
        authority_code = "320000"
    user = User(username=username or f"{role.value}{n}", password_hash=_hash(password), role=role, state=state,
                display_name=f"测试用户{n}", organisation_id=organisation.id if organisation else None,
                authority_code=authority_code, is_org_main=is_org_main if role == Role.APPLICANT else False,
                email=f"user{n}@example.com")
    db.session.add(user)
    db.session.flush()
    if commit:
        db.session.commit()
        detach(user)
    return user


def detach(obj):
    """Load every column and eager relationship, then detach, so the object is usable after the context ends."""
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


# --- calls and applications (issue 4) ---------------------------------------------------------------

ENTERPRISE_SYSTEM = ("enterprise-2015-2016", 1)
BASE_SYSTEM = ("base-2015-b2", 1)

# What a person types into the application form for each asked figure (valid, passing every gate).
# Anything not listed is typed as "100"; the form parses it with the domain's rules.
TYPED_FIGURES = {
    # enterprise
    "shop_opened_on": "2010-03-01", "dedicated_unit": "yes", "violation_3y": "no",
    "operating_revenue": "523456789.12", "ecommerce_revenue": "312345678.90",
    "ecommerce_revenue_2y_ago": "200000000", "tax_paid": "12345678.01", "rd_spending": "9876543.21",
    "orders": "1500000", "complaints": "120",
    # base
    "operator_clear": "yes", "opened_on": "2011-06-01", "major_violation": "no", "floor_area": "50000.5",
    "occupied_area": "42000", "tenant_firms": "400", "ecommerce_firms": "260",
    "transactions_last_year": "4500000000", "transactions_prev_year": "3800000000",
    "matching_funds": "20000000",
}


def asked_fields(system) -> list:
    """The figure fields a call's indicator system asks on the form (derived and system fields excluded)."""
    return [f for f in system.fields if f.source == "form" and not f.derived]


def typed_figures(system) -> dict[str, str]:
    """{field id: text a person types} for every asked field of `system`."""
    return {f.id: TYPED_FIGURES.get(f.id, "100") for f in asked_fields(system)}


def stored_figures(system, **typed_overrides: str) -> dict:
    """The typed figures parsed into storage units with the form's own rules."""
    from evalsys.domain import figures as fig

    typed = {**typed_figures(system), **typed_overrides}
    return {f.id: fig.parse_input(f, typed[f.id]) for f in asked_fields(system)}


def pdf_bytes(text: str = "evalsys test") -> bytes:
    """A small valid PDF (reportlab, invariant so the bytes are reproducible)."""
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, text)
    c.save()
    return buf.getvalue()


def make_call(**overrides):
    """A call created through the service: enterprise (`enterprise-2015-2016` v1, with categories) by default,
    or `kind=CallKind.BASE` (`base-2015-b2` v1). Times are relative to now (frozen time is honoured):
    opened a day ago, closing in 5 days, recommendations until 10 days from now."""
    from datetime import timedelta

    from evalsys.models import CallKind
    from evalsys.models.types import utcnow
    from evalsys.services.calls import CallData, create_call

    now = utcnow()
    n = next(_seq)
    kind = overrides.pop("kind", CallKind.ENTERPRISE)
    system = ENTERPRISE_SYSTEM if kind == CallKind.ENTERPRISE else BASE_SYSTEM
    fields = dict(code=f"t-{kind.value}-{n}", kind=kind, title=f"测试批次{n}", year_from=2015, year_to=2016,
                  opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5),
                  recommend_deadline=now + timedelta(days=10), review_starts_at=None, review_ends_at=None,
                  criteria_id=system[0], criteria_version=system[1], quota_per_authority=8)
    if kind == CallKind.ENTERPRISE:
        fields.update(categories=["retail", "service"], places_by_category={"retail": 5, "service": 3})
    else:
        fields.update(places_total=10)
    fields.update(overrides)
    call = create_call(CallData(**fields), actor=None)
    db.session.flush()
    return call


def _applicant_of(org: Organisation) -> User:
    from sqlalchemy import select

    user = db.session.scalar(select(User).where(User.organisation_id == org.id, User.role == Role.APPLICANT)
                             .order_by(User.id).limit(1))
    return user or make_user(Role.APPLICANT, organisation=org, commit=False)


def make_application(call, org: Organisation, state=None, *, complete: bool = True, actor: User | None = None,
                     **columns):
    """An application of `org` to `call` in `state` (draft by default), written directly (no workflow rows).

    complete=True fills every asked figure with valid values, the contact block, the category, every
    narrative section and the four attachments (one small stored PDF). A recommended (or later)
    application uses a place of its authority's quota, as the service would have.
    """
    import json

    from sqlalchemy import update

    from evalsys.domain.outlines import load_outline
    from evalsys.domain.workflow import ApplicationState
    from evalsys.models import Application, ApplicationAttachment, AttachmentKind, QuotaCounter
    from evalsys.models.types import utcnow
    from evalsys.services.criteria import criteria_dir, system as criteria_system
    from evalsys.services.files import store_bytes

    state = ApplicationState(state or ApplicationState.DRAFT)
    actor = actor or _applicant_of(org)
    app = Application(call_id=call.id, organisation_id=org.id, authority_code=org.authority_code, state=state)
    if complete:
        system = criteria_system(call.criteria_id, call.criteria_version)
        app.contact_name, app.contact_phone, app.contact_email = "张联系", "025-12345678", "contact@example.com"
        app.address, app.legal_representative = "江苏省南京市鼓楼区测试路1号", "王法人"
        app.category = call.category_codes[0] if call.category_codes else None
        app.figures = json.dumps(stored_figures(system), sort_keys=True)
        outline = load_outline(criteria_dir(), call.kind.value)
        app.narrative = json.dumps({s.id: f"{s.title}：测试内容。" for s in outline}, ensure_ascii=False)
    if state not in (ApplicationState.DRAFT,):
        app.submitted_at = utcnow()
    for name, value in columns.items():
        setattr(app, name, value)
    db.session.add(app)
    db.session.flush()
    if complete:
        stored = store_bytes(pdf_bytes(f"application {app.id}"), "申报材料.pdf", "application/pdf",
                             purpose="application:test", actor_id=actor.id)
        for kind in AttachmentKind:
            db.session.add(ApplicationAttachment(application_id=app.id, kind=kind, file_id=stored.id,
                                                 uploaded_by_id=actor.id))
    if state not in (ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.RETURNED,
                     ApplicationState.NOT_RECOMMENDED):
        app.recommend_order = 1
        db.session.execute(update(QuotaCounter).where(QuotaCounter.call_id == call.id,
                                                      QuotaCounter.authority_code == org.authority_code)
                           .values(used=QuotaCounter.used + 1))
    db.session.flush()
    return app


def make_letter(call, authority: User):
    """The authority's sealed recommendation letter for `call` (a small stored PDF)."""
    from evalsys.models import RecommendationLetter
    from evalsys.services.files import store_bytes

    stored = store_bytes(pdf_bytes("recommendation letter"), "推荐函.pdf", "application/pdf",
                         purpose="recommendation_letter", actor_id=authority.id)
    letter = RecommendationLetter(call_id=call.id, authority_code=authority.authority_code, file_id=stored.id,
                                  uploaded_by_id=authority.id)
    db.session.add(letter)
    db.session.flush()
    return letter
