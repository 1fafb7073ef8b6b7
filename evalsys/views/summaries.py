"""Annual work summaries: /admin/summaries for the ministry, /authority/summaries for the authorities."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms.security import ConfirmForm
from ..forms.summaries import CollectionForm, SummaryUploadForm
from ..models import Role
from ..models.summary import SummaryCollection, SummarySubmission
from ..permissions import roles_required
from ..services import summaries as svc
from ..services.files import UploadRejected, send_stored
from .admin import bp as admin_bp
from .authority import bp as authority_bp


def _collection(collection_id: int) -> SummaryCollection:
    return db.session.get(SummaryCollection, collection_id) or abort(404)


@admin_bp.route("/summaries", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def summaries():
    """Collections by year; open a new one."""
    form = CollectionForm()
    if form.validate_on_submit():
        try:
            c = svc.open_collection(form.year.data, form.due_date.data, title=form.title.data or None,
                                    actor=current_user._get_current_object())
        except svc.SummaryError as e:
            form.year.errors = [str(e)]
        else:
            db.session.commit()
            flash(f"已开始征集：{c.title}", "success")
            return redirect(url_for("admin.summary_status", collection_id=c.id))
    rows = db.session.scalars(select(SummaryCollection).order_by(SummaryCollection.year.desc())).all()
    return render_template("summaries/admin_list.html", collections=rows, form=form)


@admin_bp.route("/summaries/<int:collection_id>")
@roles_required(Role.ADMIN)
def summary_status(collection_id: int):
    """Who has submitted, who is late, who is missing — all 37 at a glance."""
    c = _collection(collection_id)
    table = svc.status_table(c)
    counts = {k: sum(1 for s in table if s.state == k) for k in ("submitted", "late", "missing")}
    return render_template("summaries/admin_status.html", c=c, table=table, counts=counts,
                           deadline=svc.deadline_of(c), confirm=ConfirmForm())


@admin_bp.route("/summaries/<int:collection_id>/remind", methods=["POST"])
@roles_required(Role.ADMIN)
def summary_remind(collection_id: int):
    """Remind every authority that has not submitted."""
    c = _collection(collection_id)
    if ConfirmForm().validate_on_submit():
        n = svc.send_reminders(c, actor=current_user._get_current_object())
        db.session.commit()
        flash(f"已向{n}个未报送的推荐单位发送提醒。", "success")
    return redirect(url_for("admin.summary_status", collection_id=c.id))


@admin_bp.route("/summaries/files/<int:submission_id>")
@roles_required(Role.ADMIN)
def summary_download(submission_id: int):
    """Download a submitted summary."""
    row = db.session.get(SummarySubmission, submission_id) or abort(404)
    return send_stored(row.file)


@authority_bp.route("/summaries", methods=["GET"])
@roles_required(Role.AUTHORITY)
def summaries():
    """The collections and this authority's submissions."""
    collections = db.session.scalars(select(SummaryCollection).order_by(SummaryCollection.year.desc())).all()
    mine = {}
    for row in db.session.scalars(select(SummarySubmission).where(
            SummarySubmission.authority_code == current_user.authority_code).order_by(SummarySubmission.id)):
        mine[row.collection_id] = row
    return render_template("summaries/authority.html", collections=collections, mine=mine,
                           deadline_of=svc.deadline_of, form=SummaryUploadForm())


@authority_bp.route("/summaries/<int:collection_id>", methods=["POST"])
@roles_required(Role.AUTHORITY)
def summary_upload(collection_id: int):
    """Upload this authority's summary (PDF); after the deadline it is accepted and marked late."""
    c = _collection(collection_id)
    form = SummaryUploadForm()
    if form.validate_on_submit():
        try:
            row = svc.submit_summary(c, request.files.get(form.file.name), actor=current_user._get_current_object())
        except (UploadRejected, svc.SummaryError) as e:
            flash(getattr(e, "message", None) or str(e), "danger")
            return redirect(url_for("authority.summaries"))
        db.session.commit()
        flash("工作总结已报送（已逾期）。" if row.late else "工作总结已报送。", "warning" if row.late else "success")
    return redirect(url_for("authority.summaries"))


@authority_bp.route("/summaries/files/<int:submission_id>")
@roles_required(Role.AUTHORITY)
def summary_download(submission_id: int):
    """Download one of this authority's own submissions."""
    row = db.session.get(SummarySubmission, submission_id) or abort(404)
    if row.authority_code != current_user.authority_code:
        abort(403)
    return send_stored(row.file)
