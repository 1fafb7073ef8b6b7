"""The admin's overview counts (one query) against counts taken one by one."""
from __future__ import annotations

from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import Authority, Organisation, OrganisationState, Role, User
from evalsys.services.admin_query import overview_counts
from tests.factories import make_org, make_user


def test_overview_counts_organisations_per_state_accounts_per_role_and_authorities(app):
    with app.app_context():
        for i in range(3):
            make_org(name=f"待核验单位{i}", state=OrganisationState.UNVERIFIED)
        make_org(name="已核验单位")
        for role in (Role.REVIEWER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN):
            make_user(role)
        db.session.commit()
        orgs, roles, authorities = overview_counts()
        assert orgs == dict(db.session.execute(select(Organisation.state, func.count())
                                               .group_by(Organisation.state)).all())
        assert orgs[OrganisationState.UNVERIFIED] == 3 and orgs[OrganisationState.VERIFIED] >= 1
        assert roles == dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles[Role.REVIEWER] == 2 and all(isinstance(r, Role) for r in roles)
        assert authorities == db.session.scalar(select(func.count()).select_from(Authority)) == 37
