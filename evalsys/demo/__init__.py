"""Demo data, loaded idempotently by `flask --app evalsys demo` (refused under production)."""
from __future__ import annotations

from sqlalchemy import select

from ..domain import uscc
from ..extensions import db
from ..models import Authority, Organisation, OrganisationState, Role, SystemFlag, User
from ..models.types import utcnow
from ..services import audit
from ..services.passwords import hash_password
from .data import (BASE_NAMES, BASE_SPREAD, ENTERPRISE_KINDS, ENTERPRISE_SPREAD, ENTERPRISE_STEMS, GIVEN, REGIONS,
                   REVIEWER_HOMES, SURNAMES, spread)
from .story import LAUNCH, demo_clock

DEMO_PASSWORD = "Demo@2015-evalsys"
N_ENTERPRISES = 45
N_BASE_OPERATORS = 15


def person_name(i: int) -> str:
    """A deterministic fictional Chinese name."""
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]


_ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(serial: int) -> str:
    """A 9-character organisation code (GB 11714: 8 characters and their check character).

    Firms registered before the credit-code reform (October 2015) got a USCC whose positions 9–17
    are their old organisation code; codes beginning "MA" were only issued to new firms after it."""
    body = f"{5 + serial % 3}{serial * 104_729 % 10**7:07d}"
    check = 11 - sum(_ORG_CODE_CHARS.index(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def demo_uscc(region: str, serial: int, kind: str = "91") -> str:
    """A valid USCC registered in `region`, unique per serial, of an organisation founded before 2015
    (an enterprise `91` by default; `12` a public institution, `51` a social organisation)."""
    return uscc.make(kind, region, organisation_code(serial))


def applicant_plan() -> list[dict]:
    """The 60 demo applicants: 45 enterprises and 15 base operators, most of them in the east
    (demo/data.py ENTERPRISE_SPREAD, BASE_SPREAD), every authority's share spread over the list."""
    authorities = spread(ENTERPRISE_SPREAD) + spread(BASE_SPREAD)
    plan = []
    for i in range(N_ENTERPRISES + N_BASE_OPERATORS):
        code = authorities[i]
        region, place = REGIONS[code][i % len(REGIONS[code])]
        if i < N_ENTERPRISES:
            name = f"{place}{ENTERPRISE_STEMS[i % len(ENTERPRISE_STEMS)]}{ENTERPRISE_KINDS[i % len(ENTERPRISE_KINDS)]}"
            if i >= len(ENTERPRISE_STEMS):
                name = f"{place}{ENTERPRISE_STEMS[i % len(ENTERPRISE_STEMS)]}{'智慧' if i % 2 else '数字'}{ENTERPRISE_KINDS[(i + 1) % len(ENTERPRISE_KINDS)]}"
            kind = "enterprise"
        else:
            name = f"{place}{BASE_NAMES[i % len(BASE_NAMES)]}运营管理有限公司"
            kind = "base_operator"
        plan.append({"username": f"applicant{i + 1:02d}", "org_name": name, "authority": code,
                     "uscc": demo_uscc(region, 1000 + i), "kind": kind, "contact": person_name(i)})
    return plan


def _ensure_user(username: str, role: Role, pw_hash: str, **fields) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, role=role, password_hash=pw_hash, demo_password=True, **fields)
        db.session.add(user)
        db.session.flush()
        audit.record("user_created", obj=user, detail={"role": role.value, "source": "demo"})
    return user


def load_demo() -> dict[str, int]:
    """Create the demo accounts and organisations that do not exist yet; returns counts created.

    The demo is the 2015 story: each step runs under the application clock set to its moment in
    2015–2016 (demo/story.py), so rows, timelines, audit records and issued reports carry those
    dates; only the open call `demo-open` lives in the present."""
    with demo_clock(LAUNCH):
        return _load_demo()


def _load_demo() -> dict[str, int]:
    before = db.session.scalar(select(db.func.count(User.id))) or 0
    pw_hash = hash_password(DEMO_PASSWORD)  # one hash for all: demo accounts only
    _ensure_user("admin", Role.ADMIN, pw_hash, display_name="商务部管理员")
    _ensure_user("secadmin", Role.SECADMIN, pw_hash, display_name="安全管理员")
    _ensure_user("auditor", Role.AUDITOR, pw_hash, display_name="审计员")
    for i, home in enumerate(REVIEWER_HOMES, start=1):
        _ensure_user(f"reviewer{i:02d}", Role.REVIEWER, pw_hash, display_name=f"{person_name(i + 40)}（专家）",
                     authority_code=home)
    for authority in db.session.scalars(select(Authority).order_by(Authority.code)):
        _ensure_user(f"authority-{authority.code}", Role.AUTHORITY, pw_hash,
                     display_name=f"{authority.full_name}联系人", authority_code=authority.code)
    now = utcnow()
    for item in applicant_plan():
        org = db.session.scalar(select(Organisation).where(Organisation.uscc == item["uscc"]))
        if org is None:
            org = Organisation(uscc=item["uscc"], name=item["org_name"], authority_code=item["authority"],
                               state=OrganisationState.VERIFIED, verified_at=now)
            db.session.add(org)
            db.session.flush()
            audit.record("organisation_registered", obj=org, detail={"source": "demo"})
        _ensure_user(item["username"], Role.APPLICANT, pw_hash, display_name=item["contact"],
                     organisation_id=org.id, is_org_main=True,
                     email=f"{item['username']}@example.com", phone="010-12345678")
    from .funds import load_funds_demo  # here, not at the top: it reuses this module's helpers
    load_funds_demo(pw_hash, _ensure_user)
    from .evaluations import load_evaluations_demo
    load_evaluations_demo()
    from .applications import load_applications  # here, not at the top: it imports person_name from here
    applications = load_applications(applicant_plan())
    from .review import load_review_demo  # after the applications: it assigns the passed ones

    load_review_demo()
    from .decisions import load_decisions_demo  # after the review demo: it needs the official runs

    load_decisions_demo()
    from .summaries import load_summaries_demo

    load_summaries_demo()
    if db.session.get(SystemFlag, "demo_data") is None:
        db.session.add(SystemFlag(key="demo_data", value="loaded"))
    db.session.flush()
    after = db.session.scalar(select(db.func.count(User.id))) or 0
    return {"users_created": after - before, **applications}
