"""/admin: the ministry's workspace (calls, criteria, assignments, rankings, decisions, reports).

The blueprint, its menu and its URL table: every URL of the audience is listed here; the
feature modules hold the view functions and do not know the blueprint."""
from __future__ import annotations

from flask import Blueprint

from ...domain.money import format_fen
from ..common.navigation import N_
from . import (calls, cases, criteria, decisions, evaluation_summary, evaluations, funds, home, plan_targets, ranking,
               review, summaries)

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: The audience's menu, in the order it is shown (the notifications entry follows for every role).
MENU = [
    ("admin.home", N_("管理首页")),
    ("admin.calls", N_("申报批次")),
    ("admin.review_calls", N_("专家评审")),
    ("admin.summaries", N_("工作总结")),
    ("admin.criteria", N_("指标体系")),
    ("admin.funds_home", N_("专项资金")),
    ("admin.evaluation_rounds", N_("绩效评价")),
    ("admin.cases", N_("典型案例")),
]

# Amounts in every fund template: fen shown as grouped yuan ("1,234.56").
bp.add_app_template_filter(format_fen, "yuan")

# home
bp.add_url_rule("/", endpoint="home", view_func=home.home)

# calls
bp.add_url_rule("/calls", endpoint="calls", view_func=calls.calls)
bp.add_url_rule("/calls/new", endpoint="call_new", view_func=calls.call_new, methods=["GET", "POST"])
bp.add_url_rule("/calls/<code>/edit",
                endpoint="call_edit", view_func=calls.call_edit, methods=["GET", "POST"])
bp.add_url_rule("/calls/<code>", endpoint="call_detail", view_func=calls.call_detail)
bp.add_url_rule("/calls/<code>/applications/<int:app_id>",
                endpoint="application_detail", view_func=calls.application_detail)
bp.add_url_rule("/calls/<code>/applications/<int:app_id>/check",
                endpoint="check", view_func=calls.check, methods=["POST"])
bp.add_url_rule("/calls/<code>/applications/<int:app_id>/attachments/<int:attachment_id>",
                endpoint="download_attachment", view_func=calls.download_attachment)
bp.add_url_rule("/calls/<code>/export.xlsx", endpoint="call_export", view_func=calls.call_export)

# ranking
bp.add_url_rule("/calls/<code>/ranking", endpoint="ranking", view_func=ranking.ranking)
bp.add_url_rule("/calls/<code>/ranking/settings",
                endpoint="ranking_settings", view_func=ranking.ranking_settings, methods=["GET", "POST"])
bp.add_url_rule("/calls/<code>/ranking/run",
                endpoint="ranking_run", view_func=ranking.ranking_run, methods=["POST"])
bp.add_url_rule("/calls/<code>/ranking/runs/<int:run_id>",
                endpoint="ranking_detail", view_func=ranking.ranking_detail)
bp.add_url_rule("/calls/<code>/ranking/runs/<int:run_id>/chart.png",
                endpoint="ranking_chart", view_func=ranking.ranking_chart)
bp.add_url_rule("/calls/<code>/ranking/runs/<int:run_id>/candidates/<int:app_id>",
                endpoint="ranking_candidate", view_func=ranking.ranking_candidate)
bp.add_url_rule("/calls/<code>/ranking/runs/<int:run_id>/reproduce",
                endpoint="ranking_reproduce", view_func=ranking.ranking_reproduce)
bp.add_url_rule("/calls/<code>/ranking/runs/<int:run_id>/matrix.csv",
                endpoint="ranking_matrix", view_func=ranking.ranking_matrix)
bp.add_url_rule("/calls/<code>/ranking/compare",
                endpoint="ranking_compare", view_func=ranking.ranking_compare)
bp.add_url_rule("/calls/<code>/review-workbook.xlsx",
                endpoint="review_workbook", view_func=ranking.review_workbook)

# decisions
bp.add_url_rule("/calls/<code>/decisions", endpoint="decisions", view_func=decisions.decisions)
bp.add_url_rule("/calls/<code>/decisions/propose/<category>",
                endpoint="propose", view_func=decisions.propose, methods=["POST"])
bp.add_url_rule("/calls/<code>/decisions/proposals/<int:proposal_id>/<any(approve, withdraw):verb>",
                endpoint="proposal_action", view_func=decisions.proposal_action, methods=["POST"])
bp.add_url_rule("/calls/<code>/decisions/publicity",
                endpoint="open_publicity", view_func=decisions.open_publicity, methods=["POST"])
