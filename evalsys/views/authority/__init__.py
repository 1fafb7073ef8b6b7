"""/authority: a local commerce authority's workspace, restricted to its own jurisdiction.

The blueprint, its menu and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from ..common.navigation import N_
from . import accounts, applications, cases, evaluations, funds, results, summaries

bp = Blueprint("authority", __name__, url_prefix="/authority")

#: The audience's menu, in the order it is shown (the notifications entry follows for every role).
MENU = [
    ("authority.home", N_("工作台")),
    ("authority.applications", N_("申报推荐")),
    ("authority.organisations", N_("申报单位核验")),
    ("authority.summaries", N_("工作总结")),
    ("authority.funds_home", N_("专项资金")),
    ("authority.evaluations", N_("绩效评价")),
    ("authority.results_index", N_("评审结果")),
    ("authority.cases", N_("典型案例")),
    ("authority.accounts", N_("单位账户")),
]

# applications
bp.add_url_rule("/", endpoint="home", view_func=applications.home)
bp.add_url_rule("/organisations", endpoint="organisations", view_func=applications.organisations)
bp.add_url_rule("/organisations/<int:org_id>/<any(verify,reject):action>",
                endpoint="decide_organisation", view_func=applications.decide_organisation, methods=["POST"])
bp.add_url_rule("/members/<int:user_id>/<any(approve,refuse):action>",
                endpoint="decide_member", view_func=applications.decide_member, methods=["POST"])
bp.add_url_rule("/applications", endpoint="applications", view_func=applications.applications)
bp.add_url_rule("/applications/<int:app_id>",
                endpoint="application_detail", view_func=applications.application_detail)
bp.add_url_rule("/applications/<int:app_id>/attachments/<int:attachment_id>",
                endpoint="download_attachment", view_func=applications.download_attachment)
bp.add_url_rule("/applications/<int:app_id>/recommend",
                endpoint="recommend", view_func=applications.recommend, methods=["POST"])
bp.add_url_rule('/applications/<int:app_id>/<any("return","not-recommend"):decision>',
                endpoint="decide_with_reason", view_func=applications.decide_with_reason, methods=["POST"])
bp.add_url_rule("/applications/<int:app_id>/take-back",
                endpoint="take_back", view_func=applications.take_back, methods=["POST"])
bp.add_url_rule("/calls/<code>/letter",
                endpoint="upload_letter", view_func=applications.upload_letter, methods=["POST"])
bp.add_url_rule("/calls/<code>/letter/download",
                endpoint="download_letter", view_func=applications.download_letter)
bp.add_url_rule("/calls/<code>/export.xlsx", endpoint="export", view_func=applications.export)

# results
bp.add_url_rule("/results", endpoint="results_index", view_func=results.results_index)
bp.add_url_rule("/calls/<code>/results", endpoint="call_results", view_func=results.call_results)

# cases
bp.add_url_rule("/cases", endpoint="cases", view_func=cases.cases)
bp.add_url_rule("/cases/<int:case_id>",
                endpoint="case_detail", view_func=cases.case_detail, methods=["GET", "POST"])
bp.add_url_rule("/cases/images/<int:image_id>", endpoint="case_image", view_func=cases.case_image)

# funds
bp.add_url_rule("/funds", endpoint="funds_home", view_func=funds.funds_home)
bp.add_url_rule("/funds/charts/<any(execution,categories):kind>.png",
                endpoint="funds_chart", view_func=funds.funds_chart)
bp.add_url_rule("/funds/summary.xlsx", endpoint="funds_export_summary", view_func=funds.funds_export_summary)
bp.add_url_rule("/funds/bases/<int:base_id>", endpoint="funds_base", view_func=funds.funds_base)
bp.add_url_rule("/funds/bases/<int:base_id>/export.xlsx",
                endpoint="funds_export_base", view_func=funds.funds_export_base)
bp.add_url_rule("/funds/expenditures", endpoint="funds_entries", view_func=funds.funds_entries)
bp.add_url_rule("/funds/expenditures/<int:entry_id>", endpoint="funds_entry", view_func=funds.funds_entry)
bp.add_url_rule("/funds/expenditures/<int:entry_id>/voucher",
                endpoint="funds_voucher", view_func=funds.funds_voucher)
bp.add_url_rule("/funds/expenditures/<int:entry_id>/verify",
                endpoint="funds_verify", view_func=funds.funds_verify, methods=["POST"])
bp.add_url_rule("/funds/expenditures/<int:entry_id>/reject",
                endpoint="funds_reject", view_func=funds.funds_reject, methods=["POST"])
bp.add_url_rule("/funds/flags", endpoint="funds_flags", view_func=funds.funds_flags)
bp.add_url_rule("/funds/flags/<int:flag_id>/resolve",
                endpoint="funds_resolve_flag", view_func=funds.funds_resolve_flag, methods=["POST"])

# summaries
bp.add_url_rule("/summaries", endpoint="summaries", view_func=summaries.summaries, methods=["GET"])
bp.add_url_rule("/summaries/<int:collection_id>",
                endpoint="summary_upload", view_func=summaries.summary_upload, methods=["POST"])
bp.add_url_rule("/summaries/files/<int:submission_id>",
                endpoint="summary_download", view_func=summaries.summary_download)

# accounts
bp.add_url_rule("/accounts", endpoint="accounts", view_func=accounts.accounts)
bp.add_url_rule("/accounts/<int:user_id>/reset",
                endpoint="account_reset_page", view_func=accounts.account_reset_page)
bp.add_url_rule("/accounts/<int:user_id>/reset/<any(link,temporary):method>",
                endpoint="account_reset_do", view_func=accounts.account_reset_do, methods=["POST"])

# evaluations
bp.add_url_rule("/evaluations", endpoint="evaluations", view_func=evaluations.evaluations)
bp.add_url_rule("/evaluations/<int:evaluation_id>",
                endpoint="evaluation", view_func=evaluations.evaluation, methods=["GET", "POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/<any(submit,return_self):action>",
                endpoint="evaluation_decide", view_func=evaluations.evaluation_decide, methods=["POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/recheck",
                endpoint="evaluation_recheck", view_func=evaluations.evaluation_recheck, methods=["POST"])
bp.add_url_rule("/evaluations/<int:evaluation_id>/evidence/<int:attachment_id>",
                endpoint="evaluation_evidence_file", view_func=evaluations.evaluation_evidence_file)
bp.add_url_rule("/evaluations/<int:evaluation_id>/reports/<int:report_id>",
                endpoint="evaluation_report", view_func=evaluations.evaluation_report)
