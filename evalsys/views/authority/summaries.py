"""/authority/summaries: the authority uploads its annual work summaries."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import refusal_returns_to
from ...extensions import db
from ...forms.summaries import SummaryUploadForm
from ...i18n import gettext
from ...listing import Filter, list_control, year_filter
from ...models import Role
from ...models.summary import SummarySubmission
from ...pagination import paginate
from ...permissions import roles_required
from ...services import summaries as svc
from ...services import summary_query
from ..common.summaries import collection
from ..common.downloads import send_stored


@roles_required(Role.AUTHORITY)
def summaries():
    """The collections with this authority's submissions: search by title or year, filter by year and by whether
    it has submitted, sortable; paginated."""
    lst = list_control("authority.summaries", sorts=summary_query.COLLECTION_SORTS, search=gettext("名称或年度"),
                       filters=[year_filter(summary_query.years()),
                                Filter("sent", gettext("报送情况"), [("yes", gettext("已报送")),
                                                                 ("no", gettext("尚未报送"))], gettext("全部"))])
    page = paginate(summary_query.collections(lst.query, current_user.authority_code))
    mine = summary_query.submissions_by_collection(current_user.authority_code, page.items)
    return render_template("summaries/authority.html", page=page, lst=lst, mine=mine,
                           deadline_of=svc.deadline_of, form=SummaryUploadForm())


@roles_required(Role.AUTHORITY)
def summary_upload(collection_id: int):
    """Upload this authority's summary (PDF); after the deadline it is accepted and marked late."""
    c = collection(collection_id)
    form = SummaryUploadForm()
    if form.validate_on_submit():
        refusal_returns_to(url_for("authority.summaries"))
        row = svc.submit_summary(c, request.files.get(form.file.name), actor=current_user._get_current_object())
        flash(gettext("工作总结已报送（已逾期）。") if row.late else gettext("工作总结已报送。"),
              "warning" if row.late else "success")
    return redirect(url_for("authority.summaries"))


@roles_required(Role.AUTHORITY)
def summary_download(submission_id: int):
    """Download one of this authority's own submissions."""
    row = db.session.get(SummarySubmission, submission_id) or abort(404)
    if row.authority_code != current_user.authority_code:
        abort(403)
    return send_stored(row.file)
