"""What the audit trail's keys mean to a reader: the name of each recorded event and object type.

The trail keeps its keys (`login_success`, `applications`) because filters, exports and the hash
chain use them; pages show the name, with the key beside it. Events of a workflow step are named
from the step's own label (`application_recommend` → 申报：推荐).
"""
from __future__ import annotations

from . import evaluation, workflow

EVENT_LABELS: dict[str, str] = {
    "access_denied": "访问被拒绝", "account_locked": "账户锁定", "account_state_changed": "账户状态变更",
    "account_unlocked": "账户解锁",
    "allocation_override_approved": "例外下达获批准", "allocation_override_proposed": "申请例外下达",
    "allocation_override_withdrawn": "撤回例外下达申请",
    "api_token_created": "创建API令牌", "api_token_refused": "API令牌被拒绝", "api_token_revoked": "吊销API令牌",
    "api_token_used": "使用API令牌",
    "application_created": "创建申报", "application_saved": "保存申报",
    "assignment_added": "分配评审任务", "assignment_declined": "评审专家回避", "assignment_removed": "移除评审任务",
    "attachment_added": "上传附件", "audit_archived": "审计日志归档",
    "base_targets_changed": "修改创建方案目标", "base_targets_imported": "导入创建方案目标",
    "base_title_revoked": "撤销示范基地称号",
    "call_created": "创建申报批次", "call_quotas_set": "设置推荐名额", "call_settings_locked": "锁定批次设置",
    "call_updated": "修改申报批次",
    "case.authority_approved": "典型案例：主管部门审核通过", "case.published": "典型案例：发布",
    "case.resubmitted": "典型案例：重新提交", "case.returned": "典型案例：退回", "case.submitted": "典型案例：提交",
    "conflict_declared": "声明利益冲突", "csrf_failure": "表单校验失败",
    "decision.announced": "公布结果", "decision.approved": "批准拟入选名单", "decision.objection_recorded": "登记异议",
    "decision.objection_resolved": "处理异议", "decision.proposed": "提出拟入选名单",
    "decision.publicity_opened": "开始公示", "decision.publicity_pdf": "生成公示文件", "decision.withdrawn": "撤回拟入选名单",
    "divergence_commented": "说明评分偏离", "divergence_flagged": "评分偏离标记",
    "evaluation_authority_saved": "保存主管部门评价", "evaluation_batch_created": "批量出具报告开始",
    "evaluation_batch_finished": "批量出具报告完成", "evaluation_evidence_attached": "上传佐证材料",
    "evaluation_report_issued": "出具绩效评价报告", "evaluation_round_created": "创建绩效评价批次",
    "evaluation_self_saved": "保存自评",
    "file_missing": "文件缺失", "file_tampered": "文件被篡改", "file_uploaded": "上传文件",
    "fund_allocation_created": "下达资金", "fund_base_created": "登记示范基地", "fund_expenditure_recorded": "登记支出",
    "fund_expenditure_rejected": "驳回支出", "fund_expenditure_reversal_recorded": "登记冲销",
    "fund_expenditure_verified": "核实支出", "fund_expenditures_imported": "导入支出",
    "fund_recovery_itemised": "登记收回明细", "fund_recovery_recorded": "登记收回资金", "fund_tranche_recorded": "登记到位资金",
    "fund_voucher_attached": "上传凭证", "fund_flag_raised": "出现合规提示", "fund_flag_reraised": "合规提示再次出现",
    "fund_flag_cleared": "合规提示条件消除", "fund_flag_resolved": "处理合规提示", "fund_flag_reopened": "重新打开合规提示",
    "issued_report_mismatch": "报告文件与摘要不符",
    "login_failure": "登录失败", "login_password_ok": "密码验证通过", "login_refused_locked": "账户锁定时拒绝登录",
    "login_success": "登录成功", "logout": "退出登录",
    "member_approved": "批准本单位账户", "no_conflict_confirmed": "确认无利益冲突",
    "organisation_registered": "单位注册", "organisation_verified": "核实单位",
    "password_changed": "修改密码", "password_reset": "重置密码", "password_reset_link_sent": "发送密码重置链接",
    "password_reset_requested": "申请重置密码",
    "ranking.run": "运行排名", "ranking.runs_stale": "排名结果失效", "ranking.settings_changed": "修改排名设置",
    "ranking.settings_locked": "锁定排名设置",
    "rate_limited": "请求过于频繁", "recommendation_letter_uploaded": "上传推荐函",
    "rectification_rechecked": "整改复核", "rectification_reported": "报送整改情况", "rectification_required": "下达整改要求",
    "register_refused": "注册被拒绝",
    "review_assigned": "分配评审", "review_assignment_refused": "评审分配被拒绝", "review_closed": "结束评审",
    "reviewer_activated": "启用评审专家", "reviewer_profile_created": "创建评审专家档案",
    "reviewer_state_changed": "评审专家状态变更",
    "role_changed": "角色变更", "round_summary_issued": "出具绩效评价汇总", "round_summary_mismatch": "汇总文件与摘要不符",
    "score_sheet_reopened": "重新开放评分表", "score_sheet_saved": "保存评分表", "score_sheet_submitted": "提交评分表",
    "score_sheet_voided": "作废评分表",
    "stale_edit": "过期编辑被拒绝", "submission_receipt_issued": "出具申报回执",
    "summary_collection_opened": "开始征集年度工作总结", "summary_reminders_sent": "发送总结提醒",
    "summary_submitted": "报送年度工作总结",
    "totp_enrolled": "启用两步验证", "totp_enrolment_code_refused": "两步验证绑定码错误",
    "totp_enrolment_started": "开始绑定两步验证", "totp_recovery_code_used": "使用恢复码",
    "totp_recovery_codes_regenerated": "重新生成恢复码", "totp_replay_refused": "拒绝重复使用的验证码",
    "totp_reset": "重置两步验证",
    "user_created": "创建账户", "user_registered": "注册账户", "weight_version_created": "创建权重版本",
}

