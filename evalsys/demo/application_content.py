"""What the demo applications say: plausible 2014 figures (storage units), narratives, reasons.

Figures describe the year before the 2015 calls, so they are smaller than the 2019 averages of
domain.md §3 (a 2014 base: a few billion yuan of e-commerce transactions, not 40–50 bn).
Everything is derived from a seeded random generator, so a rerun produces the same values.
"""
from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Any

# Enterprise category by brand stem (demo/data.py ENTERPRISE_STEMS): the name hints at the business.
STEM_CATEGORY = {
    "云织": "wholesale", "鲜达": "retail", "优品汇": "retail", "易采": "wholesale", "惠农通": "comprehensive",
    "速邮": "service", "万象": "comprehensive", "蓝海": "cross-border", "星链": "innovation",
    "同城帮": "local-life", "乐购": "retail", "丝路": "cross-border", "禾众": "wholesale", "智仓": "service",
    "好药师": "retail", "青檬": "innovation", "千帆": "service", "银杏": "comprehensive", "海淘": "cross-border",
    "聚鲜": "local-life", "衣橱": "retail", "车邻": "local-life", "家政通": "local-life", "书香": "innovation",
}

RETURN_REASONS = [
    "经审计的财务报表缺少审计机构盖章页，请补充完整后重新提交。",
    "申报表扫描件未加盖单位公章，请重新盖章扫描后上传。",
    "上年度电子商务交易额与统计部门数据出入较大，请核实并附统计说明。",
]
NOT_RECOMMEND_REASONS = [
    "经征求市场监管部门意见，该单位近期存在消费者投诉集中问题，本年度暂不推荐。",
    "本辖区推荐名额有限，经专家初审综合排序，该申报未进入推荐范围。",
    "申报材料反映的电子商务业务占比偏低，示范带动作用不突出，本年度不予推荐。",
]
FAIL_REASONS = [
    "推荐函未列明推荐排序，且申报报告缺少近两年电子商务交易额佐证材料。",
    "营业执照扫描件模糊不清，无法核对统一社会信用代码，形式审查不通过。",
    "申报表所填营业收入与经审计财务报表不一致，形式审查不通过。",
]


def rng_for(key: str) -> random.Random:
    """A generator seeded by a stable key (the organisation's USCC), independent of call order."""
    return random.Random(f"evalsys-demo|{key}")


def _yuan(rng: random.Random, low: float, high: float, *, log: bool = True) -> int:
    """An amount in yuan (rounded to ten thousand) between low and high, as integer fen."""
    value = 10 ** rng.uniform(math.log10(low), math.log10(high)) if log else rng.uniform(low, high)
    return int(round(value / 10_000)) * 10_000 * 100


def _day(rng: random.Random, first: date, last: date) -> str:
    return (first + timedelta(days=rng.randint(0, (last - first).days))).isoformat()


def base_figures(rng: random.Random) -> dict[str, Any]:
    """A base in 2014: tens of thousands of m², dozens to hundreds of firms, bn-yuan transactions."""
    floor = rng.randrange(32_000, 260_000, 500)
    tenants = rng.randint(110, 820)
    ecom = max(40, int(tenants * rng.uniform(0.48, 0.86)))
    last = _yuan(rng, 1.2e9, 2.4e10)
    return {
        "operator_clear": True,
        "opened_on": _day(rng, date(2009, 3, 1), date(2013, 9, 30)),
        "floor_area": str(floor),
        "occupied_area": str(int(floor * rng.uniform(0.7, 0.96))),
        "tenant_firms": tenants,
        "ecommerce_firms": ecom,
        "major_violation": False,
        "transactions_last_year": last,
        "transactions_prev_year": int(round(last / rng.uniform(1.15, 1.85) / 1_000_000)) * 1_000_000,
        "employees": rng.randint(1_500, 12_000),
        "training_person_times": rng.randrange(800, 15_000, 10),
        "incubated_firms": rng.randint(15, 160),
        "rd_centres": rng.randint(1, 12),
        "matching_funds": _yuan(rng, 3e6, 6e7),
        "jobs_created": rng.randint(300, 3_500),
        "complaints": rng.randint(2, 45),
    }


