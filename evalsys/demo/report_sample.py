"""A fictional, fully filled performance report document (bench and rendering tests; no database)."""
from __future__ import annotations

from ..reporting.evaluation_report import CategoryRow, EvaluationReportDoc, FundYear, GroupBlock, IndicatorRow

_NARRATIVE = ("基地围绕创建方案确定的目标，建立了资金、项目和档案管理制度，公共服务平台稳定运行，"
              "为入驻企业提供运营、培训、物流和融资对接服务。" * 3)


def sample_report_doc(n: int = 1) -> EvaluationReportDoc:
    """Report data for fictional base number `n` (deterministic)."""
    groups = [
        GroupBlock("决策", "15.0", "13.50", [IndicatorRow("项目立项依据与程序", "E", "5", "—", "—", "4.50", "立项依据充分，程序规范"),
                                           IndicatorRow("绩效目标合理、可衡量", "E", "5", "—", "—", "4.50"),
                                           IndicatorRow("预算编制与资金分配", "E", "5", "—", "—", "4.50")], _NARRATIVE),
        GroupBlock("过程", "25.0", "22.10", [IndicatorRow("资金到位率", "Q+", "4", "100.00%", "100.00%", "4.00"),
                                           IndicatorRow("预算执行率", "Q+", "5", "90.00%", "81.00%", "4.50"),
                                           IndicatorRow("资金使用合规性", "Q+", "6", "100.00%", "93.50%", "5.61"),
                                           IndicatorRow("管理制度健全性", "E", "4", "—", "—", "3.50"),
                                           IndicatorRow("制度执行有效性", "E", "6", "—", "—", "4.49")], _NARRATIVE),
        GroupBlock("产出", "30.0", "26.00", [IndicatorRow("创建任务完成情况", "Q+", "6", "12 项", "11 项", "5.50"),
                                           IndicatorRow("成本控制（实际成本对比预算）", "Q-", "5", "30,000,000.00 元",
                                                        "31,000,000.00 元", "4.84")], _NARRATIVE),
        GroupBlock("效益", "30.0", "26.40", [IndicatorRow("交易额较基期增长", "Q+", "6", "50.00%", "45.00%", "5.40"),
                                           IndicatorRow("入驻企业满意度", "Q+", "5", "90.00%", "88.00%", "4.89")], _NARRATIVE),
    ]
    years = [FundYear(str(y), "10,000,000.00", "10,000,000.00", "8,100,000.00", "100.00%", "81.00%")
             for y in (2013, 2014, 2015)]
    return EvaluationReportDoc(
        serial=f"PERF-2015-{n:04d}-K7Q2M9XWRT", round_code="perf-2015",
        round_title="首批国家电子商务示范基地创建工作及中央专项补助资金使用情况绩效评估（2015）",
        issuer="中华人民共和国商务部电子商务和信息化司", issued_date="2015-12-20",
        base_code=f"B1-{n:02d}", base_name=f"示例电子商务产业园{n}", city="苏州", authority="江苏省商务厅",
        operator=f"苏州示例电子商务产业园运营管理有限公司{n}",
        system_title="首批国家电子商务示范基地创建工作及中央专项补助资金使用情况绩效评价指标体系（v1）",
        total="88.00", bonus="2.00", grade="良", grade_use="等级为“良”：继续给予支持。",
        targets=[("方案目标：资金到位率（通常 100%）", "100.00%"), ("方案目标：创建任务数", "12 项")],
        process=[("2015-09-30", "运营主体", "提交自评"), ("2015-10-31", "江苏省商务厅", "提交评价结果"),
                 ("2015-11-30", "商务部", "审核通过")],
        groups=groups, fund_years=years,
        fund_total=FundYear("合计", "30,000,000.00", "30,000,000.00", "24,300,000.00", "100.00%", "81.00%"),
        categories=[CategoryRow("公共服务平台建设与运营", "12,000,000.00", 1200.0),
                    CategoryRow("人才培训", "6,300,000.00", 630.0), CategoryRow("创业孵化", "6,000,000.00", 600.0)],
        open_flags=2, conclusions="该基地创建工作总体达到方案目标。", problems="部分项目进度滞后。",
        recommendations="加快项目验收，提高资金执行率。",
    )
