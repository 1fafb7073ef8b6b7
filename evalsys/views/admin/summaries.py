"""/admin/summaries: the ministry opens annual work-summary collections and follows the uploads."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import attempt
from ...extensions import db
from ...forms.security import ConfirmForm
from ...forms.summaries import CollectionForm
from ...i18n import gettext
from ...listing import list_control, year_filter
from ...models import Role
from ...models.summary import SummarySubmission
from ...pagination import paginate
from ...permissions import roles_required
from ...services import summary_query
from ...services import summaries as svc
from ..common.summaries import collection
from ..common.downloads import send_stored


@roles_required(Role.ADMIN)
def summaries():
    """Collections by year (search by title or year, filter by year, sortable; paginated); open a new one."""
    form = CollectionForm()
    if form.validate_on_submit():
        made = []
        refused = attempt(lambda: made.append(svc.open_collection(form.year.data, form.due_date.data,
                                                                  title=form.title.data or None,
                                                                  actor=current_user._get_current_object())))
        if not refused:
            flash(gettext("已开始征集：%(title)s", title=made[0].title), "success")
            return redirect(url_for("admin.summary_status", collection_id=made[0].id))
        form.year.errors = refused.lines
    lst = list_control("admin.summaries", sorts=summary_query.COLLECTION_SORTS, search=gettext("名称或年度"),
                       filters=[year_filter(summary_query.years())])
    page = paginate(summary_query.collections(lst.query))
    return render_template("summaries/admin_list.html", page=page, lst=lst, form=form)


@roles_required(Role.ADMIN)
def summary_status(collection_id: int):
    """Who has submitted, who is late, who is missing — all 37 at a glance."""
    c = collection(collection_id)
    table = svc.status_table(c)
    counts = {k.value: sum(1 for s in table if s.state == k) for k in svc.SummaryState}
    return render_template("summaries/admin_status.html", c=c, table=table, counts=counts,
                           deadline=svc.deadline_of(c), confirm=ConfirmForm())


@roles_required(Role.ADMIN)
def summary_remind(collection_id: int):
    """Remind every authority that has not submitted."""
    c = collection(collection_id)
    if ConfirmForm().validate_on_submit():
        n = svc.send_reminders(c, actor=current_user._get_current_object())
        flash(gettext("已向%(n)s个未报送的推荐单位发送提醒。", n=n), "success")
    return redirect(url_for("admin.summary_status", collection_id=c.id))


@roles_required(Role.ADMIN)
def summary_download(submission_id: int):
    """Download a submitted summary."""
    row = db.session.get(SummarySubmission, submission_id) or abort(404)
    return send_stored(row.file)