# Per category (2014, yuan): operating revenue range, revenue per employee, e-commerce share of
# revenue, average order value, tax as a share of revenue. A retailer or wholesaler turns over a lot
# per head on thin margins; a service or local-life firm little per head with more staff.
CATEGORY_PROFILE: dict[str | None, dict[str, tuple[float, float]]] = {
    "retail": {"revenue": (3e8, 1.2e10), "per_head": (1.5e6, 5e6), "share": (0.7, 0.98), "order": (90, 420),
               "tax": (0.008, 0.03)},
    "wholesale": {"revenue": (5e8, 2e10), "per_head": (4e6, 1.5e7), "share": (0.55, 0.95), "order": (3e3, 6e4),
                  "tax": (0.004, 0.015)},
    "service": {"revenue": (8e7, 2e9), "per_head": (3e5, 1.2e6), "share": (0.6, 0.98), "order": (800, 2e4),
                "tax": (0.03, 0.07)},
    "local-life": {"revenue": (8e7, 1.5e9), "per_head": (2e5, 8e5), "share": (0.6, 0.95), "order": (35, 160),
                   "tax": (0.02, 0.06)},
    "cross-border": {"revenue": (2e8, 6e9), "per_head": (1.2e6, 4.5e6), "share": (0.6, 0.95), "order": (180, 900),
                     "tax": (0.01, 0.04)},
    "comprehensive": {"revenue": (5e8, 1.5e10), "per_head": (8e5, 3e6), "share": (0.4, 0.85), "order": (120, 600),
                      "tax": (0.015, 0.05)},
    "innovation": {"revenue": (8e7, 1.5e9), "per_head": (3e5, 1.5e6), "share": (0.6, 0.98), "order": (100, 3e3),
                   "tax": (0.03, 0.08)},
}
CATEGORY_PROFILE[None] = CATEGORY_PROFILE["comprehensive"]


def enterprise_figures(rng: random.Random, category: str | None = None) -> dict[str, Any]:
    """An enterprise of `category` in 2014: revenue, staff, tax and orders that hang together."""
    p = CATEGORY_PROFILE.get(category, CATEGORY_PROFILE[None])
    revenue = _yuan(rng, *p["revenue"])
    ecom = int(revenue * rng.uniform(*p["share"])) // 1_000_000 * 1_000_000
    employees = max(30, int(revenue / 100 / rng.uniform(*p["per_head"])))
    orders = max(20_000, int(ecom / 100 / rng.uniform(*p["order"])))
    rd_high = 0.06 if category == "innovation" else 0.03
    return {
        "shop_opened_on": _day(rng, date(2005, 6, 1), date(2012, 10, 31)),
        "dedicated_unit": True,
        "violation_3y": False,
        "operating_revenue": revenue,
        "ecommerce_revenue": ecom,
        "ecommerce_revenue_2y_ago": int(ecom / rng.uniform(1.2, 3.0)) // 1_000_000 * 1_000_000,
        "tax_paid": int(revenue * rng.uniform(*p["tax"])) // 10_000 * 10_000,
        "orders": orders,
        "rd_spending": int(revenue * rng.uniform(0.005, rd_high)) // 10_000 * 10_000,
        "patents": max(2, min(300, int(employees * rng.uniform(0.01, 0.08)))),
        "standards": rng.randint(0, 6),
        "employees": employees,
        "smes_served": rng.randint(50, 30_000),
        "complaints": max(1, int(orders * rng.uniform(0.2, 3.0) / 10_000)),
    }


def _yi(fen: int) -> str:
    """Fen as 亿元 with two decimals, for narrative text."""
    return f"{fen / 100 / 1e8:.2f}"


