"""The ministry's overview page: authorities, organisations by verification state, accounts by role."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...models import OrganisationState, Role
from ...permissions import roles_required
from ...services import admin_query as q
from ...services.todo_query import todo_for


@roles_required(Role.ADMIN)
def home():
    """Overview: authorities, organisations by verification state, accounts by role."""
    orgs, users, authorities = q.overview_counts()
    return render_template("admin/home.html", orgs=orgs, users=users, authorities=authorities,
                           OrganisationState=OrganisationState, roles=list(Role), todos=todo_for(current_user))
