"""/applicant: an applicant's organisation, its accounts, its applications and notifications.

The blueprint, its menu and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from ..common.navigation import N_
from . import applications, cases, evaluations, funds

bp = Blueprint("applicant", __name__, url_prefix="/applicant")

#: The audience's menu, in the order it is shown (the notifications entry follows for every role).
MENU = [
    ("applicant.home", N_("本单位")),
    ("applicant.funds_home", N_("基地资金")),
    ("applicant.evaluations", N_("绩效评价")),
    ("applicant.cases", N_("典型案例")),
]

# applications
bp.add_url_rule("/", endpoint="home", view_func=applications.home)
bp.add_url_rule("/members/<int:user_id>/<any(approve,refuse):action>",
                endpoint="decide_member", view_func=applications.decide_member, methods=["POST"])
bp.add_url_rule("/calls/<code>/apply", endpoint="start", view_func=applications.start, methods=["POST"])
bp.add_url_rule("/applications/<int:app_id>",
                endpoint="application_detail", view_func=applications.application_detail)
bp.add_url_rule("/applications/<int:app_id>/edit",
                endpoint="application_edit", view_func=applications.application_edit, methods=["GET", "POST"])
bp.add_url_rule("/applications/<int:app_id>/attachments",
                endpoint="upload_attachment", view_func=applications.upload_attachment, methods=["POST"])
bp.add_url_rule("/applications/<int:app_id>/attachments/<int:attachment_id>",
                endpoint="download_attachment", view_func=applications.download_attachment)
bp.add_url_rule("/applications/<int:app_id>/<any(withdraw,submit):action>",
                endpoint="act", view_func=applications.act, methods=["POST"])
bp.add_url_rule("/applications/<int:app_id>/form.pdf",
                endpoint="application_form_pdf", view_func=applications.application_form_pdf)
bp.add_url_rule("/applications/<int:app_id>/receipt.pdf", endpoint="application_receipt",
                 view_func=applications.application_receipt)

# cases
bp.add_url_rule("/cases", endpoint="cases", view_func=cases.cases)
bp.add_url_rule("/cases/new/<int:app_id>",
                endpoint="case_new", view_func=cases.case_new, methods=["GET", "POST"])
bp.add_url_rule("/cases/<int:case_id>", endpoint="case_detail", view_func=cases.case_detail)
bp.add_url_rule("/cases/<int:case_id>/edit",
                endpoint="case_edit", view_func=cases.case_edit, methods=["GET", "POST"])
bp.add_url_rule("/cases/images/<int:image_id>", endpoint="case_image", view_func=cases.case_image)

# funds
bp.add_url_rule("/funds", endpoint="funds_home", view_func=funds.funds_home)
bp.add_url_rule("/funds/bases/<int:base_id>", endpoint="funds_base", view_func=funds.funds_base)
bp.add_url_rule("/funds/bases/<int:base_id>/export.xlsx",
                endpoint="funds_export_base", view_func=funds.funds_export_base)
bp.add_url_rule("/funds/allocations/<int:allocation_id>/expenditures/new",
                endpoint="funds_new_entry", view_func=funds.funds_new_entry, methods=["GET", "POST"])
bp.add_url_rule("/funds/template.xlsx", endpoint="funds_template", view_func=funds.funds_template)
bp.add_url_rule("/funds/allocations/<int:allocation_id>/import",
                endpoint="funds_import_entries",
                view_func=funds.funds_import_entries,
                methods=["GET", "POST"])
bp.add_url_rule("/funds/expenditures/<int:entry_id>", endpoint="funds_entry", view_func=funds.funds_entry)
bp.add_url_rule("/funds/expenditures/<int:entry_id>/voucher",
                endpoint="funds_voucher", view_func=funds.funds_voucher)
bp.add_url_rule("/funds/expenditures/<int:entry_id>/voucher",
                endpoint="funds_attach_voucher", view_func=funds.funds_attach_voucher, methods=["POST"])
bp.add_url_rule("/funds/expenditures/<int:entry_id>/reverse",
                endpoint="funds_reverse", view_func=funds.funds_reverse, methods=["POST"])

# evaluations
bp.add_url_rule("/evaluations", endpoint="evaluations", view_func=evaluations.evaluations)
bp.add_url_rule("/evaluations/<int:evaluation_id>",
                endpoint="evaluation", view_func=evaluations.evaluation, methods=["GET", "POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/submit",
                endpoint="evaluation_submit", view_func=evaluations.evaluation_submit, methods=["POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/evidence",
                endpoint="evaluation_evidence", view_func=evaluations.evaluation_evidence, methods=["POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/evidence/<int:attachment_id>",
                endpoint="evaluation_evidence_file", view_func=evaluations.evaluation_evidence_file)
bp.add_url_rule("/evaluations/<int:evaluation_id>/rectification",
                endpoint="evaluation_rectification",
                view_func=evaluations.evaluation_rectification,
                methods=["POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/reports/<int:report_id>",
                endpoint="evaluation_report", view_func=evaluations.evaluation_report)