OBJECT_LABELS: dict[str, str] = {
    "allocation_overrides": "例外下达", "api_tokens": "API令牌", "application_attachments": "申报附件",
    "applications": "申报", "assignments": "评审任务", "authorities": "主管部门", "base_targets": "创建方案目标",
    "batch_jobs": "批量任务", "call_announcements": "结果公告", "calls": "申报批次", "conflict_declarations": "利益冲突声明",
    "evaluation_attachments": "佐证材料", "evaluation_rounds": "绩效评价批次", "evaluations": "绩效评价",
    "first_batch_bases": "示范基地", "fund_allocations": "资金下达", "fund_expenditures": "支出", "fund_flags": "合规提示",
    "fund_recoveries": "资金收回", "fund_tranches": "资金到位", "issued_reports": "评价报告", "objections": "异议",
    "organisations": "单位", "proposals": "拟入选名单", "publicity_entries": "公示条目", "ranking_runs": "排名结果",
    "recommendation_letters": "推荐函", "rectifications": "整改", "reviewer_profiles": "评审专家",
    "round_summary_reports": "绩效评价汇总", "score_sheets": "评分表", "stored_files": "文件",
    "submission_receipts": "申报回执", "summary_collections": "年度工作总结征集", "summary_submissions": "年度工作总结",
    "totp_credentials": "两步验证", "typical_cases": "典型案例", "users": "账户", "weight_versions": "权重版本",
}

OUTCOME_LABELS = {"success": "成功", "failure": "失败"}

_STEP_PREFIXES = (("application_", workflow.Action, workflow.ACTION_LABELS, "申报"),
                  ("evaluation_", evaluation.EvalAction, evaluation.ACTION_LABELS, "绩效评价"))


def event_label(event: str) -> str:
    """The name of a recorded event; the key itself when it has none (a newer event)."""
    if event in EVENT_LABELS:
        return EVENT_LABELS[event]
    for prefix, actions, labels, area in _STEP_PREFIXES:
        if event.startswith(prefix):
            try:
                return f"{area}：{labels[actions(event[len(prefix):])]}"
            except (ValueError, KeyError):
                continue
    return event


def object_label(object_type: str | None) -> str:
    """The name of a recorded object's type ("" for none)."""
    return OBJECT_LABELS.get(object_type or "", object_type or "")
