"""The ministry's overview page: authorities, organisations by verification state, accounts by role."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...models import Authority, Organisation, OrganisationState, Role, User
from ...permissions import roles_required
from ...services.todo_query import todo_for


@roles_required(Role.ADMIN)
def home():
    """Overview: authorities, organisations by verification state, accounts by role."""
    orgs = dict(db.session.execute(select(Organisation.state, func.count()).group_by(Organisation.state)).all())
    users = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    authorities = db.session.scalar(select(func.count()).select_from(Authority))
    return render_template("admin/home.html", orgs=orgs, users=users, authorities=authorities,
                           OrganisationState=OrganisationState, roles=list(Role), todos=todo_for(current_user))