def base_narrative(org: str, place: str, f: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """The seven sections of a base's creation plan (创建工作方案), a few sentences each."""
    growth = f["transactions_last_year"] / max(f["transactions_prev_year"], 1) - 1
    focus = rng.choice(["服装纺织", "农产品上行", "跨境电商", "小商品", "家居建材", "特色食品"])
    return {
        "basics": (f"基地位于{place}市，由{org}统一运营，规划建筑面积{int(f['floor_area']):,}平方米。"
                   f"目前入驻企业{f['tenant_firms']}家，其中电子商务企业{f['ecommerce_firms']}家，"
                   f"配套建设了仓储物流中心、摄影基地、人才公寓和创业服务大厅。"),
        "targets": (f"力争到2017年，基地电子商务交易额突破{f['transactions_last_year'] * 2 // 100 // 10**8}亿元，"
                    f"入驻电子商务企业超过{int(f['ecommerce_firms'] * 1.6)}家，累计孵化企业{f['incubated_firms'] * 2}家以上，"
                    f"带动就业{f['employees'] * 2}人。各项目标已分解到年度并纳入地方政府考核。"),
        "tasks": (f"围绕{focus}产业特色，重点推进公共服务平台升级、电商人才培训、仓储物流共同配送和品牌培育四项任务，"
                  f"计划实施重点项目{rng.randint(6, 14)}个，总投资约{rng.randint(3, 18)}亿元。"),
        "platform": ("基地公共服务平台提供工商注册代办、政策咨询、美工摄影、代运营、数据分析和融资对接等服务，"
                     f"上年度开展培训{f['training_person_times']}人次，服务入驻企业{int(f['tenant_firms'] * 0.8)}家。"),
        "support": (f"{place}市出台了促进电子商务发展的若干意见，设立电子商务发展专项资金，"
                    f"上年度落实地方配套资金{f['matching_funds'] / 100 / 1e4:,.0f}万元，用于房租补贴、人才培训和平台建设。"),
        "organisation": ("成立由分管副市长任组长的示范基地创建工作领导小组，办公室设在市商务局；"
                         "运营主体设立专职管理团队，建立了入驻企业准入、统计监测和考核退出制度。"),
        "schedule": ("2015年完成公共服务平台二期建设并投入使用；2016年重点推进物流共同配送和品牌培育；"
                     f"2017年全面完成创建目标并组织自评估。上年度交易额增长{growth * 100:.1f}%，为按期完成创建任务奠定了基础。"),
    }


def enterprise_narrative(org: str, place: str, f: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """The six sections of an enterprise's application report (申报书), a few sentences each."""
    growth = f["ecommerce_revenue"] / max(f["ecommerce_revenue_2y_ago"], 1) - 1
    mode = rng.choice(["B2C自营", "B2B撮合交易", "O2O本地生活服务", "平台加自营", "跨境进口保税备货"])
    return {
        "profile": (f"{org}注册于{place}，是一家以电子商务为主营业务的民营企业，"
                    f"现有电子商务从业人员{f['employees']}人，{f['shop_opened_on'][:4]}年起开展网络销售。"),
        "business": (f"公司采用{mode}模式，上年度实现电子商务营业收入{_yi(f['ecommerce_revenue'])}亿元，"
                     f"订单量{f['orders']:,}笔，两年增长{growth * 100:.1f}%。"),
        "innovation": (f"公司建立了自主研发团队，上年度研发投入{f['rd_spending'] / 100 / 1e4:,.0f}万元，"
                       f"拥有专利和软件著作权{f['patents']}项，主持或参与制定标准{f['standards']}项。"),
        "impact": (f"通过开放平台和供应链服务带动中小企业{f['smes_served']:,}家触网经营，"
                   "积极参与农村电子商务和农产品上行，帮助贫困地区特色产品打开销路。"),
        "compliance": ("公司建立了七天无理由退货、先行赔付和商品质量抽检制度，落实网络交易数据安全管理，"
                       f"上年度有效投诉{f['complaints']}件，均已妥善处理；推广可循环包装和绿色物流。"),
        "plan": ("未来两年，公司将继续加大技术投入，拓展移动端和线下体验渠道，"
                 "力争电子商务营业收入年均增长30%以上，进一步发挥示范带动作用。"),
    }
