"""What the audit trail's keys mean to a reader: the name of each recorded event and object type.

The trail keeps its keys (`login_success`, `applications`) because filters, exports and the hash
chain use them; pages show the name, with the key beside it. Events of a workflow step are named
from the step's own label (`application_recommend` → 申报：推荐).
"""
from __future__ import annotations

from collections.abc import Callable

from . import evaluation, workflow


def N_(message: str) -> str:
    """Marks a name for the translation catalogue; pages translate it when shown."""
    return message


EVENT_LABELS: dict[str, str] = {
    "access_denied": N_("访问被拒绝"), "account_locked": N_("账户锁定"), "account_state_changed": N_("账户状态变更"),
    "account_unlocked": N_("账户解锁"), "allocation_override_approved": N_("例外下达获批准"),
    "allocation_override_proposed": N_("申请例外下达"), "allocation_override_withdrawn": N_("撤回例外下达申请"),
    "api_token_created": N_("创建API令牌"), "api_token_refused": N_("API令牌被拒绝"),
    "api_token_revoked": N_("吊销API令牌"), "api_token_used": N_("使用API令牌"), "application_created": N_("创建申报"),
    "application_saved": N_("保存申报"), "assignment_added": N_("分配评审任务"), "assignment_declined": N_("评审专家回避"),
    "assignment_removed": N_("移除评审任务"), "attachment_added": N_("上传附件"), "audit_archived": N_("审计日志归档"),
    "base_targets_changed": N_("修改创建方案目标"), "base_targets_imported": N_("导入创建方案目标"),
    "base_title_revoked": N_("撤销示范基地称号"), "call_created": N_("创建申报批次"), "call_quotas_set": N_("设置推荐名额"),
    "call_settings_locked": N_("锁定批次设置"), "call_updated": N_("修改申报批次"),
    "case.authority_approved": N_("典型案例：主管部门审核通过"), "case.published": N_("典型案例：发布"),
    "case.resubmitted": N_("典型案例：重新提交"), "case.returned": N_("典型案例：退回"), "case.submitted": N_("典型案例：提交"),
    "conflict_declared": N_("声明利益冲突"), "csrf_failure": N_("表单校验失败"), "decision.announced": N_("公布结果"),
    "decision.approved": N_("批准拟入选名单"), "decision.objection_recorded": N_("登记异议"),
    "decision.objection_resolved": N_("处理异议"), "decision.proposed": N_("提出拟入选名单"),
    "decision.publicity_opened": N_("开始公示"), "decision.publicity_pdf": N_("生成公示文件"),
    "decision.withdrawn": N_("撤回拟入选名单"), "divergence_commented": N_("说明评分偏离"),
    "divergence_flagged": N_("评分偏离标记"), "evaluation_authority_saved": N_("保存主管部门评价"),
    "evaluation_batch_created": N_("批量出具报告开始"), "evaluation_batch_finished": N_("批量出具报告完成"),
    "evaluation_evidence_attached": N_("上传佐证材料"), "evaluation_report_issued": N_("出具绩效评价报告"),
    "evaluation_round_created": N_("创建绩效评价批次"), "evaluation_self_saved": N_("保存自评"),
    "file_missing": N_("文件缺失"), "file_tampered": N_("文件被篡改"), "file_uploaded": N_("上传文件"),
    "fund_allocation_created": N_("下达资金"), "fund_base_created": N_("登记示范基地"),
    "fund_expenditure_recorded": N_("登记支出"), "fund_expenditure_rejected": N_("驳回支出"),
    "fund_expenditure_reversal_recorded": N_("登记冲销"), "fund_expenditure_verified": N_("核实支出"),
    "fund_expenditures_imported": N_("导入支出"), "fund_recovery_itemised": N_("登记收回明细"),
    "fund_recovery_recorded": N_("登记收回资金"), "fund_tranche_recorded": N_("登记到位资金"),
    "fund_voucher_attached": N_("上传凭证"), "fund_flag_raised": N_("出现合规提示"),
    "fund_flag_reraised": N_("合规提示再次出现"), "fund_flag_cleared": N_("合规提示条件消除"),
    "fund_flag_resolved": N_("处理合规提示"), "fund_flag_reopened": N_("重新打开合规提示"),
    "issued_report_mismatch": N_("报告文件与摘要不符"), "login_failure": N_("登录失败"),
    "login_password_ok": N_("密码验证通过"), "login_refused_locked": N_("账户锁定时拒绝登录"), "login_success": N_("登录成功"),
    "logout": N_("退出登录"), "member_approved": N_("批准本单位账户"), "no_conflict_confirmed": N_("确认无利益冲突"),
    "organisation_registered": N_("单位注册"), "organisation_verified": N_("核实单位"),
    "password_changed": N_("修改密码"), "password_reset": N_("重置密码"),
    "password_reset_link_sent": N_("发送密码重置链接"), "password_reset_requested": N_("申请重置密码"),
    "ranking.run": N_("运行排名"), "ranking.runs_stale": N_("排名结果失效"), "ranking.settings_changed": N_("修改排名设置"),
    "ranking.settings_locked": N_("锁定排名设置"), "rate_limited": N_("请求过于频繁"),
    "recommendation_letter_uploaded": N_("上传推荐函"), "rectification_rechecked": N_("整改复核"),
    "rectification_reported": N_("报送整改情况"), "rectification_required": N_("下达整改要求"),
    "register_refused": N_("注册被拒绝"), "review_assigned": N_("分配评审"),
    "review_assignment_refused": N_("评审分配被拒绝"), "review_closed": N_("结束评审"),
    "reviewer_activated": N_("启用评审专家"), "reviewer_profile_created": N_("创建评审专家档案"),
    "reviewer_state_changed": N_("评审专家状态变更"), "role_changed": N_("角色变更"),
    "round_summary_issued": N_("出具绩效评价汇总"), "round_summary_mismatch": N_("汇总文件与摘要不符"),
    "score_sheet_reopened": N_("重新开放评分表"), "score_sheet_saved": N_("保存评分表"),
    "score_sheet_submitted": N_("提交评分表"), "score_sheet_voided": N_("作废评分表"), "stale_edit": N_("过期编辑被拒绝"),
    "submission_receipt_issued": N_("出具申报回执"), "summary_collection_opened": N_("开始征集年度工作总结"),
    "summary_reminders_sent": N_("发送总结提醒"), "summary_submitted": N_("报送年度工作总结"),
    "totp_enrolled": N_("启用两步验证"), "totp_enrolment_code_refused": N_("两步验证绑定码错误"),
    "totp_enrolment_started": N_("开始绑定两步验证"), "totp_recovery_code_used": N_("使用恢复码"),
    "totp_recovery_codes_regenerated": N_("重新生成恢复码"), "totp_replay_refused": N_("拒绝重复使用的验证码"),
    "totp_reset": N_("重置两步验证"), "user_created": N_("创建账户"), "user_registered": N_("注册账户"),
    "weight_version_created": N_("创建权重版本"),
}