bp.add_url_rule("/calls/<code>/decisions/objections",
                endpoint="record_objection", view_func=decisions.record_objection, methods=["POST"])
bp.add_url_rule("/calls/<code>/decisions/objections/<int:objection_id>",
                endpoint="resolve_objection", view_func=decisions.resolve_objection, methods=["POST"])
bp.add_url_rule("/calls/<code>/decisions/announce",
                endpoint="announce", view_func=decisions.announce, methods=["POST"])
bp.add_url_rule("/calls/<code>/publicity.pdf",
                endpoint="publicity_pdf_view", view_func=decisions.publicity_pdf_view)

# cases
bp.add_url_rule("/cases", endpoint="cases", view_func=cases.cases)
bp.add_url_rule("/cases/<int:case_id>",
                endpoint="case_detail", view_func=cases.case_detail, methods=["GET", "POST"])
bp.add_url_rule("/cases/images/<int:image_id>", endpoint="case_image", view_func=cases.case_image)

# review
bp.add_url_rule("/review/reviewers", endpoint="reviewers", view_func=review.reviewers)
bp.add_url_rule("/review/reviewers/new",
                endpoint="reviewer_new", view_func=review.reviewer_new, methods=["GET", "POST"])
bp.add_url_rule("/review/reviewers/<int:profile_id>",
                endpoint="reviewer_detail", view_func=review.reviewer_detail)
bp.add_url_rule("/review/reviewers/<int:profile_id>/<any(deactivate,reactivate):action>",
                endpoint="reviewer_state", view_func=review.reviewer_state, methods=["POST"])
bp.add_url_rule("/review/calls", endpoint="review_calls", view_func=review.review_calls)
bp.add_url_rule("/review/calls/<code>", endpoint="review_call", view_func=review.review_call)
bp.add_url_rule("/review/calls/<code>/assign",
                endpoint="review_assign", view_func=review.review_assign, methods=["POST"])
bp.add_url_rule("/review/calls/<code>/close",
                endpoint="review_close", view_func=review.review_close, methods=["POST"])
bp.add_url_rule("/review/calls/<code>/applications/<int:app_id>",
                endpoint="review_application", view_func=review.review_application)
bp.add_url_rule("/review/calls/<code>/applications/<int:app_id>/assignments",
                endpoint="review_add", view_func=review.review_add, methods=["POST"])
bp.add_url_rule("/review/assignments/<int:assignment_id>/remove",
                endpoint="review_remove", view_func=review.review_remove, methods=["POST"])
bp.add_url_rule("/review/sheets/<int:sheet_id>/reopen",
                endpoint="review_reopen", view_func=review.review_reopen, methods=["POST"])
bp.add_url_rule("/review/calls/<code>/progress", endpoint="review_progress", view_func=review.review_progress)

# criteria
bp.add_url_rule("/criteria", endpoint="criteria", view_func=criteria.criteria)
bp.add_url_rule("/criteria/<system_id>/<int:version>",
                endpoint="criteria_detail", view_func=criteria.criteria_detail)
bp.add_url_rule("/criteria/<system_id>/<int:version>/weights/new",
                endpoint="weights_new", view_func=criteria.weights_new, methods=["GET", "POST"])
bp.add_url_rule("/criteria/<system_id>/<int:version>/weights/ahp",
                endpoint="weights_ahp", view_func=criteria.weights_ahp, methods=["GET", "POST"])
bp.add_url_rule("/criteria/<system_id>/<int:version>/weights/rule",
                endpoint="weights_rule", view_func=criteria.weights_rule, methods=["GET", "POST"])
bp.add_url_rule("/criteria/<system_id>/<int:version>/weights/compare",
                endpoint="weights_compare", view_func=criteria.weights_compare)

# funds
bp.add_url_rule("/funds", endpoint="funds_home", view_func=funds.funds_home)
bp.add_url_rule("/funds/summary.xlsx", endpoint="funds_export_summary", view_func=funds.funds_export_summary)
bp.add_url_rule("/funds/charts/<any(execution,categories):kind>.png",
                endpoint="funds_chart", view_func=funds.funds_chart)
bp.add_url_rule("/funds/bases/new",
                endpoint="funds_new_base", view_func=funds.funds_new_base, methods=["GET", "POST"])
bp.add_url_rule("/funds/bases/<int:base_id>", endpoint="funds_base", view_func=funds.funds_base)
bp.add_url_rule("/funds/bases/<int:base_id>/export.xlsx",
                endpoint="funds_export_base", view_func=funds.funds_export_base)
