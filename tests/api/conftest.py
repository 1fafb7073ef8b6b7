"""A small world for the API tests: two jurisdictions (江苏 320000, 浙江 330000), an open call with
submitted applications in both, a base per jurisdiction with an allocation, and tokens per role."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import Role
from evalsys.services.api_tokens import create_token


@dataclass
class World:
    call: str = ""
    apps_a: list[int] = field(default_factory=list)  # 江苏's submitted applications
    apps_b: list[int] = field(default_factory=list)  # 浙江's
    draft_a: int = 0
    base_a: str = ""
    base_b: str = ""
    allocation_a: int = 0
    allocation_b: int = 0
    org_a: int = 0
    tokens: dict[str, str] = field(default_factory=dict)  # name → secret
    users: dict[str, int] = field(default_factory=dict)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def build_world(app, *, n_apps: int = 3) -> World:
    from tests.factories import make_application, make_call, make_letter, make_org, make_user
    from tests.fundsutil import make_allocation, make_base

    w = World()
    with app.test_request_context():
        call = make_call(quota_per_authority=8)
        w.call = call.code
        auth_a = make_user(Role.AUTHORITY, username="api-auth-a", authority_code="320000", commit=False)
        auth_b = make_user(Role.AUTHORITY, username="api-auth-b", authority_code="330000", commit=False)
        make_letter(call, auth_a)
        make_letter(call, auth_b)
        orgs_a = [make_org() for _ in range(n_apps)]
        w.apps_a = [make_application(call, org, S.SUBMITTED).id for org in orgs_a]
        w.org_a = orgs_a[0].id
        w.apps_b = [make_application(call, make_org(region="330100", authority_code="330000"), S.SUBMITTED).id
                    for _ in range(n_apps)]
        w.draft_a = make_application(call, make_org(), S.DRAFT).id
        base_a = make_base(authority_code="320000")
        base_b = make_base(authority_code="330000", region="330100")
        w.base_a, w.base_b = base_a.code, base_b.code
        w.allocation_a = make_allocation(base_a).id
        w.allocation_b = make_allocation(base_b).id
        op_a = make_user(Role.APPLICANT, username="api-op-a", organisation=base_a.operator, commit=False)
        op_b = make_user(Role.APPLICANT, username="api-op-b", organisation=base_b.operator, commit=False)
        applicant = make_user(Role.APPLICANT, username="api-applicant", organisation=orgs_a[0], commit=False)
        admin = make_user(Role.ADMIN, username="api-admin", commit=False)
        reviewer = make_user(Role.REVIEWER, username="api-reviewer", commit=False)
        auditor = make_user(Role.AUDITOR, username="api-auditor", commit=False)
        secadmin = make_user(Role.SECADMIN, username="api-secadmin", commit=False)
        people = {"auth_a": auth_a, "auth_b": auth_b, "op_a": op_a, "op_b": op_b, "applicant": applicant,
                  "admin": admin, "reviewer": reviewer, "auditor": auditor, "secadmin": secadmin}
        for name, user in people.items():
            w.tokens[name] = create_token(user, actor=user, name=f"test {name}").secret
            w.users[name] = user.id
        db.session.commit()
    return w


@pytest.fixture
def world(app) -> World:
    return build_world(app)