OBJECT_LABELS: dict[str, str] = {
    "allocation_overrides": N_("例外下达"), "api_tokens": N_("API令牌"), "application_attachments": N_("申报附件"),
    "applications": N_("申报"), "assignments": N_("评审任务"), "authorities": N_("主管部门"),
    "base_targets": N_("创建方案目标"), "batch_jobs": N_("批量任务"), "call_announcements": N_("结果公告"),
    "calls": N_("申报批次"), "conflict_declarations": N_("利益冲突声明"), "evaluation_attachments": N_("佐证材料"),
    "evaluation_rounds": N_("绩效评价批次"), "evaluations": N_("绩效评价"), "first_batch_bases": N_("示范基地"),
    "fund_allocations": N_("资金下达"), "fund_expenditures": N_("支出"), "fund_flags": N_("合规提示"),
    "fund_recoveries": N_("资金收回"), "fund_tranches": N_("资金到位"), "issued_reports": N_("评价报告"),
    "objections": N_("异议"), "organisations": N_("单位"), "proposals": N_("拟入选名单"),
    "publicity_entries": N_("公示条目"), "ranking_runs": N_("排名结果"), "recommendation_letters": N_("推荐函"),
    "rectifications": N_("整改"), "reviewer_profiles": N_("评审专家"), "round_summary_reports": N_("绩效评价汇总"),
    "score_sheets": N_("评分表"), "stored_files": N_("文件"), "submission_receipts": N_("申报回执"),
    "summary_collections": N_("年度工作总结征集"), "summary_submissions": N_("年度工作总结"),
    "totp_credentials": N_("两步验证"), "typical_cases": N_("典型案例"), "users": N_("账户"),
    "weight_versions": N_("权重版本"),
}

OUTCOME_LABELS = {"success": N_("成功"), "failure": N_("失败")}

_STEP_PREFIXES = (("application_", workflow.Action, workflow.ACTION_LABELS, N_("申报")),
                  ("evaluation_", evaluation.EvalAction, evaluation.ACTION_LABELS, N_("绩效评价")))
STEP_EVENT = N_("%(area)s：%(step)s")


def _same(text: str) -> str:
    return text


def event_label(event: str, translate: Callable[[str], str] = _same) -> str:
    """The name of a recorded event, through `translate` (a page passes gettext); the key itself
    when it has none (a newer event)."""
    if event in EVENT_LABELS:
        return translate(EVENT_LABELS[event])
    for prefix, actions, labels, area in _STEP_PREFIXES:
        if event.startswith(prefix):
            try:
                step = labels[actions(event[len(prefix):])]
            except (ValueError, KeyError):
                continue
            return translate(STEP_EVENT) % {"area": translate(area), "step": translate(step)}
    return event


def object_label(object_type: str | None, translate: Callable[[str], str] = _same) -> str:
    """The name of a recorded object's type ("" for none), through `translate` like event_label."""
    if object_type in OBJECT_LABELS:
        return translate(OBJECT_LABELS[object_type])
    return object_type or ""