bp.add_url_rule("/funds/bases/<int:base_id>/allocations/new",
                endpoint="funds_new_allocation",
                view_func=funds.funds_new_allocation,
                methods=["GET", "POST"])
bp.add_url_rule("/funds/allocations/<int:allocation_id>/tranches/new",
                endpoint="funds_new_tranche", view_func=funds.funds_new_tranche, methods=["GET", "POST"])
bp.add_url_rule("/funds/expenditures/<int:entry_id>", endpoint="funds_entry", view_func=funds.funds_entry)
bp.add_url_rule("/funds/expenditures/<int:entry_id>/voucher",
                endpoint="funds_voucher", view_func=funds.funds_voucher)
bp.add_url_rule("/funds/flags", endpoint="funds_flags", view_func=funds.funds_flags)
# creation-plan targets of the bases
bp.add_app_template_filter(plan_targets.plan_value, "plan_value")
bp.add_url_rule("/funds/bases/<int:base_id>/targets", endpoint="funds_edit_targets",
                view_func=plan_targets.funds_edit_targets, methods=["GET", "POST"])
bp.add_url_rule("/funds/targets/template.xlsx", endpoint="funds_targets_template",
                view_func=plan_targets.funds_targets_template)
bp.add_url_rule("/funds/targets/import", endpoint="funds_import_targets",
                view_func=plan_targets.funds_import_targets, methods=["GET", "POST"])
bp.add_url_rule("/funds/flags/<int:flag_id>/reopen",
                endpoint="funds_reopen_flag", view_func=funds.funds_reopen_flag, methods=["POST"])

# summaries
bp.add_url_rule("/summaries", endpoint="summaries", view_func=summaries.summaries, methods=["GET", "POST"])
bp.add_url_rule("/summaries/<int:collection_id>",
                endpoint="summary_status", view_func=summaries.summary_status)
bp.add_url_rule("/summaries/<int:collection_id>/remind",
                endpoint="summary_remind", view_func=summaries.summary_remind, methods=["POST"])
bp.add_url_rule("/summaries/files/<int:submission_id>",
                endpoint="summary_download", view_func=summaries.summary_download)

# evaluations
bp.add_url_rule("/evaluations", endpoint="evaluation_rounds", view_func=evaluations.evaluation_rounds)
bp.add_url_rule("/evaluations/new",
                endpoint="evaluation_round_new",
                view_func=evaluations.evaluation_round_new,
                methods=["GET", "POST"])
bp.add_url_rule("/evaluations/<code>", endpoint="evaluation_round", view_func=evaluations.evaluation_round)
bp.add_url_rule("/evaluations/<code>/chart/<any(grades,authorities,execution):name>.png",
                endpoint="evaluation_round_chart", view_func=evaluations.evaluation_round_chart)
bp.add_url_rule("/evaluations/<code>/batch",
                endpoint="evaluation_round_batch",
                view_func=evaluations.evaluation_round_batch,
                methods=["POST"])
bp.add_url_rule("/evaluations/item/<int:evaluation_id>",
                endpoint="evaluation_item", view_func=evaluations.evaluation_item)
bp.add_url_rule("/evaluations/item/<int:evaluation_id>/<any(accept,return,issue,reissue):action>",
                endpoint="evaluation_item_decide",
                view_func=evaluations.evaluation_item_decide,
                methods=["POST"])
bp.add_url_rule("/evaluations/item/<int:evaluation_id>/rectification",
                endpoint="evaluation_require_rectification",
                view_func=evaluations.evaluation_require_rectification,
                methods=["POST"])
bp.add_url_rule("/evaluations/item/<int:evaluation_id>/revoke",
                endpoint="evaluation_revoke", view_func=evaluations.evaluation_revoke, methods=["POST"])
bp.add_url_rule("/evaluations/item/<int:evaluation_id>/evidence/<int:attachment_id>",
                endpoint="evaluation_evidence_file", view_func=evaluations.evaluation_evidence_file)
bp.add_url_rule("/evaluations/item/<int:evaluation_id>/reports/<int:report_id>",
                endpoint="evaluation_report", view_func=evaluations.evaluation_report)
bp.add_url_rule("/evaluations/<code>/summary", endpoint="evaluation_round_summary_issue",
                view_func=evaluation_summary.evaluation_round_summary_issue, methods=["POST"])
bp.add_url_rule("/evaluations/<code>/summary/<int:summary_id>.<any(pdf,xlsx):fmt>",
                endpoint="evaluation_round_summary_file", view_func=evaluation_summary.evaluation_round_summary_file)
